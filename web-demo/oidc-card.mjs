// The demo page's fourth card: a relying party that knows nothing of Tapgate but OpenID Connect.
// It registers itself as a client of the server's provider at start, then signs users in with
// openid-client: the authorization code flow with PKCE (the provider's page shows the Tapgate QR)
// and CIBA ("push to alice"). Each browser is told apart by an HttpOnly cookie naming its entry in
// memory; the page reads the outcome from /oidc-demo/result and /oidc-demo/ciba.
import { randomBytes, randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import * as oidc from 'openid-client';

const require = createRequire(import.meta.url);
const { TapgateClient } = require('@tapgate/server/client');

const CLIENT_NAME = 'Tapgate demo (OpenID Connect)';
const CIBA = 'urn:openid:params:grant-type:ciba';
const COOKIE = 'oidc_demo';
const MAX_BODY_CHARS = 1024;
/** Browsers' entries are dropped an hour after their last sign-in or push, and beyond this many. */
const ENTRY_TTL_MS = 60 * 60_000;
const MAX_ENTRIES = 10_000;
/** Claims the card shows, in this order. */
const SHOWN_CLAIMS = ['sub', 'amr', 'acr', 'auth_time', 'iss', 'aud', 'preferred_username'];

const pick = (claims) => Object.fromEntries(SHOWN_CLAIMS.filter((k) => claims[k] !== undefined).map((k) => [k, claims[k]]));

/**
 * `origin`: the demo's public origin (the provider's issuer is `${origin}/oidc`); `apiBase`,
 * `serverId`, `apiKey`: the relying-party API that registers the client.
 */
export async function createOidcCard({ origin, apiBase, serverId, apiKey }) {
  const api = new TapgateClient({ baseUrl: apiBase, apiKey });
  const redirectUri = `${origin}/oidc-demo/callback`;
  // A client's secret is shown once, at its registration: an earlier start's client is replaced.
  for (const old of (await api.listOidcClients(serverId)).clients.filter((c) => c.client_name === CLIENT_NAME)) {
    await api.deleteOidcClient(serverId, old.client_id);
  }
  const registered = await api.createOidcClient(serverId, {
    client_name: CLIENT_NAME,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token', CIBA],
    backchannel_token_delivery_mode: 'poll',
  });
  let config = null;
  const discovered = async () => {
    config ??= await oidc.discovery(new URL(`${origin}/oidc`), registered.client_id, registered.client_secret, undefined,
      origin.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : undefined);
    return config;
  };

  /** Per browser: the sign-in under way (PKCE verifier, state, nonce), its outcome, and a CIBA request. */
  const browsers = new Map();
  const cookieId = (req) => /(?:^|;\s*)oidc_demo=([A-Za-z0-9_-]{22})/.exec(req.headers.cookie ?? '')?.[1];
  const entryOf = (req) => browsers.get(cookieId(req));

  /**
   * The browser's entry, made if it has none, moved to the end of the map as the most recent;
   * the oldest are dropped so that anonymous requests cannot grow the map without bound.
   */
  function touchEntry(req, res) {
    const id = cookieId(req) ?? randomBytes(16).toString('base64url');
    const entry = browsers.get(id) ?? { verifier: null, state: null, nonce: null, result: null, ciba: null };
    browsers.delete(id);
    browsers.set(id, Object.assign(entry, { touched: Date.now() }));
    for (const [oldId, old] of browsers) {
      if (browsers.size <= MAX_ENTRIES && Date.now() - old.touched < ENTRY_TTL_MS) break;
      browsers.delete(oldId);
    }
    res.setHeader('set-cookie', `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`);
    return entry;
  }

  const send = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  };
  const backToPage = (res) => res.writeHead(303, { location: '/#oidc' }).end();

  async function start(req, res) {
    const entry = Object.assign(touchEntry(req, res), { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() });
    const url = oidc.buildAuthorizationUrl(await discovered(), {
      redirect_uri: redirectUri,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(entry.verifier),
      code_challenge_method: 'S256',
      state: entry.state,
      nonce: entry.nonce,
    });
    res.writeHead(303, { location: url.href }).end();
  }

  async function callback(req, res) {
    const entry = entryOf(req);
    // A reload of this URL (its code is spent) or a sign-in begun in another browser: nothing to redeem.
    if (!entry?.verifier) return backToPage(res);
    const { verifier, state, nonce } = entry;
    entry.verifier = null;  // one redemption per sign-in
    try {
      const tokens = await oidc.authorizationCodeGrant(await discovered(), new URL(req.url, origin), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
      entry.result = { claims: pick(tokens.claims()) };
    } catch (err) {
      entry.result = { error: err.error ?? 'sign-in failed', description: err.error_description ?? err.message };
    }
    backToPage(res);
  }

  async function startCiba(req, res) {
    // Same-origin JSON only: a form posted by another site cannot start a push to a user.
    if (req.headers.origin !== origin || !/^application\/json\b/.test(req.headers['content-type'] ?? '')) return send(res, 403, { error: 'same-origin JSON only' });
    let text = '';
    for await (const chunk of req) {
      text += chunk;
      if (text.length > MAX_BODY_CHARS) return send(res, 413, { error: 'body too large' });
    }
    let userid;
    try {
      userid = JSON.parse(text).userid;
    } catch {
      // answered below
    }
    if (typeof userid !== 'string' || userid === '' || userid.length > 100) return send(res, 400, { error: 'userid must be a non-empty string' });
    const entry = touchEntry(req, res);
    const bindingMessage = `Demo code ${String(randomInt(10000)).padStart(4, '0')}`;
    try {
      const config = await discovered();
      const request = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid profile', login_hint: userid, binding_message: bindingMessage });
      const ciba = { state: 'pending', bindingMessage, userid };
      entry.ciba = ciba;
      // The provider answers authorization_pending until the user approves on the phone.
      oidc.pollBackchannelAuthenticationGrant(config, request).then(
        (tokens) => Object.assign(ciba, { state: 'approved', claims: pick(tokens.claims()) }),
        (err) => Object.assign(ciba, { state: err.error === 'access_denied' ? 'denied' : err.error === 'expired_token' ? 'expired' : 'error', error: err.error ?? err.message }),
      );
      send(res, 200, ciba);
    } catch (err) {
      send(res, 400, { state: 'error', error: err.error ?? 'request failed', description: err.error_description ?? err.message });
    }
  }

  return {
    clientId: registered.client_id,
    /** True if it handled the request (paths under /oidc-demo/). */
    async handle(req, res) {
      const { pathname } = new URL(req.url, 'http://x');
      if (!pathname.startsWith('/oidc-demo/')) return false;
      const route = `${req.method} ${pathname}`;
      if (route === 'GET /oidc-demo/start') await start(req, res);
      else if (route === 'GET /oidc-demo/callback') await callback(req, res);
      else if (route === 'GET /oidc-demo/result') send(res, 200, entryOf(req)?.result ?? {});
      else if (route === 'POST /oidc-demo/ciba') await startCiba(req, res);
      else if (route === 'GET /oidc-demo/ciba') send(res, 200, entryOf(req)?.ciba ?? {});
      else send(res, 404, { error: 'not found' });
      return true;
    },
  };
}
