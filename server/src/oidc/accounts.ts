// Who a Tapgate login makes the end-user: `sub` is the account's user id on the client's virtual
// server (`account:<id>` for an account enrolled without one), and what the login proved.
import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import type { LoginFactor, RpSessionRecord, Store } from '../db';
import { fromB64u } from '../crypto';
import { SERVER_ID_BYTES } from '../qr';

/** The claims every grant includes: what the login proved and when, and the session id (back-channel logout). */
export const LOGIN_CLAIMS = ['acr', 'amr', 'auth_time', 'sid'];

const ACCOUNT_SUB = /^account:(\d{1,15})$/;

/** The virtual server a client belongs to (its `tapgate_server` metadata). */
export function serverOfClient(client: { [key: string]: unknown } | undefined): Uint8Array | null {
  const id = typeof client?.tapgate_server === 'string' ? fromB64u(client.tapgate_server) : null;
  return id && id.length === SERVER_ID_BYTES ? id : null;
}

export function subjectOf(rp: Pick<RpSessionRecord, 'userId' | 'accountId'>): string {
  return rp.userId ?? `account:${rp.accountId}`;
}

/**
 * RFC 8176 methods: every login proves the account key (`pop`); a PIN adds `pin`, a biometric
 * `user` (the platform's presence check, which does not say whether face or finger), either
 * makes it `mfa`. A login within pinTimeout without a second factor is `pop` alone.
 */
export function amrOf(factor: LoginFactor | null): string[] {
  if (factor === 'pin') return ['pop', 'pin', 'mfa'];
  if (factor === 'biometric') return ['pop', 'user', 'mfa'];
  return ['pop'];
}

/** The live, unblocked accounts of a subject on a server: none means the subject is gone. */
export async function accountsOfSubject(store: Store, server: Uint8Array, sub: string) {
  const byId = ACCOUNT_SUB.exec(sub);
  if (byId) {
    const account = await store.getAccount(Number(byId[1]));
    const live = account && Buffer.from(account.server).equals(Buffer.from(server)) && !account.deleted && account.userId === null;
    return live && !account.blocked ? [account] : [];
  }
  return (await store.accountsOfUser(server, sub)).filter((a) => !a.blocked);
}

/** oidc-provider's findAccount: a subject exists while it has a live, unblocked account on the client's server. */
export function accountFinder(store: Store, findClient: (id: string) => Promise<{ [key: string]: unknown } | undefined>) {
  return async (ctx: KoaContextWithOIDC | undefined, sub: string, token?: { clientId?: string }): Promise<Account | undefined> => {
    const client = ctx?.oidc?.client ?? (token?.clientId ? await findClient(token.clientId) : undefined);
    const server = serverOfClient(client as { [key: string]: unknown } | undefined);
    if (!server || (await accountsOfSubject(store, server, sub)).length === 0) return undefined;
    return {
      accountId: sub,
      async claims() {
        return ACCOUNT_SUB.test(sub) ? { sub } : { sub, preferred_username: sub };
      },
    };
  };
}
