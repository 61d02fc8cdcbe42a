// CIBA (OpenID Connect Client-Initiated Backchannel Authentication, poll and ping): a backchannel
// request for a user becomes a Tapgate push login to that user's devices, on a relying-party
// session of its own; the binding message is in the push's announce info, shown on the device
// before the PIN. Whichever instance sees the device answer (its own or another's change, through
// the observed store) settles the request; of several, the one that takes the link does.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { hash, toB64u, utf8 } from '../crypto';
import type { RpSessionChange } from '../observed-store';
import { accountsOfSubject, amrOf, LOGIN_CLAIMS, serverOfClient, subjectOf } from './accounts';
import type { OidcRuntime } from './runtime';

const NONCE_PREFIX = 'ciba.';
/** Printable text without controls, at most this long: it is shown on the device as is. */
const MAX_BINDING_MESSAGE = 64;

export function cibaNonce(rt: OidcRuntime, requestId: string): string {
  return `${NONCE_PREFIX}${toB64u(hash(rt.storage.dataKey, utf8('ciba'), utf8(requestId)).subarray(0, 24))}`;
}

const linkId = (nonce: string) => `ciba:${nonce}`;

type Client = NonNullable<KoaContextWithOIDC['oidc']['client']>;

async function pushTargets(rt: OidcRuntime, client: Client | undefined, sub: string) {
  const server = serverOfClient(client as unknown as Record<string, unknown>);
  if (!server) return { server: null, targets: [] };
  return { server, targets: (await accountsOfSubject(rt.store, server, sub)).filter((a) => a.pushToken !== null) };
}

/** The ciba part of oidc-provider's features. */
export function cibaFeature(rt: () => OidcRuntime) {
  return {
    enabled: true,
    deliveryModes: ['poll', 'ping'],
    async processLoginHint(ctx: KoaContextWithOIDC, loginHint: string) {
      const { targets } = await pushTargets(rt(), ctx.oidc.client, loginHint);
      if (targets.length === 0) throw new errors.UnknownUserId('no user of that login_hint can receive a login request');
      return loginHint;
    },
    async processLoginHintToken() {
      throw new errors.InvalidRequest('login_hint_token is not supported: send login_hint (the Tapgate user id)');
    },
    async verifyUserCode(_ctx: KoaContextWithOIDC, _account: unknown, userCode?: string) {
      if (userCode !== undefined) throw new errors.InvalidRequest('user_code is not supported');
    },
    async validateRequestContext() {
      // Not used: the request context is the client's to interpret.
    },
    async validateBindingMessage(_ctx: KoaContextWithOIDC, message?: string) {
      if (message === undefined) return;
      // eslint-disable-next-line no-control-regex
      if (message.length === 0 || message.length > MAX_BINDING_MESSAGE || /[\u0000-\u001f\u007f-\u009f]/.test(message)) {
        throw new errors.InvalidBindingMessage(`binding_message must be 1 to ${MAX_BINDING_MESSAGE} printable characters`);
      }
    },
    async triggerAuthenticationDevice(_ctx: KoaContextWithOIDC, request: { jti: string; accountId: string; params?: { binding_message?: unknown } }, account: { accountId: string }, client: Client) {
      const r = rt();
      const { server: serverId, targets } = await pushTargets(r, client, account.accountId);
      const server = serverId && await r.store.getServer(serverId);
      if (!server || targets.length === 0) throw new errors.UnknownUserId('the user can no longer receive a login request');
      const nonce = cibaNonce(r, request.jti);
      // The link outlives the longest request; a request that expired is not settled anyway.
      await r.links.upsert(linkId(nonce), { jti: request.jti }, r.options.cibaTimeoutSeconds + 60);
      const info: Record<string, string> = { Application: client.clientName ?? client.clientId };
      const binding = request.params?.binding_message;
      if (typeof binding === 'string') info['Binding message'] = binding;
      await r.rp.provokeAccounts(server, nonce, targets, {
        ctx: { announceinfo: { info }, sessioninfo: null },
        requireSecondFactor: r.options.requireSecondFactor,
        forUser: account.accountId.startsWith('account:') ? null : account.accountId,
      });
    },
  };
}

/** Settles the CIBA request of a changed session: approved (a grant) or denied on the device. */
export async function settleCiba(rt: OidcRuntime, change: RpSessionChange): Promise<void> {
  if (!change.nonce.startsWith(NONCE_PREFIX) || !change.after) return;
  const approved = !!change.after.loggedIn && !change.before?.loggedIn;
  const denied = !!change.after.cancelled && !change.before?.cancelled;
  if (!approved && !denied) return;
  const link = await rt.links.take(linkId(change.nonce));
  if (!link) return;
  const { provider } = rt;
  const request = await provider.BackchannelAuthenticationRequest.find(String(link.jti), { ignoreExpiration: true });
  if (!request || request.isExpired) return;
  const row = approved ? await rt.store.getRpSession(change.server, change.nonce) : undefined;
  if (!row?.loggedIn) {
    await provider.backchannelResult(request, new errors.AccessDenied('the user declined the login on their device'));
    return;
  }
  const sub = subjectOf(row);
  // The push went only to this user's accounts (the QR session is bound to them); checked again.
  if (sub !== request.accountId) {
    await provider.backchannelResult(request, new errors.AccessDenied('another user answered the login request'));
    return;
  }
  const grant = new provider.Grant({ accountId: sub, clientId: request.clientId });
  grant.addOIDCScope(request.scope ?? 'openid');
  grant.addOIDCClaims([...LOGIN_CLAIMS, ...Object.keys({ ...request.claims?.id_token, ...request.claims?.userinfo })]);
  await grant.save();
  await provider.backchannelResult(request, grant, {
    amr: amrOf(row.factor),
    acr: rt.options.acr,
    authTime: Math.floor((row.loggedInAt ?? Date.now()) / 1000),
  });
}
