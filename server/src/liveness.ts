// Continuous logins (server pingTime > 0): a login stays valid only while the device proves it
// alive with signed pings; one silent for longer than pingTime is logged out. One rule, applied
// wherever a login's state is read (LoginStatus, pings).
import type { RpSessionRow, ServerRow, Store } from './db';

/** Grace for the network between the device's deadline and ours. */
const GRACE_MS = 2_000;

/** The relying-party session, logged out first if its continuous login went silent. */
export async function currentRpSession(store: Store, server: ServerRow, nonce: string, now: number): Promise<RpSessionRow | undefined> {
  const rp = await store.getRpSession(server.id, nonce);
  if (!rp || !rp.loggedin || server.ping_time <= 0) return rp;
  const seen = rp.last_seen ?? rp.loggedin_at ?? now;
  if (now - seen <= server.ping_time * 1000 + GRACE_MS) return rp;
  await store.logOut(server.id, nonce, now);
  return store.getRpSession(server.id, nonce);
}
