// What the OpenID provider's tests share: a browser made of fetch and a cookie jar (it follows
// redirects until one leaves for the client's redirect URI), client registration through the
// relying-party API, and openid-client set up against the provider.
'use strict';
const client = require('openid-client');

/** A browser: cookies per host and path, redirects followed by hand (fetch's own drops Set-Cookie). */
function browser() {
  const jar = new Map();  // `${host} ${path} ${name}` -> { path, value }
  const cookieHeader = (url) => [...jar.entries()]
    .filter(([key, c]) => key.startsWith(`${url.host} `) && url.pathname.startsWith(c.path))
    .map(([key, c]) => `${key.split(' ')[2]}=${c.value}`)
    .join('; ');
  const remember = (url, res) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const pathAttr = attrs.find((a) => a.toLowerCase().startsWith('path='));
      const path = pathAttr ? pathAttr.slice(5) : '/';
      const expired = attrs.some((a) => /^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()) || value === '';
      if (expired) jar.delete(`${url.host} ${path} ${name}`);
      else jar.set(`${url.host} ${path} ${name}`, { path, value });
    }
  };
  async function request(url, init = {}) {
    const u = new URL(url);
    const headers = { ...init.headers };
    const cookies = cookieHeader(u);
    if (cookies) headers.cookie = cookies;
    const res = await fetch(u, { ...init, headers, redirect: 'manual' });
    remember(u, res);
    return res;
  }
  /**
   * Requests `url` and follows redirects; stops at a redirect to a URL starting with `stopAt`
   * (resolves { stoppedAt }) or at a non-redirect answer (resolves { res, url, text }).
   */
  async function go(url, init = {}, stopAt = null) {
    let current = new URL(url);
    let res = await request(current, init);
    for (let hops = 0; res.status >= 300 && res.status < 400; hops++) {
      if (hops > 10) throw new Error('too many redirects');
      const next = new URL(res.headers.get('location'), current);
      if (stopAt && next.href.startsWith(stopAt)) return { stoppedAt: next };
      current = next;
      res = await request(current);
    }
    return { res, url: current, text: await res.text() };
  }
  const form = (url, fields, stopAt) => go(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  }, stopAt);
  return { request, go, form, jar };
}

/** Registers a client on the server's first virtual server; resolves with its metadata (and secret). */
async function registerClient(server, metadata, serverId = server.serverId) {
  const res = await fetch(`${server.url}/servers/${serverId}/oidc/clients`, {
    method: 'POST',
    headers: { 'X-apikey': server.rootApiKey, 'content-type': 'application/json' },
    body: JSON.stringify(metadata),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`client registration: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** openid-client's Configuration for a registered client (http is allowed: the tests run on loopback). */
async function discover(server, registered, auth) {
  return client.discovery(new URL(`${server.url}/oidc`), registered.client_id, registered.client_secret, auth, {
    execute: [client.allowInsecureRequests],
  });
}

/** The login page's QR image (fetched with the browser's cookies), and the page's interaction base path. */
async function loginQr(b, page) {
  const m = /<img id="qr" src="([^"]+)\/qr\.png"/.exec(page.text);
  if (!m) throw new Error(`no login QR on the page: ${page.text.slice(0, 300)}`);
  const base = new URL(m[1], page.url);
  const res = await b.request(new URL(`${base.pathname}/qr.png`, base));
  if (res.status !== 200) throw new Error(`qr.png: HTTP ${res.status}`);
  return { png: new Uint8Array(await res.arrayBuffer()), base };
}

/** Answers the consent page the browser is on (its own interaction, a new one after the login). */
function answerConsent(b, page, decision, stopAt) {
  return b.form(new URL(`${page.url.pathname}/consent`, page.url), { decision }, stopAt);
}

/** Starts a sign-in (PKCE S256, nonce, state) in a fresh browser; resolves with the page it lands on and what the client keeps. */
async function startSignIn(config, redirectUri, params = {}) {
  const b = browser();
  const codeVerifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    ...params,
  });
  const page = await b.go(url, {}, redirectUri);
  return { b, page, codeVerifier, nonce, state };
}

/**
 * A whole code-flow sign-in: `device` (an Authenticator with an account) scans the page's QR and
 * answers the PIN, the consent page (if shown) is allowed, and the code is redeemed at `exchange`
 * (default `config`). Resolves with the tokens, the device's session and the browser.
 */
async function signInWith(device, config, redirectUri, { params, pin = '4711', exchange = config } = {}) {
  const { reach } = require('./rp');
  const { b, page, codeVerifier, nonce, state } = await startSignIn(config, redirectUri, params);
  const { png, base } = await loginQr(b, page);
  const session = await device.startSession(await device.scanQr(png));
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  await session.setPinBiometric({ pin });
  let done = await b.form(new URL(`${base.pathname}/login`, base), {}, redirectUri);
  if (!done.stoppedAt) done = await answerConsent(b, done, 'allow', redirectUri);
  const tokens = await client.authorizationCodeGrant(exchange, done.stoppedAt, { pkceCodeVerifier: codeVerifier, expectedNonce: nonce, expectedState: state });
  return { tokens, session, b };
}

module.exports = { browser, registerClient, discover, loginQr, answerConsent, startSignIn, signInWith, client };
