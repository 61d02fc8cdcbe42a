// The JSON models of the relying-party API that several route files answer with (v2.2 names).
import { toB64u } from './crypto';
import type { AccountRecord, ServerRecord, Store, UserRecord } from './db';
import { pushKindOf } from './push-tokens';
import { profileJson } from './server-profile';

/** The v2.2 Server model, and the Tapgate extensions of a key rotation. */
export async function serverJson(store: Store, s: ServerRecord) {
  return {
    serverid: toB64u(s.id),
    serverpk: toB64u(s.pk),
    serverName: s.name,
    pingTime: s.pingTime,
    pinTimeout: s.pinTimeout,
    pinTransTimeout: s.pinTransTimeout,
    pinAttemptLimit: s.pinAttemptLimit,
    logo: s.logo,
    returnOrigins: s.returnOrigins,
    ...profileJson(s.profile),
    accountCount: await store.countAccounts(s.id),
    // When an account of this server last logged in (read-only, like accountCount).
    lastLogin: await store.lastLoginAt(s.id),
    // During a key rotation's overlap: the previous key, which still signs beside serverpk, and until when.
    serverpkPrevious: s.prevPk ? toB64u(s.prevPk) : null,
    serverpkPreviousUntil: s.prevUntil ?? null,
  };
}

/** The v2.2 Account model, and the Tapgate extensions pinfailures and push. */
export function accountJson(a: AccountRecord) {
  return {
    id: a.id,
    userid: a.userId,
    blocked: a.blocked,
    clientVersion: a.clientVersion,
    created: a.created,
    description: a.description,
    lastlogin: a.lastLogin,
    lastprovoke: a.lastProvoke,
    pinfailures: a.pinFailures,
    // Tapgate extension: how this account's device gets pushes (none: it only pulls).
    push: a.pushToken === null ? null : pushKindOf(a.pushToken),
  };
}

/** The v2.2 User model. */
export function userJson(u: UserRecord) {
  return { userid: u.userId, numberaccounts: u.numberAccounts, lastlogin: u.lastLogin };
}
