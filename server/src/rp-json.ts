// The JSON models of the relying-party API that several route files answer with (v2.2 names).
import { toB64u } from './crypto';
import type { AccountRow, ServerRow, Store } from './db';
import { pushKindOf } from './push-tokens';

/** The v2.2 Server model, and the Tapgate extensions of a key rotation. */
export async function serverJson(store: Store, s: ServerRow) {
  return {
    serverid: toB64u(s.id),
    serverpk: toB64u(s.pk),
    serverName: s.name,
    pingTime: s.ping_time,
    pinTimeout: s.pin_timeout,
    pinAttemptLimit: s.pin_attempt_limit,
    logo: s.logo ?? null,
    accountCount: await store.countAccounts(s.id),
    // During a key rotation's overlap: the previous key, which still signs beside serverpk, and until when.
    serverpkPrevious: s.prev_pk ? toB64u(s.prev_pk) : null,
    serverpkPreviousUntil: s.prev_until ?? null,
  };
}

/** The v2.2 Account model, and the Tapgate extensions pinfailures and push. */
export function accountJson(a: AccountRow) {
  const n = (v: number | null) => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(a.id),
    userid: a.userid,
    blocked: Number(a.blocked) !== 0,
    clientVersion: a.client_version ?? null,
    created: Number(a.created),
    description: a.description,
    lastlogin: n(a.lastlogin),
    lastprovoke: n(a.lastprovoke),
    pinfailures: a.pin_failures,
    // Tapgate extension: how this account's device gets pushes (none: it only pulls).
    push: a.push_token === null ? null : pushKindOf(a.push_token),
  };
}
