// Continuous logins (server pingTime > 0): a login stays valid only while the device proves it
// alive with signed pings; one silent for longer than pingTime is logged out. One rule, applied
// wherever a login's state is read (LoginStatus, pings).
import type { RpSessionRecord, ServerRecord, Store } from './db';

/** Grace for the network between the device's deadline and ours. */
const GRACE_MS = 2_000;

/** The relying-party session, logged out first if its continuous login went silent. */
export async function currentRpSession(store: Store, server: ServerRecord, nonce: string, now: number): Promise<RpSessionRecord | undefined> {
  const rp = await store.getRpSession(server.id, nonce);
  if (!rp || !rp.loggedIn || server.pingTime <= 0) return rp;
  const seen = rp.lastSeen ?? rp.loggedInAt ?? now;
  if (now - seen <= server.pingTime * 1000 + GRACE_MS) return rp;
  await store.logOut(server.id, nonce, now);
  return store.getRpSession(server.id, nonce);
}
