// Sign in with Tapgate, the authorization code flow with PKCE: openid-client as the relying party
// against the server process, a fetch-and-cookie-jar browser on the provider's login page, the
// Node SDK scanning that page's QR image and answering the PIN. Then userinfo, refresh, the ID
// token checked again with jose against the JWKS, and the ways a sign-in fails.
'use strict';
const { createRemoteJWKSet, jwtVerify } = require('jose');
const { Authenticator, TestBiometricProvider } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { nextEvent, reach } = require('./helpers/rp');
const { PIN, enrol, sleep } = require('./helpers/flows');
const { browser, registerClient, discover, loginQr, answerConsent, startSignIn: startSignInAt, signInWith, client } = require('./helpers/oidc');

const LOGIN_TIMEOUT_S = 4;
const env = useServer({ env: { TAPGATE_OIDC: '1', TAPGATE_OIDC_LOGIN_TIMEOUT_S: String(LOGIN_TIMEOUT_S) } });
const REDIRECT = 'https://rp.example/callback';

let auth;
let registered;
let config;

beforeAll(async () => {
  auth = await Authenticator.create();
  await enrol(auth, env.rp, { userid: 'alice' });
  registered = await registerClient(env.server, {
    client_name: 'Example RP',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
  });
  config = await discover(env.server, registered);
});
afterAll(() => auth?.close());

const startSignIn = (params) => startSignInAt(config, REDIRECT, params);

/** The device scans the page's QR and reaches the PIN prompt. */
async function scanPage(b, page) {
  const { png, base } = await loginQr(b, page);
  const payload = await auth.scanQr(png);
  const session = await auth.startSession(payload);
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  return { session, base };
}

const finishAt = (b, base) => b.form(new URL(`${base.pathname}/login`, base), {}, REDIRECT);

test('discovery names the issuer, the code flow with S256 PKCE, CIBA and the logout endpoints', async () => {
  const meta = config.serverMetadata();
  expect(meta.issuer).toBe(`${env.server.url}/oidc`);
  expect(meta.response_types_supported).toEqual(['code']);
  expect(meta.code_challenge_methods_supported).toContain('S256');
  expect(meta.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'urn:openid:params:grant-type:ciba', 'urn:ietf:params:oauth:grant-type:token-exchange']));
  expect(meta.backchannel_token_delivery_modes_supported).toEqual(['poll', 'ping']);
  expect(meta.end_session_endpoint).toBe(`${env.server.url}/oidc/session/end`);
  expect(meta.backchannel_logout_supported).toBe(true);
});

test('discovery names the public URL whatever Host or X-Forwarded-Host a client sends', async () => {
  const http = require('node:http');
  const body = await new Promise((resolve, reject) => {
    http.get(`${env.server.url}/oidc/.well-known/openid-configuration`, { headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve(JSON.parse(text)));
    }).on('error', reject);
  });
  expect(body.issuer).toBe(`${env.server.url}/oidc`);
  expect(body.authorization_endpoint).toBe(`${env.server.url}/oidc/auth`);
  expect(body.token_endpoint).toBe(`${env.server.url}/oidc/token`);
});

test('code flow: the page QR scanned by the SDK, the PIN, the code exchanged; ID token, userinfo, refresh', async () => {
  const { b, page, codeVerifier, nonce, state } = await startSignIn({ scope: 'openid profile offline_access', prompt: 'consent' });
  expect(page.res.status).toBe(200);
  expect(page.res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(page.text).toContain('Example RP');
  const { session, base } = await scanPage(b, page);
  expect(session.announceInfo.info.Application).toBe('Example RP');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  // prompt=consent: the provider asks on its page (offline access is granted only so).
  const asked = await finishAt(b, base);
  expect(asked.stoppedAt).toBeUndefined();
  expect(asked.text).toContain('asks for access');
  expect(asked.text).toContain('offline_access');
  const done = await answerConsent(b, asked, 'allow', REDIRECT);
  expect(done.stoppedAt.searchParams.get('state')).toBe(state);
  const tokens = await client.authorizationCodeGrant(config, done.stoppedAt, { pkceCodeVerifier: codeVerifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true });
  const claims = tokens.claims();
  expect(claims).toMatchObject({ iss: `${env.server.url}/oidc`, aud: registered.client_id, nonce, sub: 'alice', acr: 'urn:tapgate:acr:device-key' });
  expect(claims.amr).toEqual(['pop', 'pin', 'mfa']);
  expect(Math.abs(claims.auth_time - Date.now() / 1000)).toBeLessThan(30);
  // The signature, checked by a party that trusts nothing but the provider's JWKS.
  const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
  const verified = await jwtVerify(tokens.id_token, jwks, { issuer: `${env.server.url}/oidc`, audience: registered.client_id });
  expect(verified.payload.sub).toBe('alice');
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, 'alice');
  expect(userinfo).toEqual({ sub: 'alice', preferred_username: 'alice' });
  expect(tokens.refresh_token).toBeTruthy();
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  expect(refreshed.access_token).not.toBe(tokens.access_token);
  expect(refreshed.claims().sub).toBe('alice');
  expect(refreshed.claims().auth_time).toBe(claims.auth_time);
});

