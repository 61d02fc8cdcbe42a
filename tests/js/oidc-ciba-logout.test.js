// Sign in with Tapgate beyond the code flow: CIBA in poll and ping mode (a push login to the
// user's device through the local relay; the binding message on the device; approve, deny,
// expire), and logout both ways (RP-initiated logout ends the device's session; the device ending
// it sends a back-channel logout token to the client and revokes its tokens).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const { createRemoteJWKSet, jwtVerify } = require('jose');
const { Authenticator, LocalPushRelay } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { nextEvent, reach } = require('./helpers/rp');
const { PIN, enrol, eventually } = require('./helpers/flows');
const { registerClient, discover, signInWith, startSignIn, client } = require('./helpers/oidc');

// The client's endpoints must be https (CIBA ping): a certificate of this run, which the server trusts.
const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oidc-client-cert-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost',
  '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem')], { stdio: 'ignore' });
const env = useServer({ env: { TAPGATE_OIDC: '1', TAPGATE_OIDC_CALLBACK_HOSTS: 'localhost', NODE_EXTRA_CA_CERTS: path.join(certDir, 'cert.pem') } });
const REDIRECT = 'https://rp.example/callback';
const CIBA = 'urn:openid:params:grant-type:ciba';

/** A client's own endpoint (ping notifications, back-channel logout): records what arrives. */
function clientEndpoint() {
  const received = [];
  const tls = { key: fs.readFileSync(path.join(certDir, 'key.pem')), cert: fs.readFileSync(path.join(certDir, 'cert.pem')) };
  const srv = https.createServer(tls, (req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ path: req.url, headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({
    url: `https://localhost:${srv.address().port}`,
    received,
    close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(r); }),
  })));
}

let bob;
let endpoint;
let pollClient;

beforeAll(async () => {
  await env.rp.updateServer({ pingTime: 60 });
  bob = await Authenticator.create();
  await enrol(bob, env.rp, { userid: 'bob' });
  bob.relay = await LocalPushRelay.connect(bob, { url: `${env.server.url}/relay/v1`, intervalMs: 50 });
  endpoint = await clientEndpoint();
  const registered = await registerClient(env.server, {
    client_name: 'Backchannel RP',
    redirect_uris: [REDIRECT],
    post_logout_redirect_uris: ['https://rp.example/bye'],
    grant_types: ['authorization_code', CIBA],
    backchannel_token_delivery_mode: 'poll',
    backchannel_logout_uri: `${endpoint.url}/logout`,
    backchannel_logout_session_required: true,
  });
  pollClient = await discover(env.server, registered);
  pollClient.registered = registered;
});
afterAll(async () => {
  await bob?.relay?.close();
  await bob?.close();
  await endpoint?.close();
  fs.rmSync(certDir, { recursive: true, force: true });
});

/** The push login the device receives, at its PIN prompt. */
async function pushedSession() {
  const { session } = await nextEvent(bob, 'session');
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  return session;
}

