// FCM (HTTP v1) and APNs (HTTP/2) from the reference server, against a local TLS stand-in for
// Google's token endpoint, FCM and APNs (helpers/native-push-service.js): a server process
// configured by its CLI settings signs its OAuth grant (RS256) and APNs provider token (ES256) —
// checked here with the public keys — and delivers the sealed message of a real login push to a
// real Node SDK authenticator enrolled with an "fcm:"/"apns:" token, which logs in with it. Gone
// tokens are forgotten; 5xx answers are retried, then logged without secrets. No real Google or
// Apple endpoint is reached (docs/server-api.md §2).
'use strict';
const { spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { REPO_ROOT } = require('./helpers/server-process');
const { useServer } = require('./helpers/fixture');
const { relyingParty, nextEvent, reach } = require('./helpers/rp');
const { PIN, enrol, login, eventually } = require('./helpers/flows');
const { startNativePushService, serviceAccount, apnsKey, verifyJwt } = require('./helpers/native-push-service');
const { sampleValue, scrapeMetrics } = require('./helpers/prometheus');

jest.setTimeout(60_000);

const METRICS_TOKEN = 'push-adapters-metrics-token';
const KEY_ID = 'ABC123DEFG';
const TEAM_ID = 'DEF123GHIJ';
const TOPIC = 'com.example.tapgate';
const fcmToken = () => `${randomBytes(11).toString('base64url')}:APA91b${randomBytes(100).toString('base64url')}`;
const apnsToken = () => randomBytes(32).toString('hex');

// Device tokens the stand-in answers with an error, by name.
const FCM_UNREGISTERED = fcmToken();
const FCM_INVALID = fcmToken();
const FCM_BUSY = fcmToken();
const APNS_GONE = apnsToken();
const APNS_BAD = apnsToken();
const APNS_BUSY = apnsToken();
const fcmError = (status, code, extra = []) => ({
  error: { code: status, status: code, message: 'a message FCM would write',
    details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: code }, ...extra] },
});
const expiredOnce = new Set();  // APNs tokens whose first try is refused with ExpiredProviderToken
function answerFor({ kind, token, attempt }) {
  if (kind === 'apns' && expiredOnce.has(token) && attempt === 1) return { status: 403, json: { reason: 'ExpiredProviderToken' } };
  if (kind === 'fcm' && token === FCM_UNREGISTERED) return { status: 404, json: fcmError(404, 'UNREGISTERED') };
  if (kind === 'fcm' && token === FCM_INVALID) {
    return { status: 400, json: fcmError(400, 'INVALID_ARGUMENT', [{ '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: [{ field: 'message.token', description: 'Invalid registration token' }] }]) };
  }
  if (kind === 'fcm' && token === FCM_BUSY) return { status: 503, json: fcmError(503, 'UNAVAILABLE'), headers: { 'retry-after': '0' } };
  if (kind === 'apns' && token === APNS_GONE) return { status: 410, json: { reason: 'Unregistered', timestamp: Date.now() } };
  if (kind === 'apns' && token === APNS_BAD) return { status: 400, json: { reason: 'BadDeviceToken' } };
  if (kind === 'apns' && token === APNS_BUSY) return { status: 500, json: { reason: 'InternalServerError' }, headers: { 'retry-after': '0' } };
  return null;
}

let service;
let account;
let apns;
let dir;

async function device(userid, token) {
  const auth = await env.enrolled({ userid });
  await auth.updatePushToken(token);
  return auth;
}
const pushOf = async (auth) => (await env.rp.accounts()).accounts.find((a) => a.id === auth.accounts[0].accountId).push;

// The stand-in service and the key files come first: the server's settings name them.
const env = useServer(async () => {
  service = await startNativePushService({ answerFor, grantPublicKey: () => account.publicKey });
  env.closeAfterFile(() => service.close());  // after the server
  // The key file names Google's real token endpoint; the setting overrides it, as in tests.
  account = serviceAccount('https://oauth2.googleapis.com/token');
  apns = apnsKey();
  dir = env.tempDir('tapgate-push-adapters-');
  fs.writeFileSync(path.join(dir, 'service-account.json'), JSON.stringify(account.json));
  fs.writeFileSync(path.join(dir, 'AuthKey.p8'), apns.p8);
  return {
    env: {
      NODE_EXTRA_CA_CERTS: service.certPath,  // trust the stand-in's self-signed certificate
      TAPGATE_FCM_SERVICE_ACCOUNT: path.join(dir, 'service-account.json'),
      TAPGATE_FCM_API_URL: service.origin,
      TAPGATE_FCM_TOKEN_URL: `${service.origin}/token`,
      TAPGATE_APNS_KEY: path.join(dir, 'AuthKey.p8'),
      TAPGATE_APNS_KEY_ID: KEY_ID,
      TAPGATE_APNS_TEAM_ID: TEAM_ID,
      TAPGATE_APNS_TOPIC: TOPIC,
      TAPGATE_APNS_URL: service.origin,
      TAPGATE_METRICS_TOKEN: METRICS_TOKEN,
    },
  };
});

describe('FCM HTTP v1', () => {
  let auth;
  let token;
  beforeAll(async () => {
    token = fcmToken();
    auth = await device('fiona', `fcm:${token}`);
  });

  test('the account is an FCM account; a note goes through an RS256-signed grant and arrives as a data message', async () => {
    expect(await pushOf(auth)).toBe('fcm');
    const from = service.received.length;
    await env.rp.sendMessage(auth.accounts[0].accountId, 'hello through FCM');
    const sent = await service.next((r) => r.kind === 'fcm' && r.token === token, from);

    // The grant: an RS256 JWT from the service account, for the messaging scope, to the token endpoint.
    const grant = service.received.find((r) => r.kind === 'token');
    expect(grant.form.grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(grant.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const { header, claims } = verifyJwt(grant.form.assertion, account.publicKey, 'RS256');
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: account.json.private_key_id });
    expect(claims).toEqual({
      iss: account.json.client_email,
      scope: 'https://www.googleapis.com/auth/firebase.messaging',
      aud: `${service.origin}/token`,
      iat: expect.any(Number),
      exp: claims.iat + 3600,
    });
    expect(Math.abs(claims.iat * 1000 - Date.now())).toBeLessThan(60_000);

    // The send: the access token just issued, the project of the key file, the token without its prefix.
    expect(sent.path).toBe('/v1/projects/tapgate-test/messages:send');
    expect(sent.headers.authorization).toBe(`Bearer ${grant.accessToken}`);
    expect(sent.headers['content-type']).toMatch(/^application\/json/);
    expect(sent.message).toEqual({
      token,
      data: { tapgate: expect.stringMatching(/^[A-Za-z0-9_-]+$/) },
      android: { priority: 'high', ttl: '600s' },
    });
    const note = nextEvent(auth, 'message');
    expect(await auth.processPush(sent.message.data)).toBeNull();
    expect((await note).message.text).toBe('hello through FCM');
  });

  test('a push login through FCM starts a session that logs in; the access token is reused', async () => {
    const grants = service.received.filter((r) => r.kind === 'token').length;
    const { nonce } = await login(auth, env.rp);
    const from = service.received.length;
    expect((await env.rp.provokeLogin(nonce)).status).toBe(200);
    const sent = await service.next((r) => r.kind === 'fcm' && r.token === token, from);
    // FCM data messages hold at most 4000 bytes; the sealed login push fits with room to spare.
    expect(Buffer.byteLength(JSON.stringify(sent.message.data))).toBeLessThan(4000);
    const session = await auth.processPush(sent.message.data);
    expect(session).not.toBeNull();
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
    expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
    expect(service.received.filter((r) => r.kind === 'token').length).toBe(grants);
  });

  test('a token FCM reports UNREGISTERED (404) or invalid (400 on message.token) is forgotten', async () => {
    for (const [userid, gone] of [['gina', FCM_UNREGISTERED], ['hugo', FCM_INVALID]]) {
      const d = await device(userid, `fcm:${gone}`);
      expect(await pushOf(d)).toBe('fcm');
      const from = service.received.length;
      await env.rp.sendMessage(d.accounts[0].accountId, 'to a gone token');
      await service.next((r) => r.kind === 'fcm' && r.token === gone, from);
      await eventually(async () => (await pushOf(d)) === null);
      // The message itself is not lost: the app pulls it.
      const notes = [];
      d.addEventListener('message', (e) => notes.push(e.detail.message.text));
      await d.retrieveMessages();
      expect(notes).toEqual(['to a gone token']);
    }
    const { stderr } = env.server.output();
    expect(stderr).toContain('fcm: the token is gone (HTTP 404 UNREGISTERED); forgotten');
    expect(stderr).toContain('fcm: the token is gone (HTTP 400 INVALID_ARGUMENT); forgotten');
  });
});

describe('APNs', () => {
  let auth;
  let token;
  beforeAll(async () => {
    token = apnsToken();
    auth = await device('arthur', `apns:${token}`);
  });

  test('the account is an APNs account; a note goes over HTTP/2 with an ES256 provider token and the APNs headers', async () => {
    expect(await pushOf(auth)).toBe('apns');
    const from = service.received.length;
    await env.rp.sendMessage(auth.accounts[0].accountId, 'hello through APNs');
    const sent = await service.next((r) => r.kind === 'apns' && r.token === token, from);
    expect(sent.httpVersion).toBe('2.0');
    expect(sent.path).toBe(`/3/device/${token}`);
    expect(sent.headers).toMatchObject({
      'apns-topic': TOPIC,
      'apns-push-type': 'alert',
      'apns-priority': '10',
      'content-type': 'application/json',
    });
    const expiration = Number(sent.headers['apns-expiration']);
    expect(Math.abs(expiration - (Date.now() / 1000 + 600))).toBeLessThan(60);
    const jwt = /^bearer (.+)$/.exec(sent.headers.authorization)[1];
    const { header, claims } = verifyJwt(jwt, apns.publicKey, 'ES256');
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: KEY_ID });
    expect(claims).toEqual({ iss: TEAM_ID, iat: expect.any(Number) });
    expect(Math.abs(claims.iat * 1000 - Date.now())).toBeLessThan(60_000);

    expect(sent.payload).toEqual({
      aps: { alert: { title: expect.any(String), body: expect.any(String) }, sound: 'default', 'mutable-content': 1 },
      tapgate: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
    });
    // The userInfo as the app receives it (aps included) is what processPush takes.
    const note = nextEvent(auth, 'message');
    expect(await auth.processPush(sent.payload)).toBeNull();
    expect((await note).message.text).toBe('hello through APNs');
  });

  test('a push login through APNs starts a session that logs in; the provider token is reused', async () => {
    const { nonce } = await login(auth, env.rp);
    const from = service.received.length;
    expect((await env.rp.provokeLogin(nonce)).status).toBe(200);
    const sent = await service.next((r) => r.kind === 'apns' && r.token === token, from);
    expect(Buffer.byteLength(sent.body)).toBeLessThan(4096);  // APNs' payload limit
    const session = await auth.processPush(sent.payload);
    expect(session).not.toBeNull();
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
    expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
    const jwts = new Set(service.received.filter((r) => r.kind === 'apns' && r.token === token).map((r) => r.headers.authorization));
    expect(jwts.size).toBe(1);
  });

  test('a token APNs reports gone (410 Unregistered, 400 BadDeviceToken) is forgotten', async () => {
    for (const [userid, gone] of [['ida', APNS_GONE], ['jon', APNS_BAD]]) {
      const d = await device(userid, `apns:${gone}`);
      const from = service.received.length;
      await env.rp.sendMessage(d.accounts[0].accountId, 'to a gone token');
      await service.next((r) => r.kind === 'apns' && r.token === gone, from);
      await eventually(async () => (await pushOf(d)) === null);
    }
    const { stderr } = env.server.output();
    expect(stderr).toContain('apns: the token is gone (HTTP 410 Unregistered); forgotten');
    expect(stderr).toContain('apns: the token is gone (HTTP 400 BadDeviceToken); forgotten');
  });
});

test('5xx answers are retried, then logged without secrets; the server carries on and keeps the tokens', async () => {
  const fcmBusy = await device('kim', `fcm:${FCM_BUSY}`);
  const apnsBusy = await device('lev', `apns:${APNS_BUSY}`);
  const from = service.received.length;
  await env.rp.sendMessage(fcmBusy.accounts[0].accountId, 'to a busy FCM');
  await env.rp.sendMessage(apnsBusy.accounts[0].accountId, 'to a busy APNs');
  await service.next((r) => r.kind === 'fcm' && r.token === FCM_BUSY && r.attempt === 3, from);
  await service.next((r) => r.kind === 'apns' && r.token === APNS_BUSY && r.attempt === 3, from);
  await eventually(() => /fcm: HTTP 503 UNAVAILABLE after 3 attempts/.test(env.server.output().stderr) &&
    /apns: HTTP 500 InternalServerError after 3 attempts/.test(env.server.output().stderr));
  expect(service.received.filter((r) => r.token === FCM_BUSY || r.token === APNS_BUSY).length).toBe(6);

  expect(await pushOf(fcmBusy)).toBe('fcm');  // a busy service is no reason to drop a token
  expect(await pushOf(apnsBusy)).toBe('apns');
  expect((await fetch(`${env.server.url}/healthz`)).status).toBeLessThan(500);

  const { stdout, stderr } = env.server.output();
  const secrets = [
    FCM_BUSY, APNS_BUSY, FCM_UNREGISTERED, FCM_INVALID, APNS_GONE, APNS_BAD,
    account.json.private_key.split('\n')[1], apns.p8.split('\n')[1], account.json.private_key_id,
    ...service.received.filter((r) => r.kind === 'token').flatMap((r) => [r.accessToken, r.form.assertion]),
    ...service.received.filter((r) => r.kind === 'apns').map((r) => r.headers.authorization.slice(7)),
    ...service.received.filter((r) => r.kind === 'fcm').map((r) => r.message.data.tapgate),
    'a message FCM would write',
  ];
  for (const secret of secrets) {
    expect(stderr).not.toContain(secret);
    expect(stdout).not.toContain(secret);
  }
});

test('GET /metrics counts deliveries and failures by sender (tapgate_push_deliveries_total)', async () => {
  const fcmOk = await device('mira', `fcm:${fcmToken()}`);
  const apnsOk = await device('milo', `apns:${apnsToken()}`);
  const fcmBusy = await device('mads', `fcm:${FCM_BUSY}`);
  const before = await scrapeMetrics(env.server.url, METRICS_TOKEN);
  for (const d of [fcmOk, apnsOk, fcmBusy]) await env.rp.sendMessage(d.accounts[0].accountId, 'counted');
  const delta = (samples, sender, outcome) => sampleValue(samples, 'tapgate_push_deliveries_total', { sender, outcome }) - sampleValue(before, 'tapgate_push_deliveries_total', { sender, outcome });
  let after;
  await eventually(async () => {
    after = await scrapeMetrics(env.server.url, METRICS_TOKEN);
    return delta(after, 'fcm', 'failed') === 1;  // the busy FCM token, once its 3 attempts are spent
  });
  expect({ fcm: delta(after, 'fcm', 'delivered'), apns: delta(after, 'apns', 'delivered'), apnsFailed: delta(after, 'apns', 'failed') }).toEqual({ fcm: 1, apns: 1, apnsFailed: 0 });
});

test('FcmSender keeps its access token until a minute before expiry, and renews it after a 401', async () => {
  const { FcmSender } = require('@tapgate/server');
  let now = Date.now();
  const sender = new FcmSender({
    serviceAccount: JSON.stringify({ ...account.json, token_uri: `${service.origin}/token` }),
    apiBase: service.origin,
    ca: service.cert,
    now: () => now,
  });
  const grants = () => service.received.filter((r) => r.kind === 'token').length;
  const before = grants();
  const token = fcmToken();
  await sender.deliver(`fcm:${token}`, 'AAAA');
  await sender.deliver(`fcm:${token}`, 'AAAA');
  expect(grants()).toBe(before + 1);
  now += 3600_000 - 61_000;  // still more than a minute left
  await sender.deliver(`fcm:${token}`, 'AAAA');
  expect(grants()).toBe(before + 1);
  now += 2_000;
  await sender.deliver(`fcm:${token}`, 'AAAA');
  expect(grants()).toBe(before + 2);
  service.revokeAccessTokens();  // FCM answers 401 to the cached token: one new grant, one retry
  await sender.deliver(`fcm:${token}`, 'AAAA');
  expect(grants()).toBe(before + 3);

  await expect(sender.deliver('fcm:not a token', 'AAAA')).rejects.toMatchObject({ name: 'PushDeliveryError', sender: 'fcm' });
  await expect(sender.deliver(`fcm:${FCM_BUSY}`, 'AAAA')).rejects.toMatchObject({ status: 503, reason: 'UNAVAILABLE', retryable: true });
});

test('ApnsSender keeps its provider token for 50 minutes, and renews it when APNs says it expired', async () => {
  const { ApnsSender } = require('@tapgate/server');
  let now = Date.now();
  const expired = apnsToken();
  const sender = new ApnsSender({ key: apns.p8, keyId: KEY_ID, teamId: TEAM_ID, topic: TOPIC, url: service.origin, ca: service.cert, pushType: 'background', now: () => now });
  try {
    const token = apnsToken();
    const jwts = () => service.received.filter((r) => r.token === token).map((r) => verifyJwt(r.headers.authorization.slice(7), apns.publicKey, 'ES256').claims.iat);
    await sender.deliver(`apns:${token}`, 'AAAA');
    now += 50 * 60_000 - 1;
    await sender.deliver(`apns:${token}`, 'AAAA');
    now += 1;
    await sender.deliver(`apns:${token}`, 'AAAA');
    const iats = jwts();
    expect(iats[1]).toBe(iats[0]);
    expect(iats[2]).toBe(iats[0] + 3000);
    const bg = service.received.filter((r) => r.token === token).at(-1);
    expect(bg.headers).toMatchObject({ 'apns-push-type': 'background', 'apns-priority': '5' });
    expect(bg.payload).toEqual({ aps: { 'content-available': 1 }, tapgate: 'AAAA' });

    await expect(sender.deliver('apns:../../3/device/x', 'AAAA')).rejects.toMatchObject({ name: 'PushDeliveryError', sender: 'apns' });
  } finally {
    sender.close();
  }
  // ExpiredProviderToken: one fresh provider token, one retry (the stand-in refuses the first try only).
  const sender2 = new ApnsSender({ key: apns.p8, keyId: KEY_ID, teamId: TEAM_ID, topic: TOPIC, url: service.origin, ca: service.cert });
  try {
    expiredOnce.add(expired);
    await sender2.deliver(`apns:${expired}`, 'AAAA');
    const tries = service.received.filter((r) => r.token === expired);
    expect(tries).toHaveLength(2);
    expect(tries[1].headers.authorization).not.toBe(tries[0].headers.authorization);
  } finally {
    sender2.close();
  }
});
test('an unreachable service and a refused service account are typed failures, not crashes', async () => {
  const { FcmSender, ApnsSender } = require('@tapgate/server');
  const net = require('node:net');
  const closed = await new Promise((resolve) => {  // a port nobody listens on
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const retry = { attempts: 2, baseDelayMs: 10 };
  const fcmDown = new FcmSender({ serviceAccount: account.json, tokenUrl: `https://127.0.0.1:${closed}/token`, apiBase: service.origin, ca: service.cert, retry });
  await expect(fcmDown.deliver(`fcm:${fcmToken()}`, 'AAAA')).rejects.toMatchObject({
    name: 'PushDeliveryError', sender: 'fcm', retryable: true, message: 'fcm: token endpoint: network error ECONNREFUSED',
  });
  const apnsDown = new ApnsSender({ key: apns.p8, keyId: KEY_ID, teamId: TEAM_ID, topic: TOPIC, url: `https://127.0.0.1:${closed}`, retry });
  try {
    await expect(apnsDown.deliver(`apns:${apnsToken()}`, 'AAAA')).rejects.toMatchObject({
      name: 'PushDeliveryError', sender: 'apns', retryable: true, message: 'apns: network error ECONNREFUSED',
    });
  } finally {
    apnsDown.close();
  }
  // A key the token endpoint does not know (another service account's): invalid_grant, not retried.
  const stranger = serviceAccount(`${service.origin}/token`);
  const grants = service.received.filter((r) => r.kind === 'token').length;
  const refused = new FcmSender({ serviceAccount: stranger.json, apiBase: service.origin, ca: service.cert, retry });
  await expect(refused.deliver(`fcm:${fcmToken()}`, 'AAAA')).rejects.toMatchObject({
    status: 400, reason: 'invalid_grant', retryable: false,
    message: 'fcm: the token endpoint refused the service account (HTTP 400 invalid_grant)',
  });
  expect(service.received.filter((r) => r.kind === 'token').length).toBe(grants + 1);
});

test('bindCapacitor with pushTokenPrefix registers the plugin\'s FCM token; the push data it hands back logs in', async () => {
  const { bindCapacitor } = require('@tapgate/authenticator/capacitor');
  const listeners = new Map();
  const plugin = {  // the part of @capacitor/push-notifications bindCapacitor uses, played by the test
    requestPermissions: async () => ({ receive: 'granted' }),
    register: async () => {},
    addListener: async (event, fn) => {
      listeners.set(event, fn);
      return { remove: async () => listeners.delete(event) };
    },
  };
  const auth = await env.enrolled({ userid: 'olga' });
  const binding = bindCapacitor(auth, { pushNotifications: plugin, pushTokenPrefix: 'fcm:' });
  try {
    await binding.ready;
    const token = fcmToken();
    listeners.get('registration')({ value: token });
    await eventually(async () => (await pushOf(auth)) === 'fcm');
    const { nonce } = await login(auth, env.rp);
    const sessions = [];  // a push login's session is announced by the 'session' event
    auth.addEventListener('session', (e) => sessions.push(e.detail.session));
    const from = service.received.length;
    expect((await env.rp.provokeLogin(nonce)).status).toBe(200);
    const sent = await service.next((r) => r.kind === 'fcm' && r.token === token, from);
    listeners.get('pushNotificationReceived')({ data: sent.message.data });
    const session = await eventually(() => sessions.find((s) => typeof s?.setPinBiometric === 'function'));
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
    expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
  } finally {
    await binding.remove();
  }
});

test('a token for a sender that is not configured is not pushed: a note on stderr, and the app pulls', async () => {
  const plain = await env.startServer();
  const plainRp = relyingParty(plain);
  const auth = await env.authenticator();
  await enrol(auth, plainRp, { userid: 'nora' });
  await auth.updatePushToken(`fcm:${fcmToken()}`);
  const from = service.received.length;
  await plainRp.sendMessage(auth.accounts[0].accountId, 'pulled');
  await eventually(() => plain.output().stderr.includes('push: no fcm sender is configured; the message waits for the app to pull it'));
  const notes = [];
  auth.addEventListener('message', (e) => notes.push(e.detail.message.text));
  await auth.retrieveMessages();
  expect(notes).toEqual(['pulled']);
  expect(service.received.length).toBe(from);
});

test('bad push settings stop the start with a message naming the setting and never quoting a key', () => {
  const MAIN = path.join(REPO_ROOT, 'server', 'dist', 'main.js');
  const file = (name, content) => {
    fs.writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };
  const p8 = path.join(dir, 'AuthKey.p8');
  const apnsAll = { TAPGATE_APNS_KEY: p8, TAPGATE_APNS_KEY_ID: KEY_ID, TAPGATE_APNS_TEAM_ID: TEAM_ID, TAPGATE_APNS_TOPIC: TOPIC };
  const { private_key: _unused, ...noKey } = account.json;
  for (const [env, message] of [
    [{ TAPGATE_FCM_SERVICE_ACCOUNT: path.join(dir, 'missing.json') }, /cannot read TAPGATE_FCM_SERVICE_ACCOUNT ".*missing.json": ENOENT/],
    [{ TAPGATE_FCM_SERVICE_ACCOUNT: file('no-key.json', JSON.stringify(noKey)) }, /invalid TAPGATE_FCM_SERVICE_ACCOUNT .*has no "private_key"/],
    [{ TAPGATE_FCM_SERVICE_ACCOUNT: file('ec-key.json', JSON.stringify({ ...account.json, private_key: apns.p8 })) }, /"private_key" is a ec key, not RSA/],
    [{ TAPGATE_FCM_API_URL: 'https://fcm.example' }, /TAPGATE_FCM_API_URL\/TAPGATE_FCM_TOKEN_URL need TAPGATE_FCM_SERVICE_ACCOUNT/],
    [{ TAPGATE_FCM_SERVICE_ACCOUNT: path.join(dir, 'service-account.json'), TAPGATE_FCM_API_URL: 'ftp://x' }, /invalid TAPGATE_FCM_API_URL "ftp:\/\/x"/],
    [{ TAPGATE_APNS_TEAM_ID: TEAM_ID }, /TAPGATE_APNS_TEAM_ID need TAPGATE_APNS_KEY/],
    [{ ...apnsAll, TAPGATE_APNS_KEY_ID: undefined }, /TAPGATE_APNS_KEY needs TAPGATE_APNS_KEY_ID too/],
    [{ ...apnsAll, TAPGATE_APNS_KEY_ID: 'short' }, /invalid APNs settings: the APNs key id is not a 10-character Key ID/],
    [{ ...apnsAll, TAPGATE_APNS_KEY: file('rsa.p8', account.json.private_key) }, /invalid APNs settings: the APNs key is a rsa key, not EC/],
    [{ ...apnsAll, TAPGATE_APNS_PUSH_TYPE: 'loud' }, /invalid TAPGATE_APNS_PUSH_TYPE "loud": alert or background/],
  ]) {
    const clean = Object.fromEntries(Object.entries({ ...process.env, PORT: '0', TAPGATE_DATA_DIR: '/nonexistent-not-reached', ...env }).filter(([, v]) => v !== undefined));
    const r = spawnSync(process.execPath, [MAIN], { env: clean, encoding: 'utf8', timeout: 15_000 });
    expect({ env, status: r.status, stdout: r.stdout }).toEqual({ env, status: 1, stdout: '' });
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/PRIVATE KEY|MII/);
  }
});
