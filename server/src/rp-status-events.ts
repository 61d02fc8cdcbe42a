// What a change of a relying-party session means to the relying party: the status channel's
// events (the reference's WebSocket CONFIRMSCAN / LOGIN / LOGOUT / CANCEL / CANPROVOKE, as names).
import { toB64u } from './crypto';
import type { RpSessionRow } from './db';

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
export function statusEvents(before: RpSessionRow | undefined, after: RpSessionRow | undefined): RpStatusEvent[] {
  if (!after) return [];
  const out: RpStatusEvent[] = [];
  const newQr = hex(after.latest_qr) !== hex(before?.latest_qr);
  if (newQr && after.latest_qr) out.push({ event: 'qr', hsid: b64u(after.latest_qr) });
  if (after.scanned && (newQr || !before?.scanned)) out.push({ event: 'scanned', hsid: b64u(after.latest_qr) });
  if (after.cancelled && (newQr || !before?.cancelled)) out.push({ event: 'cancelled', hsid: b64u(after.latest_qr) });
  if (before?.loggedin && !after.loggedin) {
    out.push({ event: 'loggedout', hsid: b64u(before.login_qr), userid: before.userid, accountid: before.accountid });
  }
  // A second login on a logged-in session (a transaction, a push login) is a new login too.
  if (after.loggedin && (!before?.loggedin || hex(after.login_qr) !== hex(before.login_qr))) {
    out.push({ event: 'loggedin', hsid: b64u(after.login_qr), userid: after.userid, accountid: after.accountid });
  }
  if (after.accountid != null && before?.accountid == null) out.push({ event: 'canprovoke', hsid: null, accountid: after.accountid });
  // registerUser on the login as it stands: the same login, now with a userid.
  const sameLogin = before?.loggedin && after.loggedin && hex(after.login_qr) === hex(before.login_qr);
  if (sameLogin && after.userid !== before.userid) {
    out.push({ event: 'registered', hsid: b64u(after.login_qr), userid: after.userid, accountid: after.accountid });
  }
  return out;
}