describe('CIBA', () => {
  test('poll: the push reaches the device with the binding message; approved with the PIN, the client gets tokens', async () => {
    const pushed = pushedSession();
    const request = await client.initiateBackchannelAuthentication(pollClient, { scope: 'openid profile', login_hint: 'bob', binding_message: 'Pay 12.50 EUR #4711' });
    expect(request.auth_req_id).toBeTruthy();
    const session = await pushed;
    expect(session.announceInfo.info).toEqual({ Application: 'Backchannel RP', 'Binding message': 'Pay 12.50 EUR #4711' });
    // Pending until the user answers.
    await expect(client.genericGrantRequest(pollClient, CIBA, { auth_req_id: request.auth_req_id })).rejects.toMatchObject({ error: 'authorization_pending' });
    expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
    const tokens = await client.pollBackchannelAuthenticationGrant(pollClient, { ...request, interval: 0.1 });
    expect(tokens.claims()).toMatchObject({ sub: 'bob', aud: pollClient.registered.client_id, amr: ['pop', 'pin', 'mfa'], acr: 'urn:tapgate:acr:device-key' });
    expect(await client.fetchUserInfo(pollClient, tokens.access_token, 'bob')).toEqual({ sub: 'bob', preferred_username: 'bob' });
  });

  test('poll: the user denies on the device: access_denied', async () => {
    const pushed = pushedSession();
    const request = await client.initiateBackchannelAuthentication(pollClient, { scope: 'openid', login_hint: 'bob' });
    await (await pushed).stopSession();
    await expect(client.pollBackchannelAuthenticationGrant(pollClient, { ...request, interval: 0.1 })).rejects.toMatchObject({ error: 'access_denied' });
  });

  test('poll: nobody answers: expired_token', async () => {
    const pushed = pushedSession();
    const request = await client.initiateBackchannelAuthentication(pollClient, { scope: 'openid', login_hint: 'bob', requested_expiry: '2' });
    expect(request.expires_in).toBe(2);
    await pushed;
    await new Promise((r) => setTimeout(r, 2200));
    await expect(client.genericGrantRequest(pollClient, CIBA, { auth_req_id: request.auth_req_id })).rejects.toMatchObject({ error: 'expired_token' });
  });

  test('ping: the provider notifies the client endpoint, which then fetches the tokens', async () => {
    const registered = await registerClient(env.server, {
      client_name: 'Ping RP',
      redirect_uris: [REDIRECT],
      grant_types: [CIBA],
      backchannel_token_delivery_mode: 'ping',
      backchannel_client_notification_endpoint: `${endpoint.url}/ping`,
    });
    const ping = await discover(env.server, registered);
    const pushed = pushedSession();
    const request = await client.initiateBackchannelAuthentication(ping, { scope: 'openid', login_hint: 'bob', client_notification_token: 'ping-token-1234567890' });
    await (await pushed).setPinBiometric({ pin: PIN });
    const note = await eventually(() => endpoint.received.find((r) => r.path === '/ping'));
    expect(note.headers.authorization).toBe('Bearer ping-token-1234567890');
    expect(JSON.parse(note.body)).toEqual({ auth_req_id: request.auth_req_id });
    const tokens = await client.genericGrantRequest(ping, CIBA, { auth_req_id: request.auth_req_id });
    expect(tokens.claims().sub).toBe('bob');
  });

  test('attacker: unknown users, another server\'s users and bad binding messages are refused before any push', async () => {
    await expect(client.initiateBackchannelAuthentication(pollClient, { scope: 'openid', login_hint: 'mallory' })).rejects.toMatchObject({ error: 'unknown_user_id' });
    await expect(client.initiateBackchannelAuthentication(pollClient, { scope: 'openid', login_hint: 'bob', binding_message: 'line\nbreak' })).rejects.toMatchObject({ error: 'invalid_binding_message' });
    await expect(client.initiateBackchannelAuthentication(pollClient, { scope: 'openid', login_hint: 'bob', binding_message: 'x'.repeat(65) })).rejects.toMatchObject({ error: 'invalid_binding_message' });
    // A client of another virtual server cannot reach this server's users.
    const created = await (await fetch(`${env.server.url}/servers`, { method: 'POST', headers: { 'X-apikey': env.server.rootApiKey, 'content-type': 'application/json' }, body: JSON.stringify({ serverName: 'Other' }) })).json();
    const foreign = await discover(env.server, await registerClient(env.server, { client_name: 'Other RP', redirect_uris: [REDIRECT], grant_types: [CIBA], backchannel_token_delivery_mode: 'poll' }, created.serverid));
    await expect(client.initiateBackchannelAuthentication(foreign, { scope: 'openid', login_hint: 'bob' })).rejects.toMatchObject({ error: 'unknown_user_id' });
  });
});

/** A code-flow sign-in of bob; the device's session is a continuous login (pingTime > 0). */
async function signIn() {
  const signedIn = await signInWith(bob, pollClient, REDIRECT, { params: { scope: 'openid' } });
  expect(signedIn.session.state).toBe('ACTIVE');
  return signedIn;
}

describe('the login page\'s push', () => {
  test('login_hint names the user: the page offers a push; the phone shows the page\'s code; one push per sign-in', async () => {
    const { b, page, codeVerifier, nonce, state } = await startSignIn(pollClient, REDIRECT, { scope: 'openid', login_hint: 'bob' });
    expect(page.text).toContain('Send a login request to my phone');
    const base = page.url.pathname;
    const pushed = pushedSession();
    const sent = await b.form(new URL(`${base}/push`, page.url), {});
    const code = /class="code">(\d{4})</.exec(sent.text)[1];
    const session = await pushed;
    expect(session.announceInfo.info).toEqual({ Application: 'Backchannel RP', Code: code });
    // A second push from the same page is not sent.
    let extra = 0;
    const count = () => { extra += 1; };
    bob.addEventListener('session', count);
    await b.form(new URL(`${base}/push`, page.url), {});
    await new Promise((r) => setTimeout(r, 300));
    bob.removeEventListener('session', count);
    expect(extra).toBe(0);
    await session.setPinBiometric({ pin: PIN });
    const done = await b.form(new URL(`${base}/login`, page.url), {}, REDIRECT);
    const tokens = await client.authorizationCodeGrant(pollClient, done.stoppedAt, { pkceCodeVerifier: codeVerifier, expectedNonce: nonce, expectedState: state });
    expect(tokens.claims().sub).toBe('bob');
  });

  test('a login_hint of a user who cannot get pushes (or of nobody) shows no push button', async () => {
    for (const hint of ['nobody', 'x'.repeat(300)]) {
      const { page } = await startSignIn(pollClient, REDIRECT, { scope: 'openid', login_hint: hint });
      expect(page.text).toContain('Scan this code');
      expect(page.text).not.toContain('Send a login request');
    }
  });
});

