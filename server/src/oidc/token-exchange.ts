// AppLogin tokens (session.getToken() in the SDK): RFC 8693 token exchange at the provider's token
// endpoint. The subject token is an ACTIVE AppLogin's web nonce; the client must belong to the
// nonce's server. The answer is a JWT access token (RFC 9068, audience the client itself: the app's
// own backend validates it against the JWKS) and an ID token, both saying who logged in and how.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { currentRpSession } from '../liveness';
import { amrOf, LOGIN_CLAIMS, serverOfClient, subjectOf } from './accounts';
import type { OidcRuntime } from './runtime';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT, WEB_NONCE_TOKEN_TYPE } from './token-types';

const PARAMETERS = ['subject_token', 'subject_token_type', 'requested_token_type', 'scope', 'audience', 'resource'];

export function registerTokenExchange(rt: () => OidcRuntime): void {
  rt().provider.registerGrantType(TOKEN_EXCHANGE_GRANT, (ctx: KoaContextWithOIDC) => exchange(rt(), ctx), PARAMETERS);
}

async function exchange(rt: OidcRuntime, ctx: KoaContextWithOIDC): Promise<void> {
  const { provider } = rt;
  const params = ctx.oidc.params as Record<string, string | undefined>;
  const client = ctx.oidc.client!;
  if (!params.subject_token) throw new errors.InvalidRequest('missing required parameter \'subject_token\'');
  if (params.subject_token_type !== WEB_NONCE_TOKEN_TYPE) throw new errors.InvalidRequest(`subject_token_type must be ${WEB_NONCE_TOKEN_TYPE}`);
  if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
    throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
  }
  if (params.audience !== undefined || params.resource !== undefined) throw new errors.InvalidTarget('the token\'s audience is the client itself');
  // Only AppLogin web nonces (`app.`, which relying parties cannot log anyone in on) are exchanged:
  // not a relying party's own web-login nonces, nor the provider's sign-ins and CIBA requests.
  if (!params.subject_token.startsWith('app.')) throw new errors.InvalidGrant('subject_token is not an AppLogin web nonce');
  const serverId = serverOfClient(client as unknown as Record<string, unknown>);
  const server = serverId && await rt.store.getServer(serverId);
  // Reading the session applies the continuous-login rule: an AppLogin that went silent is over.
  const row = server ? await currentRpSession(rt.store, server, params.subject_token, rt.now()) : undefined;
  if (!row?.loggedIn) throw new errors.InvalidGrant('subject_token is not an active AppLogin of this client\'s server');
  const sub = subjectOf(row);
  const scope = ['openid', ...(params.scope ?? '').split(' ').filter((s) => s !== '' && s !== 'openid' && rt.scopes.has(s) && s !== 'offline_access')].join(' ');
  const grant = new provider.Grant({ accountId: sub, clientId: client.clientId });
  grant.addOIDCScope(scope);
  grant.addOIDCClaims(LOGIN_CLAIMS);
  const grantId = await grant.save();
  const amr = amrOf(row.factor);
  const authTime = Math.floor((row.loggedInAt ?? Date.now()) / 1000);
  const at = new provider.AccessToken({ accountId: sub, client, grantId, gty: 'token_exchange', scope, extra: { amr, acr: rt.options.acr, auth_time: authTime } });
  at.resourceServer = new provider.ResourceServer(client.clientId, {
    audience: client.clientId,
    scope,
    accessTokenFormat: 'jwt',
    accessTokenTTL: rt.options.accessTokenTtlSeconds,
    jwt: { sign: { alg: 'ES256' } },
  });
  ctx.oidc.entity('AccessToken', at);
  const accessToken = await at.save();
  const account = await rt.findAccount(ctx, sub);
  if (!account) throw new errors.InvalidGrant('the AppLogin\'s account is gone');
  ctx.oidc.entity('Account', account);
  const idToken = new provider.IdToken({ ...(await account.claims('id_token', scope, {}, [])), acr: rt.options.acr, amr, auth_time: authTime }, { ctx });
  (idToken as unknown as { scope: string }).scope = 'openid';
  ctx.body = {
    access_token: accessToken,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: at.expiration,
    scope,
    id_token: await idToken.issue({ use: 'idtoken' }),
  };
}
