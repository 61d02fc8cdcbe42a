// Sign in with Tapgate: an OpenID Provider (oidc-provider, the certified implementation) mounted
// at {publicUrl}/oidc. Its storage is the server's database (adapter.ts), its keys are wrapped
// like the servers' own (secrets.ts). Tapgate supplies what the provider leaves to its host: the
// login interaction (interaction.ts), who the user is (accounts.ts), CIBA's push (ciba.ts), the
// link between OIDC sessions and Tapgate logins (logout.ts), AppLogin token exchange
// (token-exchange.ts) and the client registry of the relying-party API (clients.ts).
import type * as http from 'node:http';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { ObservedStore } from '../observed-store';
import type { RpApi } from '../rp-api';
import type { RpStatusChannel } from '../rp-status-channel';
import type { KeyWrapper } from '../server-keys';
import { SqlOidcAdapter, type OidcStorage } from './adapter';
import { accountFinder } from './accounts';
import { cibaFeature, settleCiba } from './ciba';
import { OidcClientRegistry } from './clients';
import { handleInteraction, isInteractionPath } from './interaction';
import { endOidcSession, endTapgateLogins, linkSignIn, sessionUidOf, SESSION_TTL_SECONDS } from './logout';
import { logoutPage, messagePage } from './pages';
import { resolveOidcOptions, type OidcOptions, type OidcRuntime } from './runtime';
import { oidcSecrets } from './secrets';
import { registerTokenExchange } from './token-exchange';
import { SERVER_ID_BYTES } from '../qr';
import { fromB64u } from '../crypto';

export type { OidcOptions } from './runtime';
export { TOKEN_EXCHANGE_GRANT, WEB_NONCE_TOKEN_TYPE } from './token-types';

export const OIDC_PREFIX = '/oidc';
const SCOPES = ['openid', 'profile', 'offline_access'];