/** The sid a back-channel logout notice names (its signature is checked where it matters). */
const sidOfNotice = (r) => JSON.parse(Buffer.from(new URLSearchParams(r.body).get('logout_token').split('.')[1], 'base64url')).sid;

describe('logout', () => {
  test('RP-initiated logout ends the device\'s Tapgate session', async () => {
    const { b, tokens, session } = await signIn();
    const end = client.buildEndSessionUrl(pollClient, { id_token_hint: tokens.id_token, post_logout_redirect_uri: 'https://rp.example/bye', state: 'bye' });
    const confirm = await b.go(end, {}, 'https://rp.example/bye');
    expect(confirm.text).toContain('Sign out of Tapgate?');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.text)[1];
    const done = await b.form(new URL('/oidc/session/end/confirm', env.server.url), { xsrf, logout: 'yes' }, 'https://rp.example/bye');
    expect(done.stoppedAt.searchParams.get('state')).toBe('bye');
    await session.finished;
    expect(session.historyStatus).toBe('LOGGED_OUT');
  });

  test('the device logs out: a back-channel logout token reaches the client and its tokens stop working', async () => {
    const { tokens, session } = await signIn();
    const sid = tokens.claims().sid;
    expect(sid).toBeTruthy();
    const before = endpoint.received.length;
    await session.stopSession();
    const note = await eventually(() => endpoint.received.slice(before).find((r) => r.path === '/logout' && sidOfNotice(r) === sid));
    const logoutToken = new URLSearchParams(note.body).get('logout_token');
    const jwks = createRemoteJWKSet(new URL(pollClient.serverMetadata().jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(logoutToken, jwks, { issuer: `${env.server.url}/oidc`, audience: pollClient.registered.client_id });
    expect(protectedHeader.typ).toBe('logout+jwt');
    expect(payload).toMatchObject({ sub: 'bob', sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
    await eventually(async () => {
      try {
        await client.fetchUserInfo(pollClient, tokens.access_token, 'bob');
        return false;
      } catch (err) {
        return err.status === 401 || err.error === 'invalid_token';
      }
    });
  });

  test('the relying party\'s API ends the Tapgate session (blocking the account): back-channel logout, tokens revoked', async () => {
    const { tokens, session } = await signIn();
    const { accounts } = await env.rp.accounts();
    const id = accounts.find((a) => a.userid === 'bob').id;
    const block = (blocked) => fetch(`${env.server.url}/servers/${env.server.serverId}/accounts/${id}?blocked=${blocked}`, { method: 'PUT', headers: { 'X-apikey': env.server.rootApiKey } });
    const before = endpoint.received.length;
    expect((await block(true)).status).toBe(200);
    try {
      // Blocking ends every session of bob's account: the notice for this sign-in's sid must be among them.
      const jwks = createRemoteJWKSet(new URL(pollClient.serverMetadata().jwks_uri));
      const note = await eventually(() => endpoint.received.slice(before).find((r) => r.path === '/logout' && sidOfNotice(r) === tokens.claims().sid));
      const { payload } = await jwtVerify(new URLSearchParams(note.body).get('logout_token'), jwks, { issuer: `${env.server.url}/oidc`, audience: pollClient.registered.client_id });
      expect(payload).toMatchObject({ sub: 'bob', sid: tokens.claims().sid });
      await expect(client.fetchUserInfo(pollClient, tokens.access_token, 'bob')).rejects.toBeDefined();
      await session.finished;
      expect(session.historyStatus).toBe('LOGGED_OUT');
    } finally {
      expect((await block(false)).status).toBe(200);
    }
  });
});