/** The error the provider sends back to the client's redirect URI. */
const errorOf = (done) => ({ error: done.stoppedAt.searchParams.get('error'), state: done.stoppedAt.searchParams.get('state') });

test('the page\'s QR image is the same until it is scanned, then a new one', async () => {
  const { b, page } = await startSignIn();
  const first = await loginQr(b, page);
  const again = await loginQr(b, page);
  expect(Buffer.from(again.png).equals(Buffer.from(first.png))).toBe(true);
  const session = await auth.startSession(await auth.scanQr(first.png));
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  const after = await loginQr(b, page);
  expect(Buffer.from(after.png).equals(Buffer.from(first.png))).toBe(false);
  await session.stopSession();
});

test('a wrong PIN then the right one: the sign-in goes through, once', async () => {
  const { b, page, codeVerifier, nonce, state } = await startSignIn();
  const { session, base } = await scanPage(b, page);
  expect((await session.setPinBiometric({ pin: '0000' })).result).toBe('PIN_FAIL');
  // Not logged in yet: finishing now leaves the browser on the login page.
  const early = await finishAt(b, base);
  expect(early.stoppedAt).toBeUndefined();
  expect(early.text).toContain('Scan this code');
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  const done = await finishAt(b, base);
  const tokens = await client.authorizationCodeGrant(config, done.stoppedAt, { pkceCodeVerifier: codeVerifier, expectedNonce: nonce, expectedState: state });
  expect(tokens.claims().sub).toBe('alice');
  // The code is single use.
  await expect(client.authorizationCodeGrant(config, done.stoppedAt, { pkceCodeVerifier: codeVerifier, expectedNonce: nonce, expectedState: state }))
    .rejects.toMatchObject({ error: 'invalid_grant' });
});

test('the user declines on the device: access_denied at the client', async () => {
  const { b, page, state } = await startSignIn();
  const { session, base } = await scanPage(b, page);
  await session.stopSession();
  let done;
  for (let i = 0; i < 50 && !done?.stoppedAt; i++) {
    done = await finishAt(b, base);
    if (!done.stoppedAt) await sleep(50);
  }
  expect(errorOf(done)).toEqual({ error: 'access_denied', state });
});

test('the user cancels on the page: access_denied', async () => {
  const { b, page, state } = await startSignIn();
  const { base } = await loginQr(b, page);
  const done = await b.form(new URL(`${base.pathname}/abort`, base), {}, REDIRECT);
  expect(errorOf(done)).toEqual({ error: 'access_denied', state });
});

test('nobody answers: the interaction times out with login_required', async () => {
  const { b, page, state } = await startSignIn();
  const { base } = await loginQr(b, page);
  await sleep(LOGIN_TIMEOUT_S * 1000 + 200);
  const done = await finishAt(b, base);
  expect(errorOf(done)).toEqual({ error: 'login_required', state });
});

test('a signed-in browser is not asked again; prompt=login and max_age=0 ask for a fresh Tapgate login', async () => {
  const { b, page, codeVerifier, nonce, state } = await startSignIn();
  const { session, base } = await scanPage(b, page);
  await session.setPinBiometric({ pin: PIN });
  const first = await finishAt(b, base);
  const firstClaims = (await client.authorizationCodeGrant(config, first.stoppedAt, { pkceCodeVerifier: codeVerifier, expectedNonce: nonce, expectedState: state })).claims();

  const again = async (params) => {
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's', ...params,
    });
    return { res: await b.go(url, {}, REDIRECT), verifier };
  };
  const silent = await again({});
  expect(silent.res.stoppedAt.searchParams.get('code')).toBeTruthy();  // the session's login, no page
  const none = await again({ prompt: 'none' });
  expect(none.res.stoppedAt.searchParams.get('code')).toBeTruthy();

  await sleep(1100);  // auth_time has a resolution of seconds
  for (const params of [{ prompt: 'login' }, { max_age: '0' }]) {
    const fresh = await again(params);
    expect(fresh.res.stoppedAt).toBeUndefined();
    expect(fresh.res.text).toContain('Scan this code');
    const { session: s2, base: base2 } = await scanPage(b, fresh.res);
    await s2.setPinBiometric({ pin: PIN });
    const done = await finishAt(b, base2);
    const claims = (await client.authorizationCodeGrant(config, done.stoppedAt, { pkceCodeVerifier: fresh.verifier, expectedState: 's', ...(params.max_age ? { maxAge: 0 } : {}) })).claims();
    expect(claims.sub).toBe('alice');
    expect(claims.auth_time).toBeGreaterThan(firstClaims.auth_time);
  }
});

