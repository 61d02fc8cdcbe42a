// What a change of a relying-party session means to the relying party: the status channel's
// events (the reference's WebSocket CONFIRMSCAN / LOGIN / LOGOUT / CANCEL / CANPROVOKE, as names).
import { toB64u } from './crypto';
import type { RpSessionRecord } from './db';

export type RpStatusEventName = 'qr' | 'scanned' | 'cancelled' | 'loggedin' | 'loggedout' | 'canprovoke' | 'registered';

export interface RpStatusEvent {
  event: RpStatusEventName;
  /** base64url id of the QR session concerned (for loggedin/loggedout: the one logged in on). */
  hsid: string | null;
  userid?: string | null;
  accountid?: number | null;
}

const hex = (b: Buffer | null | undefined) => (b ? b.toString('hex') : null);
const b64u = (b: Buffer | null | undefined) => (b ? toB64u(b) : null);

/**
 * The events one write produced, in the order they happened. A write changes one thing, but a
 * new QR also clears scanned/cancelled, and a login ends a cancelled state, so compare fields.
 */
export function statusEvents(before: RpSessionRecord | undefined, after: RpSessionRecord | undefined): RpStatusEvent[] {
  if (!after) return [];
  const out: RpStatusEvent[] = [];
  const newQr = hex(after.latestQr) !== hex(before?.latestQr);
  if (newQr && after.latestQr) out.push({ event: 'qr', hsid: b64u(after.latestQr) });
  if (after.scanned && (newQr || !before?.scanned)) out.push({ event: 'scanned', hsid: b64u(after.latestQr) });
  if (after.cancelled && (newQr || !before?.cancelled)) out.push({ event: 'cancelled', hsid: b64u(after.latestQr) });
  if (before?.loggedIn && !after.loggedIn) {
    out.push({ event: 'loggedout', hsid: b64u(before.loginQr), userid: before.userId, accountid: before.accountId });
  }
  // A second login on a logged-in session (a transaction, a push login) is a new login too.
  if (after.loggedIn && (!before?.loggedIn || hex(after.loginQr) !== hex(before.loginQr))) {
    out.push({ event: 'loggedin', hsid: b64u(after.loginQr), userid: after.userId, accountid: after.accountId });
  }
  if (after.accountId != null && before?.accountId == null) out.push({ event: 'canprovoke', hsid: null, accountid: after.accountId });
  // registerUser on the login as it stands: the same login, now with a userid.
  const sameLogin = before?.loggedIn && after.loggedIn && hex(after.loginQr) === hex(before.loginQr);
  if (sameLogin && after.userId !== before.userId) {
    out.push({ event: 'registered', hsid: b64u(after.loginQr), userid: after.userId, accountid: after.accountId });
  }
  return out;
}
