// Logout both ways. A browser sign-in links the provider's session to the Tapgate login it came
// from (the interaction's relying-party session): ending the OIDC session (RP-initiated logout)
// logs that Tapgate session out, which tells the device; the Tapgate session ending (the device,
// the relying party's API, a missed ping) ends the OIDC session: back-channel logout to every
// client of it that registered a URI, its grants and tokens revoked, the session destroyed.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { RpSessionChange } from '../observed-store';
import { fromB64u, toB64u } from '../crypto';
import { serverOfClient } from './accounts';
import type { OidcRuntime } from './runtime';
import { SqlOidcAdapter } from './adapter';

const NONCE_PREFIX = 'oidc.';
const loginLink = (nonce: string) => `login:${nonce}`;
const sessionLink = (uid: string) => `session:${uid}`;
/** As long as a session may live (ttl.Session). */
export const SESSION_TTL_SECONDS = 14 * 24 * 3600;

interface SessionLogins {
  logins: Array<{ server: string; nonce: string }>;
}

/** After the authorization endpoint resumed a Tapgate sign-in: links the session and the login. */
export async function linkSignIn(rt: OidcRuntime, ctx: KoaContextWithOIDC): Promise<void> {
  const nonce = (ctx.oidc?.result as { tapgate?: { nonce?: unknown } } | undefined)?.tapgate?.nonce;
  const uid = ctx.oidc?.session?.uid;
  const server = serverOfClient(ctx.oidc?.client as unknown as Record<string, unknown>);
  if (typeof nonce !== 'string' || !uid || !server) return;
  const existing = (await rt.links.find(sessionLink(uid))) as SessionLogins | undefined;
  const logins = [...(existing?.logins ?? []).filter((l) => l.nonce !== nonce), { server: toB64u(server), nonce }];
  await rt.links.upsert(sessionLink(uid), { logins }, SESSION_TTL_SECONDS);
  await rt.links.upsert(loginLink(nonce), { uid }, SESSION_TTL_SECONDS);
}

/** The session a request's cookie names (read before end_session changes it). */
export async function sessionUidOf(rt: OidcRuntime, ctx: { cookies: { get(name: string, o?: unknown): string | undefined } }): Promise<string | null> {
  const id = ctx.cookies.get(rt.provider.cookieName('session'), { signed: true });
  if (!id) return null;
  const session = await rt.provider.Session.find(id);
  return session?.uid ?? null;
}

/** RP-initiated logout ended the session `uid`: log its Tapgate logins out. */
export async function endTapgateLogins(rt: OidcRuntime, uid: string): Promise<void> {
  const link = (await rt.links.take(sessionLink(uid))) as SessionLogins | undefined;
  for (const { server: sid, nonce } of link?.logins ?? []) {
    // The login link goes first, so the logout below does not come back as a device logout.
    await rt.links.destroy(loginLink(nonce));
    const id = fromB64u(sid);
    const server = id && await rt.store.getServer(id);
    if (server) await rt.rp.logout(server, nonce);
  }
}

/** The Tapgate login of a sign-in ended: end the OIDC session it made. */
export async function endOidcSession(rt: OidcRuntime, change: RpSessionChange): Promise<void> {
  if (!change.nonce.startsWith(NONCE_PREFIX) || !change.before?.loggedIn || change.after?.loggedIn) return;
  const link = await rt.links.take(loginLink(change.nonce));
  if (typeof link?.uid !== 'string') return;
  await rt.links.destroy(sessionLink(link.uid));
  const { provider } = rt;
  const session = await provider.Session.findByUid(link.uid);
  if (!session) return;
  const grants = new SqlOidcAdapter('Grant', rt.storage);
  for (const [clientId, authorization] of Object.entries(session.authorizations ?? {})) {
    const client = await provider.Client.find(clientId);
    if (client?.backchannelLogoutUri && session.accountId) {
      // A client that is down misses the notice; its tokens are revoked below all the same.
      await (client as unknown as { backchannelLogout(sub: string, sid: string): Promise<void> }).backchannelLogout(session.accountId, session.sidFor(clientId) ?? '')
        .catch((err: unknown) => console.error(`oidc: back-channel logout to client ${clientId} failed:`, err instanceof Error ? err.message : err));
    }
    if (authorization.grantId) {
      await grants.revokeByGrantId(authorization.grantId);
      await grants.destroy(authorization.grantId);
    }
  }
  await session.destroy();
}
