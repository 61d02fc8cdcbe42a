// AppLogin tokens: session.getToken() exchanges the ACTIVE AppLogin's web nonce at the server's
// OpenID provider (RFC 8693) for a JWT access token and an ID token; the app's backend, a plain
// node:http server here, validates them with jose against the provider's JWKS. Then what an
// attacker or a broken network gets: another client's audience, a logged-out or guessed nonce, a
// client of another virtual server, a session that is no AppLogin, a server that is down, a fake
// provider that answers garbage.
'use strict';
const http = require('node:http');
const { createRemoteJWKSet, jwtVerify } = require('jose');
const { Authenticator, TapgateError } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { nextEvent } = require('./helpers/rp');
const { PIN, enrol, login, eventually } = require('./helpers/flows');
const { registerClient } = require('./helpers/oidc');

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const WEB_NONCE = 'urn:tapgate:params:oauth:token-type:web-nonce';
const REQUEST_TIMEOUT_MS = 1_500;

const env = useServer({ env: { TAPGATE_OIDC: '1' } });

let auth;
let issuer;
let discovery;
let appClient;
let otherAppClient;

beforeAll(async () => {
  issuer = `${env.server.url}/oidc`;
  discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  auth = await Authenticator.create({ config: { singleAccount: true }, requestTimeout: REQUEST_TIMEOUT_MS });
  // Enrolled one-shot, logged in continuously: an AppLogin needs pingTime > 0 (applogin.test.js).
  await env.rp.updateServer({ pingTime: 0 });
  await enrol(auth, env.rp, { userid: 'app-user' });
  await env.rp.updateServer({ pingTime: 30 });
  appClient = await registerClient(env.server, appMetadata('Example app'));
  otherAppClient = await registerClient(env.server, appMetadata('Another app'));
});
afterAll(() => auth?.close());

/** A public client that may exchange web nonces: what an app registers. */
function appMetadata(name) {
  return { client_name: name, grant_types: [TOKEN_EXCHANGE], response_types: [], token_endpoint_auth_method: 'none' };
}

async function appLogin() {
  const session = await auth.startAppLogin();
  await nextEvent(session, 'secondfactor');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect(session.state).toBe('ACTIVE');
  env.closeAfterTest({ close: () => (session.isFinal ? undefined : session.stopSession()) });
  return session;
}

/** Listens on a loopback port; resolves with its base URL, closed after the test. */
async function listen(handler) {
  const server = http.createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  env.closeAfterTest({ close: () => new Promise((resolve) => server.close(resolve)) });
  return `http://127.0.0.1:${server.address().port}`;
}

/**
 * The app's backend: accepts a request whose Bearer token is an access token the provider issued
 * for `clientId`, and answers who it is for.
 */
function backend(clientId) {
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  return listen(async (req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    try {
      const { payload } = await jwtVerify(token ?? '', jwks, { issuer, audience: clientId, typ: 'at+jwt' });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: payload.sub }));
    } catch (err) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err.code ?? 'invalid_token' }));
    }
  });
}

async function callBackend(url, accessToken) {
  const res = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: await res.json() };
}

/** What an attacker holding a web nonce can do without the SDK: post it to the token endpoint. */
async function exchangeRaw(subjectToken, clientId) {
  const res = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE, client_id: clientId, subject_token: subjectToken, subject_token_type: WEB_NONCE }).toString(),
  });
  return { status: res.status, body: await res.json() };
}

const refused = (oauthError) => ({ name: 'TapgateError', code: 'TOKEN_REFUSED', kind: 'remote', numericCode: 0, oauthError });

test('discovery: the token endpoint and the JWKS of the provider the SDK derives from the account', () => {
  expect(discovery.issuer).toBe(issuer);
  expect(discovery.token_endpoint).toBe(`${issuer}/token`);
  expect(discovery.jwks_uri).toBe(`${issuer}/jwks`);
  expect(discovery.grant_types_supported).toContain(TOKEN_EXCHANGE);
});