export interface OidcProvider {
  readonly issuer: string;
  readonly clients: OidcClientRegistry;
  /** True if the path is the provider's (under /oidc). */
  handles(pathname: string): boolean;
  handle(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<void>;
  close(): void;
}

export interface OidcDeps {
  store: ObservedStore;
  /**
   * The relying-party API, called only once the provider serves requests: the API is made after
   * the provider, whose client registry it is given (index.ts).
   */
  rp: () => RpApi;
  statusChannel: RpStatusChannel;
  keyWrapper: KeyWrapper;
  publicUrl: string;
  now: () => number;
}

export async function createOidcProvider(deps: OidcDeps, options: OidcOptions = {}): Promise<OidcProvider> {
  const secrets = await oidcSecrets(deps.store, deps.keyWrapper);
  const storage: OidcStorage = { sql: deps.store.sql, dataKey: secrets.dataKey };
  const resolved = resolveOidcOptions(options);
  const issuer = `${deps.publicUrl}${OIDC_PREFIX}`;
  // The configuration's callbacks reach the runtime through this, filled in once the provider exists.
  let runtime: OidcRuntime | undefined;
  const rt = () => runtime!;
  const findAccount = accountFinder(deps.store, async (id) => (await rt().provider.Client.find(id)) as unknown as Record<string, unknown> | undefined);
  const ttl = resolved.accessTokenTtlSeconds;
  const callbackHosts = new Set(resolved.callbackHosts.map((h) => h.toLowerCase()));

  const configuration: Configuration = {
    adapter: (name: string) => new SqlOidcAdapter(name, storage),
    clients: [],
    jwks: secrets.jwks as Configuration['jwks'],
    cookies: { keys: secrets.cookieKeys },
    findAccount,
    // What a token carries beside the provider's own claims: the AppLogin token's amr, acr and
    // auth_time (token-exchange.ts). Without this the provider would replace them with nothing.
    extraTokenClaims: async (_ctx, token) => (token as { extra?: Record<string, unknown> }).extra,
    scopes: SCOPES,
    // What the login proved and when are in every ID token: claims of the openid scope, which is
    // the ID token's own scope (the account's claims, without them, go to userinfo).
    claims: { acr: null, amr: null, auth_time: null, sid: null, openid: ['sub', 'acr', 'amr', 'auth_time'], profile: ['preferred_username'] },
    acrValues: [resolved.acr],
    responseTypes: ['code'],
    pkce: { required: () => true },
    extraClientMetadata: {
      properties: ['tapgate_server'],
      validator(_ctx, key, value) {
        const id = typeof value === 'string' ? fromB64u(value) : null;
        if (key === 'tapgate_server' && (!id || id.length !== SERVER_ID_BYTES)) throw new errors.InvalidClientMetadata('tapgate_server must name a virtual server');
      },
    },
    interactions: { url: (_ctx, interaction) => `${OIDC_PREFIX}/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => !('clientId' in token) || token.clientId === client.clientId,
      },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => logoutPage(ctx.res, form),
        postLogoutSuccessSource: async (ctx) => messagePage(ctx.res, 200, 'Signed out', 'You are signed out of Tapgate.'),
      },
      ciba: cibaFeature(rt) as NonNullable<Configuration['features']>['ciba'],
    },
    ttl: {
      AccessToken: ttl,
      AuthorizationCode: 60,
      IdToken: ttl,
      RefreshToken: SESSION_TTL_SECONDS,
      Interaction: resolved.loginTimeoutSeconds + 60,
      Session: SESSION_TTL_SECONDS,
      Grant: SESSION_TTL_SECONDS,
      BackchannelAuthenticationRequest: (ctx) => {
        const asked = Number((ctx?.oidc?.params as { requested_expiry?: string } | undefined)?.requested_expiry);
        return Number.isInteger(asked) && asked > 0 ? Math.min(asked, resolved.cibaTimeoutSeconds) : resolved.cibaTimeoutSeconds;
      },
    },
    // oidc-provider's fetch refuses special-use addresses; the hosts named in callbackHosts may be one.
    fetch: (url, init) => {
      const host = new URL(url instanceof URL ? url.href : String(url)).hostname;
      if (callbackHosts.has(host)) delete (init as { dispatcher?: unknown }).dispatcher;
      return globalThis.fetch(url, init);
    },
    // A browser may call the token endpoint only from the origin of one of the client's redirect URIs.
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((uri) => new URL(uri).origin === origin) ?? false,
    renderError: async (ctx, out) => {
      messagePage(ctx.res, ctx.status >= 400 ? ctx.status : 400, 'Sign-in failed', `${out.error}: ${out.error_description ?? ''}`);
    },
  };
  const provider = new Provider(issuer, configuration);
  // The provider builds its URLs (discovery, redirects) and picks its cookies' Secure flag from the
  // request's scheme and host. Those are set from the public URL on every request (handle() below),
  // whatever Host or X-Forwarded-* a client sent: behind a TLS-terminating balancer the cookies stay
  // Secure, and no Host header can make discovery name another site.
  provider.proxy = true;
  const publicUrl = new URL(deps.publicUrl);
  runtime = {
    provider,
    store: deps.store,
    get rp() {
      return deps.rp();
    },
    statusChannel: deps.statusChannel,
    storage,
    options: resolved,
    scopes: new Set(SCOPES),
    publicOrigin: new URL(deps.publicUrl).origin,
    links: new SqlOidcAdapter('TapgateLink', storage),
    findAccount,
    now: deps.now,
  };
  registerTokenExchange(rt);
  // What the provider answers as server_error is a fault of ours or of the database: the operator's log.
  provider.on('server_error', (_ctx: unknown, err: Error) => console.error('oidc: server_error:', err.message));

  provider.use(async (ctx, next) => {
    // RP-initiated logout: the session it ends is read before the endpoint changes it.
    const endingSession = ctx.method === 'POST' && ctx.path === '/session/end/confirm' ? await sessionUidOf(rt(), ctx) : null;
    await next();
    const oidcCtx = ctx as KoaContextWithOIDC;
    if (oidcCtx.oidc?.route === 'resume' && ctx.status === 303) await linkSignIn(rt(), oidcCtx);
    if (endingSession && ctx.status === 303) await endTapgateLogins(rt(), endingSession);
  });

  const stopObserving = deps.store.observe((change) => {
    // Errors here have nowhere to go but the log: the write that caused the change is stored.
    settleCiba(rt(), change).catch((err) => console.error('oidc: settling a CIBA request failed:', err instanceof Error ? err.message : err));
    endOidcSession(rt(), change).catch((err) => console.error('oidc: ending a session failed:', err instanceof Error ? err.message : err));
  });
  const callback = provider.callback();
  const clients = new OidcClientRegistry(provider, storage);

  return {
    issuer,
    clients,
    handles: (pathname) => pathname === OIDC_PREFIX || pathname.startsWith(`${OIDC_PREFIX}/`),
    async handle(req, res, pathname) {
      if (isInteractionPath(pathname)) {
        await handleInteraction(rt(), req, res, pathname);
        return;
      }
      req.headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
      req.headers['x-forwarded-host'] = publicUrl.host;
      delete req.headers['x-forwarded-for'];
      // oidc-provider routes relative to its mount path and builds URLs from originalUrl.
      const original = req.url ?? '/';
      (req as http.IncomingMessage & { originalUrl?: string }).originalUrl = original;
      req.url = original.slice(OIDC_PREFIX.length) || '/';
      try {
        await callback(req, res);
      } finally {
        req.url = original;
      }
    },
    close: stopObserving,
  };
}

