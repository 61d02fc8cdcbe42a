// Who may log in on a QR session (issue 12, item 1). A transaction, a push login made for an
// account or a user, and any login on a relying-party session that already has a user are bound
// to that account or user: every other account is refused, so nobody can approve another user's
// transaction or switch a session's user.
import type { AccountRecord, QrSessionRecord, RpSessionRecord } from './db';

export interface LoginBinding {
  /** Only this account may log in. */
  account: number | null;
  /** Only accounts of this user may log in. */
  userid: string | null;
}

/** The binding of a login QR session: its own (set when it was made), else its relying-party session's user. */
export function loginBinding(qs: QrSessionRecord, rp: RpSessionRecord): LoginBinding | null {
  if (qs.boundAccount !== null) return { account: qs.boundAccount, userid: null };
  if (qs.userId !== null) return { account: null, userid: qs.userId };
  return bindingOfRpSession(rp);
}

/** The user of a relying-party session, or the account when that has no user id; null: nobody yet. */
export function bindingOfRpSession(rp: RpSessionRecord | undefined): LoginBinding | null {
  if (rp?.userId != null) return { account: null, userid: rp.userId };
  if (rp?.accountId != null) return { account: rp.accountId, userid: null };
  return null;
}

export function bindingAllows(binding: LoginBinding | null, account: AccountRecord): boolean {
  if (binding === null) return true;
  if (binding.account !== null) return account.id === binding.account;
  return account.userId === binding.userid;
}