test('getToken: the backend accepts the access token for its client id; the ID token says who and how', async () => {
  const session = await appLogin();
  const before = Date.now();
  const tokens = await session.getToken({ clientId: appClient.client_id });
  expect(tokens).toEqual({
    accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    idToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    tokenType: 'Bearer',
    expiresIn: expect.any(Number),
    scope: 'openid',
    expiresAt: expect.any(Number),
  });
  expect(tokens.expiresIn).toBeGreaterThan(0);
  expect(tokens.expiresAt).toBeGreaterThanOrEqual(before + tokens.expiresIn * 1000);
  expect(tokens.expiresAt).toBeLessThanOrEqual(Date.now() + tokens.expiresIn * 1000);

  const id0AuthTime = (t) => JSON.parse(Buffer.from(t.idToken.split('.')[1], 'base64url')).auth_time;
  const api = await backend(appClient.client_id);
  expect(await callBackend(api, tokens.accessToken)).toEqual({ status: 200, body: { sub: 'app-user' } });

  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const access = await jwtVerify(tokens.accessToken, jwks, { issuer, audience: appClient.client_id, typ: 'at+jwt' });
  expect(access.payload).toMatchObject({ sub: 'app-user', client_id: appClient.client_id, scope: 'openid', acr: 'urn:tapgate:acr:device-key' });
  // What the AppLogin proved, for the backend to decide on: the device key and the PIN.
  expect(access.payload.amr).toEqual(['pop', 'pin', 'mfa']);
  expect(access.payload.auth_time).toBe(id0AuthTime(tokens));
  const id = await jwtVerify(tokens.idToken, jwks, { issuer, audience: appClient.client_id });
  expect(id.payload.sub).toBe('app-user');
  expect(id.payload.amr).toEqual(expect.arrayContaining(['pop', 'pin']));
  expect(id.payload.auth_time).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  // An ID token is no access token: the backend refuses it.
  expect((await callBackend(api, tokens.idToken)).status).toBe(401);

  // Each call is a new exchange; the scopes asked for are granted where the provider knows them.
  const more = await session.getToken({ clientId: appClient.client_id, scope: 'profile offline_access', issuer });
  expect(more.scope).toBe('openid profile');
  expect(more.accessToken).not.toBe(tokens.accessToken);
});

test('a token issued for one app is refused by the backend of another', async () => {
  const session = await appLogin();
  const tokens = await session.getToken({ clientId: appClient.client_id });
  const otherApi = await backend(otherAppClient.client_id);
  expect(await callBackend(otherApi, tokens.accessToken)).toEqual({ status: 401, body: { error: 'ERR_JWT_CLAIM_VALIDATION_FAILED' } });
  // The other app's own exchange of the same login is accepted there.
  const its = await session.getToken({ clientId: otherAppClient.client_id });
  expect(await callBackend(otherApi, its.accessToken)).toEqual({ status: 200, body: { sub: 'app-user' } });
});

test('logged out by the relying party: the provider refuses the nonce (invalid_grant)', async () => {
  const session = await appLogin();
  const { webNonce } = session.appLogin;
  expect(await env.rp.logout(webNonce)).toBeTruthy();
  expect(session.state).toBe('ACTIVE');  // the device learns of it at its next ping
  const err = await session.getToken({ clientId: appClient.client_id }).catch((e) => e);
  expect(err).toBeInstanceOf(TapgateError);
  expect(err).toMatchObject(refused('invalid_grant'));
  expect(err.toJSON()).toMatchObject({ code: 'TOKEN_REFUSED', oauthError: 'invalid_grant' });
});