test('attacker: the interaction pages without its cookie, a cross-site post, no PKCE, a foreign redirect URI', async () => {
  const { b, page } = await startSignIn();
  const { base } = await loginQr(b, page);
  // Another browser (no interaction cookie) learns the page URL: it gets neither a QR nor a result.
  const other = browser();
  for (const suffix of ['', '/qr.png', '/events']) {
    const res = await other.request(new URL(`${base.pathname}${suffix}`, base));
    expect(res.status).toBe(400);
    await res.arrayBuffer();
  }
  const stolen = await other.form(new URL(`${base.pathname}/login`, base), {}, REDIRECT);
  expect(stolen.res.status).toBe(400);
  // The right cookie but a post from another site's page.
  const crossSite = await b.request(new URL(`${base.pathname}/abort`, base), { method: 'POST', headers: { origin: 'https://evil.example' } });
  expect(crossSite.status).toBe(403);
  await crossSite.text();

  const noPkce = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', state: 'x' });
  const refused = await browser().go(noPkce, {}, REDIRECT);
  expect(refused.stoppedAt.searchParams.get('error')).toBe('invalid_request');
  expect(refused.stoppedAt.searchParams.get('error_description')).toMatch(/PKCE/);
  const foreign = client.buildAuthorizationUrl(config, { redirect_uri: 'https://evil.example/cb', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
  const page2 = await browser().go(foreign, {}, 'https://evil.example');
  expect(page2.stoppedAt).toBeUndefined();  // never redirected to an unregistered URI
  expect(page2.res.status).toBe(400);
});

test('consent: prompt=consent shows the page; Deny is access_denied', async () => {
  const { b, page, state } = await startSignIn({ prompt: 'consent' });
  const { session, base } = await scanPage(b, page);
  await session.setPinBiometric({ pin: PIN });
  const asked = await finishAt(b, base);
  expect(asked.stoppedAt).toBeUndefined();
  expect(asked.text).toContain('asks for access');
  const denied = await answerConsent(b, asked, 'deny', REDIRECT);
  expect(errorOf(denied)).toEqual({ error: 'access_denied', state });
});

test('a user whose accounts are deleted is gone: userinfo and refresh fail', async () => {
  const carol = await Authenticator.create();
  try {
    await enrol(carol, env.rp, { userid: 'carol' });
    const { tokens } = await signInWith(carol, config, REDIRECT, { params: { scope: 'openid offline_access', prompt: 'consent' } });
    expect((await client.fetchUserInfo(config, tokens.access_token, 'carol')).sub).toBe('carol');
    const { accounts } = await env.rp.accounts();
    await env.rp.deleteAccount(accounts.find((a) => a.userid === 'carol').id);
    await expect(client.fetchUserInfo(config, tokens.access_token, 'carol')).rejects.toBeDefined();
    await expect(client.refreshTokenGrant(config, tokens.refresh_token)).rejects.toMatchObject({ error: 'invalid_grant' });
  } finally {
    await carol.close();
  }
});

test('a biometric login says so in amr: pop, user, mfa', async () => {
  const dan = await Authenticator.create({ biometric: new TestBiometricProvider() });
  try {
    const enrolment = await dan.startSession(await env.rp.enrolQr(env.rp.newNonce(), { userid: 'dan' }));
    await nextEvent(enrolment, 'confirmenrol');
    await enrolment.setAccount();
    await enrolment.setPinBiometric({ pin: PIN, biometric: true });
    const { b, page, codeVerifier, nonce, state } = await startSignIn();
    const { png, base } = await loginQr(b, page);
    const session = await dan.startSession(await dan.scanQr(png));
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    expect((await session.setPinBiometric({ biometric: true })).result).toBe('SUCCESS');
    const done = await finishAt(b, base);
    const claims = (await client.authorizationCodeGrant(config, done.stoppedAt, { pkceCodeVerifier: codeVerifier, expectedNonce: nonce, expectedState: state })).claims();
    expect(claims).toMatchObject({ sub: 'dan', amr: ['pop', 'user', 'mfa'] });
  } finally {
    await dan.close();
  }
});