test('stopped on the device: getToken is WRONG_STATE, and the nonce is worth nothing to whoever copied it', async () => {
  const session = await appLogin();
  const { webNonce } = session.appLogin;
  await session.stopSession();
  await session.finished;
  expect(session.historyStatus).toBe('LOGGED_OUT');
  await expect(session.getToken({ clientId: appClient.client_id })).rejects.toMatchObject({ code: 'WRONG_STATE', kind: 'misuse' });
  await eventually(async () => !(await env.rp.loginStatus(webNonce)).loggedin);
  expect(await exchangeRaw(webNonce, appClient.client_id)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
});

test('guessed nonces and the provider\'s own session ids are invalid_grant', async () => {
  const session = await appLogin();
  const guessed = Buffer.from(session.appLogin.webNonce, 'base64url').map((b, i) => (i === 0 ? b ^ 1 : b)).toString('base64url');
  expect(await exchangeRaw(guessed, appClient.client_id)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  expect(await exchangeRaw(`oidc.${session.appLogin.webNonce}`, appClient.client_id)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  expect(await exchangeRaw('', appClient.client_id)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
});

test('a client of another virtual server cannot exchange this server\'s nonce', async () => {
  const res = await fetch(`${env.server.url}/servers`, {
    method: 'POST',
    headers: { 'X-apikey': env.server.rootApiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ serverName: 'Elsewhere', pingTime: 30 }),
  });
  expect(res.status).toBe(200);
  const { serverid } = await res.json();
  const foreignClient = await registerClient(env.server, appMetadata('Foreign app'), serverid);
  const session = await appLogin();
  await expect(session.getToken({ clientId: foreignClient.client_id })).rejects.toMatchObject(refused('invalid_grant'));
  // The nonce itself is unharmed: this server's app still gets its token.
  await expect(session.getToken({ clientId: appClient.client_id })).resolves.toMatchObject({ tokenType: 'Bearer' });
});

// oidc-provider answers invalid_request, not RFC 6749's unauthorized_client, for a grant type the
// client did not register.
test('unknown clients are invalid_client; a client without the token-exchange grant is refused', async () => {
  const codeFlowClient = await registerClient(env.server, {
    client_name: 'Web RP',
    redirect_uris: ['https://rp.example/callback'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'none',
  });
  const session = await appLogin();
  await expect(session.getToken({ clientId: 'no-such-client' })).rejects.toMatchObject(refused('invalid_client'));
  await expect(session.getToken({ clientId: codeFlowClient.client_id })).rejects.toMatchObject(refused('invalid_request'));
});

test('getToken needs an ACTIVE AppLogin and a client id', async () => {
  const { session: webLogin } = await login(auth, env.rp);
  expect(webLogin.state).toBe('ACTIVE');  // a continuous login, but no AppLogin
  env.closeAfterTest({ close: () => webLogin.stopSession() });
  await expect(webLogin.getToken({ clientId: appClient.client_id })).rejects.toMatchObject({ code: 'WRONG_STATE', kind: 'misuse' });
  const session = await appLogin();
  await expect(session.getToken()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', kind: 'misuse' });
  await expect(session.getToken({})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', kind: 'misuse' });
  await expect(session.getToken({ clientId: appClient.client_id, issuer: 'ftp://example.com/oidc' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  const aborted = AbortSignal.abort(new Error('the user left the screen'));
  await expect(session.getToken({ clientId: appClient.client_id, signal: aborted })).rejects.toThrow('the user left the screen');
});

test('the server unreachable: NETWORK_ERROR, refused at once or after requestTimeout', async () => {
  const session = await appLogin();
  const closed = http.createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = closed.address().port;
  await new Promise((resolve) => closed.close(resolve));
  const network = { code: 'NETWORK_ERROR', numericCode: 2, kind: 'network' };
  await expect(session.getToken({ clientId: appClient.client_id, issuer: `http://127.0.0.1:${closedPort}/oidc` })).rejects.toMatchObject(network);

  await session.getToken({ clientId: appClient.client_id });  // the token endpoint is discovered by now
  await env.server.pause();
  try {
    const t0 = Date.now();
    const err = await session.getToken({ clientId: appClient.client_id }).catch((e) => e);
    expect(err).toMatchObject(network);
    expect(err.message).toContain(`within ${REQUEST_TIMEOUT_MS} ms`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
  } finally {
    await env.server.resume();
  }
  await expect(session.getToken({ clientId: appClient.client_id })).resolves.toMatchObject({ tokenType: 'Bearer' });
});

describe('a fake provider', () => {
  const fakeJwt = 'eyJhbGciOiJub25lIn0.e30.c2ln';
  const goodToken = { access_token: fakeJwt, id_token: fakeJwt, token_type: 'Bearer', expires_in: 600, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', scope: 'openid' };
  /** Per case (the first path segment): its discovery document and its token endpoint's answer. */
  const cases = {
    good: { token: [200, JSON.stringify(goodToken)] },
    truncated: { token: [200, JSON.stringify(goodToken).slice(0, 40)] },
    'not-json': { token: [200, 'ok'] },
    'no-access-token': { token: [200, JSON.stringify({ ...goodToken, access_token: undefined })] },
    'no-id-token': { token: [200, JSON.stringify({ ...goodToken, id_token: '' })] },
    'bad-expiry': { token: [200, JSON.stringify({ ...goodToken, expires_in: '600' })] },
    'mac-token': { token: [200, JSON.stringify({ ...goodToken, token_type: 'MAC' })] },
    'proxy-page': { token: [502, '<html>Bad gateway</html>'] },
    'odd-error': { token: [400, JSON.stringify({ error: 'bad"quote' })] },
    'other-issuer': { issuer: 'https://idp.example/oidc', token: [200, JSON.stringify(goodToken)] },
    'foreign-endpoint': { tokenEndpoint: 'https://collector.example/token', token: [200, JSON.stringify(goodToken)] },
    'no-provider': { discovery: 404 },
  };
  let fake;
  let requests;
  let forms;

  beforeEach(async () => {
    requests = [];
    forms = [];
    fake = await listen((req, res) => {
      const [, name, ...rest] = new URL(req.url, 'http://fake').pathname.split('/');
      const path = rest.join('/');
      const c = cases[name];
      requests.push(`${req.method} /${name}/${path}`);
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        if (path === 'oidc/.well-known/openid-configuration') {
          if (c.discovery) return res.writeHead(c.discovery).end();
          const iss = c.issuer ?? `${fake}/${name}/oidc`;
          return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: iss, token_endpoint: c.tokenEndpoint ?? `${fake}/${name}/oidc/token` }));
        }
        forms.push(Object.fromEntries(new URLSearchParams(body)));
        res.writeHead(c.token[0], { 'content-type': 'application/json' }).end(c.token[1]);
      });
    });
  });

  const getToken = (session, name) => session.getToken({ clientId: 'app', issuer: `${fake}/${name}/oidc` });

  test('a well-formed answer is taken; discovery is asked once per issuer', async () => {
    const session = await appLogin();
    await expect(getToken(session, 'good')).resolves.toMatchObject({ accessToken: fakeJwt, expiresIn: 600, scope: 'openid' });
    await getToken(session, 'good');
    expect(requests).toEqual(['GET /good/oidc/.well-known/openid-configuration', 'POST /good/oidc/token', 'POST /good/oidc/token']);
    expect(forms[0]).toEqual({ grant_type: TOKEN_EXCHANGE, client_id: 'app', subject_token: session.appLogin.webNonce, subject_token_type: WEB_NONCE });
  });

  test.each(['truncated', 'not-json', 'no-access-token', 'no-id-token', 'bad-expiry', 'mac-token', 'other-issuer', 'foreign-endpoint'])('%s: BAD_RESPONSE', async (name) => {
    const session = await appLogin();
    await expect(getToken(session, name)).rejects.toMatchObject({ code: 'BAD_RESPONSE', numericCode: 67, kind: 'security' });
    // A discovery that failed is not cached, and nothing went to an endpoint elsewhere.
    if (name === 'other-issuer' || name === 'foreign-endpoint') expect(requests).toEqual([`GET /${name}/oidc/.well-known/openid-configuration`]);
  });

  test.each(['proxy-page', 'odd-error', 'no-provider'])('%s: SERVER_UNKNOWN_ERROR', async (name) => {
    const session = await appLogin();
    await expect(getToken(session, name)).rejects.toMatchObject({ code: 'SERVER_UNKNOWN_ERROR', numericCode: 51, kind: 'remote' });
  });
});
