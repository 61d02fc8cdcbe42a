// End-to-end tests of the reference server (server/dist/main.js) over real HTTP:
// the relying-party REST API and the device API of docs/protocol.md, with a simulated device.
'use strict';
const sodium = require('libsodium-wrappers');
const { useServer } = require('./helpers/fixture');

jest.setTimeout(60000);

const env = useServer();
let srv;
const enc = new TextEncoder();
const JSON_TYPE = { 'content-type': 'application/json' };

const b64u = (bytes) => sodium.to_base64(bytes, sodium.base64_variants.URLSAFE_NO_PADDING);
const fromB64u = (text) => sodium.from_base64(text, sodium.base64_variants.URLSAFE_NO_PADDING);
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const H = (...parts) => sodium.crypto_generichash(32, concat(...parts), null);
const T0 = (qr) => H(enc.encode('tapgate/v1/transcript'), qr);
const advance = (t, req, body) => H(t, H(req), H(body));

function api(path, { key = srv.rootApiKey, nonce, method = 'GET', body, headers = {} } = {}) {
  const h = { ...headers };
  if (key !== null) h['X-apikey'] = key;
  if (nonce !== undefined) h['X-nonce'] = nonce;
  return fetch(`${srv.url}${path}`, { method, headers: h, body });
}

async function json(path, opts) {
  const res = await api(path, opts);
  return { status: res.status, body: await res.json() };
}

async function serverInfo() {
  return (await json(`/servers/${srv.serverId}/`)).body;
}

async function qrPayload(kind, nonce, query = '') {
  const res = await api(`/servers/${srv.serverId}/sessions/qr/${kind}${query}`, { nonce });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/octet-stream');
  return new Uint8Array(await res.arrayBuffer());
}

/** POSTs exact bytes to the device API; returns status, the raw request bytes and the parsed answer. */
async function devicePost(path, value) {
  const raw = typeof value === 'string' ? enc.encode(value) : enc.encode(JSON.stringify(value));
  const res = await fetch(`${srv.url}/device${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: Buffer.from(raw),
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, raw, text, json: parsed };
}

/** Checks a signed envelope for transcript t and returns its body text and parsed body. */
function openEnvelope(serverPk, t, requestBytes, envelope) {
  expect(typeof envelope.body).toBe('string');
  expect(typeof envelope.sig).toBe('string');
  const bodyBytes = enc.encode(envelope.body);
  const input = concat(enc.encode('tapgate/v1/response'), t, H(requestBytes), bodyBytes);
  expect(sodium.crypto_sign_verify_detached(fromB64u(envelope.sig), input, serverPk)).toBe(true);
  return { bodyBytes, body: JSON.parse(envelope.body) };
}

/** A simulated device session: tracks the transcript like the C++ core does. */
class DeviceSession {
  constructor(qr, serverPk) {
    this.qr = qr;
    this.serverPk = serverPk;
    this.sessionId = qr.slice(18, 34);
    this.t = T0(qr);
  }

  async exchange(path, request, { advanceOnSuccess = true } = {}) {
    const r = await devicePost(path, request);
    const { bodyBytes, body } = openEnvelope(this.serverPk, this.t, r.raw, r.json);
    if (advanceOnSuccess && !body.error) this.t = advance(this.t, r.raw, bodyBytes);
    return { status: r.status, body };
  }

  async start() {
    const r = await this.exchange('/v1/start', { v: 1, qr: b64u(this.qr), nonce: b64u(sodium.randombytes_buf(32)) });
    if (!r.body.error) this.t1 = this.t;  // cancel and logout prove themselves over it (§5.4, §5.5)
    return r;
  }

  enrol(account, pin) {
    const proof = concat(enc.encode('tapgate/v1/enrol'), this.t, H(enc.encode('')));  // ‖ H(userInput), none sent
    return this.exchange('/v1/enrol', {
      v: 1,
      session: b64u(this.sessionId),
      accountPk: b64u(account.publicKey),
      boxPk: b64u(sodium.crypto_box_keypair().publicKey),
      pinPk: b64u(pin.publicKey),
      sigAccount: b64u(sodium.crypto_sign_detached(proof, account.privateKey)),
      sigPin: b64u(sodium.crypto_sign_detached(proof, pin.privateKey)),
    });
  }

  /** factor 'NONE': no second factor (§5.3), `pin` unused. */
  login(accountId, account, pin, userInput = '', { factor = 'PIN' } = {}) {
    // §5.3: the transcript, the factor (NONE = 0, PIN = 1), H(userInput), H(code = "").
    const proof = concat(enc.encode('tapgate/v1/login'), this.t, Uint8Array.of(factor === 'NONE' ? 0 : 1), H(enc.encode(userInput)), H(new Uint8Array(0)));
    return this.exchange('/v1/login', {
      v: 1,
      session: b64u(this.sessionId),
      accountId,
      userInput,
      ...(factor === 'NONE' ? { factor } : {}),
      sigAccount: b64u(sodium.crypto_sign_detached(proof, account.privateKey)),
      ...(factor === 'NONE' ? {} : { sigPin: b64u(sodium.crypto_sign_detached(proof, pin.privateKey)) }),
    });
  }

  logout(accountId, account) {
    const proof = concat(enc.encode('tapgate/v1/logout'), this.t1);
    return devicePost('/v1/logout', {
      v: 1,
      session: b64u(this.sessionId),
      accountId,
      sigAccount: b64u(sodium.crypto_sign_detached(proof, account.privateKey)),
    });
  }

  cancel() {
    return devicePost('/v1/cancel', { v: 1, session: b64u(this.sessionId), proof: b64u(H(enc.encode('tapgate/v1/cancel'), this.t1)) });
  }
}

const freshNonce = () => b64u(sodium.randombytes_buf(16));

beforeAll(async () => {
  await sodium.ready;
  srv = env.server;
});

describe('relying-party API', () => {
  test('rejects requests without or with a wrong X-apikey', async () => {
    for (const key of [null, 'wrong-key', `${srv.rootApiKey}x`]) {
      const r = await json('/servers/', { key });
      expect(r.status).toBe(401);
      expect(typeof r.body.error).toBe('string');
    }
    expect((await json(`/servers/${srv.serverId}/sessions/qr/login`, { key: null, nonce: 'n' })).status).toBe(401);
  });

  test('GET /servers/ lists the one virtual server', async () => {
    const r = await json('/servers/');
    expect(r.status).toBe(200);
    expect(r.body.totalnumber).toBe(1);
    expect(r.body.servers).toHaveLength(1);
    const s = r.body.servers[0];
    expect(s).toEqual({
      serverid: srv.serverId,
      serverpk: expect.any(String),
      serverName: 'Tapgate Demo',
      pingTime: 0,
      pinTimeout: 0,
      pinTransTimeout: 0,
      pinAttemptLimit: 3,
      logo: null,
      returnOrigins: [],
      appurl: null,
      siteurl: null,
      appandroid: null,
      appios: null,
      owner: null,
      serverFlags: [],
      accountCount: expect.any(Number),
      lastLogin: null,
      serverpkPrevious: null,
      serverpkPreviousUntil: null,
    });
    expect(fromB64u(s.serverid)).toHaveLength(16);
    expect(fromB64u(s.serverpk)).toHaveLength(32);
    expect(await serverInfo()).toEqual(s);
  });

  test('unknown servers and routes are 404, wrong methods 405', async () => {
    expect((await json(`/servers/${b64u(new Uint8Array(16))}/`)).status).toBe(404);
    expect((await json('/servers/not-an-id/accounts/')).status).toBe(404);
    expect((await json(`/servers/${srv.serverId}/nothing`)).status).toBe(404);
    expect((await json(`/servers/${srv.serverId}/`, { method: 'DELETE' })).status).toBe(405);
    expect((await api('/elsewhere')).status).toBe(404); // not ours: main.js answers 404
  });

  test('enrol QR payload follows protocol §2', async () => {
    const s = await serverInfo();
    const qr = await qrPayload('enrol', freshNonce(), '?userid=alice&name=alice%40example');
    const L = qr[66];
    expect(qr.length).toBe(67 + L);
    expect(qr[0]).toBe(1);
    expect(qr[1]).toBe(2);
    expect(b64u(qr.slice(2, 18))).toBe(srv.serverId);
    expect(b64u(qr.slice(34, 66))).toBe(s.serverpk);
    expect(Buffer.from(qr.slice(67)).toString('ascii')).toBe(`${srv.url}/device`);
  });

  test('img=png returns a PNG image', async () => {
    for (const kind of ['enrol', 'login']) {
      const res = await api(`/servers/${srv.serverId}/sessions/qr/${kind}?img=png&s=200`, { nonce: freshNonce() });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      const png = Buffer.from(await res.arrayBuffer());
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.readUInt32BE(16)).toBe(200); // IHDR width
    }
    expect((await api(`/servers/${srv.serverId}/sessions/qr/login?img=gif`, { nonce: 'n' })).status).toBe(400);
    expect((await api(`/servers/${srv.serverId}/sessions/qr/login?img=png&s=abc`, { nonce: 'n' })).status).toBe(400);
  });

  test('login QR is 34 bytes and becomes the session loginqrdata', async () => {
    const nonce = freshNonce();
    const qr = await qrPayload('login', nonce);
    expect(qr.length).toBe(34);
    expect(qr[0]).toBe(1);
    expect(qr[1]).toBe(1);
    expect(b64u(qr.slice(2, 18))).toBe(srv.serverId);
    const st = (await json(`/servers/${srv.serverId}/sessions/`, { nonce })).body;
    expect(st.loginqrdata).toBe(b64u(qr));
    expect(st.hsid).toBe(b64u(qr.slice(18, 34)));
    const again = await qrPayload('login', nonce);
    expect(b64u(again.slice(18, 34))).not.toBe(st.hsid); // a fresh QR session per call
  });

  test('QR calls need X-nonce and a valid usercontext', async () => {
    expect((await api(`/servers/${srv.serverId}/sessions/qr/login`)).status).toBe(400);
    expect((await api(`/servers/${srv.serverId}/sessions/`)).status).toBe(400);
    const bad = encodeURIComponent('{"announceinfo": 5}');
    expect((await api(`/servers/${srv.serverId}/sessions/qr/login?usercontext=${bad}`, { nonce: 'n' })).status).toBe(400);
    expect((await api(`/servers/${srv.serverId}/sessions/qr/login?usercontext=%7Bnope`, { nonce: 'n' })).status).toBe(400);
  });

  test('LoginStatus of an unknown nonce is not logged in', async () => {
    const r = await json(`/servers/${srv.serverId}/sessions/`, { nonce: freshNonce() });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      loggedin: false,
      userid: null,
      accountid: null,
      pk: null,
      canprovoke: false,
      loginqrdata: null,
      hsid: null,
      scanned: false,
      cancelled: false,
      userinput: null,
      matchcode: null,
    });
  });

  test('PUT server parameters round-trips and validates', async () => {
    const path = `/servers/${srv.serverId}/`;
    const put = (body) =>
      json(path, { method: 'PUT', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    const before = await serverInfo();
    const r = await put({ serverName: 'Example Bank', pingTime: 30, pinTimeout: 5, pinAttemptLimit: 5 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ serverName: 'Example Bank', pingTime: 30, pinTimeout: 5, pinAttemptLimit: 5 });
    expect(await serverInfo()).toEqual(r.body);
    const partial = await put({ pingTime: 0 });
    expect(partial.body).toMatchObject({ serverName: 'Example Bank', pingTime: 0, pinAttemptLimit: 5 });
    for (const bad of [
      { pinAttemptLimit: 0 },
      { pingTime: -1 },
      { pinTimeout: 1.5 },
      { pingTime: '10' },
      { serverName: '' },
      { serverName: 7 },
      '{not json',
      '[1,2]',
    ]) {
      const e = await put(bad);
      expect(e.status).toBe(400);
      expect(typeof e.body.error).toBe('string');
    }
    expect(await serverInfo()).toMatchObject({ serverName: 'Example Bank', pingTime: 0, pinAttemptLimit: 5 });
    const restored = await put({
      serverName: before.serverName,
      pingTime: before.pingTime,
      pinTimeout: before.pinTimeout,
      pinAttemptLimit: before.pinAttemptLimit,
    });
    expect(restored.body).toEqual(before);
  });
});

describe('device API', () => {
  let serverPk;
  beforeAll(async () => {
    serverPk = fromB64u((await serverInfo()).serverpk);
  });

  test('start answers a signed envelope that verifies over the exact formula', async () => {
    const ctx = { announceinfo: { info: { origin: 'https://rp.example' }, ip: '127.0.0.1' }, sessioninfo: { info: { welcome: 'Hello' } } };
    for (const [kind, query] of [
      ['login', `?usercontext=${encodeURIComponent(JSON.stringify(ctx))}`],
      ['enrol', '?userid=alice&name=alice%40example'],
    ]) {
      const nonce = freshNonce();
      const qr = await qrPayload(kind, nonce, query);
      const device = new DeviceSession(qr, serverPk);
      const before = Date.now();
      const r = await device.start();
      expect(r.status).toBe(200);
      expect(r.body.kind).toBe(kind);
      expect(r.body.server).toEqual({ name: 'Tapgate Demo', pingTime: 0, pinTimeout: 0, pinTransTimeout: 0, pinAttemptLimit: 3 });
      expect(r.body.time).toBeGreaterThanOrEqual(before - 1000);
      if (kind === 'login') {
        expect(r.body.announceInfo).toEqual(ctx.announceinfo);
        expect(r.body.userId).toBeUndefined();
      } else {
        expect(r.body.announceInfo).toBeNull();
        expect(r.body.userId).toBe('alice');
        expect(r.body.name).toBe('alice@example');
      }
      const st = (await json(`/servers/${srv.serverId}/sessions/`, { nonce })).body;
      expect(st.scanned).toBe(true);
      expect(st.loggedin).toBe(false);
    }
  });

  test('start with an unknown session is a signed error 53', async () => {
    const qr = await qrPayload('login', freshNonce());
    qr.set(sodium.randombytes_buf(16), 18); // a session id the server never made
    const device = new DeviceSession(qr, serverPk);
    const r = await device.start();
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe(53);
  });

  test('malformed device requests are 400 and the server keeps running', async () => {
    const qr = await qrPayload('login', freshNonce());
    const valid = { v: 1, qr: b64u(qr), nonce: b64u(sodium.randombytes_buf(32)) };
    const bad = [
      '',
      '{',
      'null',
      '[]',
      '"text"',
      '{"v":1}',
      JSON.stringify({ ...valid, v: 2 }),
      JSON.stringify({ ...valid, qr: 'not base64!' }),
      JSON.stringify({ ...valid, qr: b64u(qr.slice(0, 20)) }),
      JSON.stringify({ ...valid, qr: b64u(concat(qr, new Uint8Array([0]))) }),
      JSON.stringify({ ...valid, nonce: b64u(new Uint8Array(5)) }),
      JSON.stringify({ ...valid, qr: 12 }),
    ];
    for (const body of bad) {
      const r = await devicePost('/v1/start', body);
      expect(r.status).toBe(400);
      expect(typeof r.json.error).toBe('string');
    }
    for (const path of ['/v1/enrol', '/v1/login', '/v1/cancel', '/v1/logout']) {
      expect((await devicePost(path, '{"v":1,"session":"AAAA"}')).status).toBe(400);
      expect((await devicePost(path, { v: 1, session: 5, accountId: 'x' })).status).toBe(400);
    }
    expect((await devicePost('/v1/login', { v: 1, session: b64u(qr.slice(18, 34)), accountId: 1.5 })).status).toBe(400);
    const invalidUtf8 = await fetch(`${srv.url}/device/v1/start`, { method: 'POST', headers: JSON_TYPE, body: Buffer.from([0x7b, 0xff, 0x7d]) });
    expect(invalidUtf8.status).toBe(400);
    const big = await fetch(`${srv.url}/device/v1/start`, { method: 'POST', headers: JSON_TYPE, body: 'x'.repeat(70 * 1024) });
    expect(big.status).toBe(413);
    expect((await fetch(`${srv.url}/device/v1/start`)).status).toBe(405);
    expect((await devicePost('/v1/nothing', valid)).status).toBe(404);
    // Still alive, and a good request still works.
    expect(srv.proc.exitCode).toBeNull();
    const ok = await new DeviceSession(qr, serverPk).start();
    expect(ok.status).toBe(200);
  });

  test('enrol, wrong PIN, login, logout, cancel: the whole flow', async () => {
    const account = sodium.crypto_sign_keypair();
    const pin = sodium.crypto_sign_keypair();
    const wrongPin = sodium.crypto_sign_keypair();

    // Enrolment.
    const enrolNonce = freshNonce();
    const enrolDevice = new DeviceSession(await qrPayload('enrol', enrolNonce, '?userid=bob&name=Bob'), serverPk);
    expect((await enrolDevice.start()).body.kind).toBe('enrol');
    const stolen = sodium.crypto_sign_keypair();
    const badProof = await enrolDevice.exchange('/v1/enrol', {
      v: 1,
      session: b64u(enrolDevice.sessionId),
      accountPk: b64u(stolen.publicKey),
      boxPk: b64u(new Uint8Array(32)),
      pinPk: b64u(pin.publicKey),
      sigAccount: b64u(sodium.crypto_sign_detached(enc.encode('other'), stolen.privateKey)),
      sigPin: b64u(sodium.crypto_sign_detached(enc.encode('other'), pin.privateKey)),
    });
    expect(badProof.status).toBe(403);
    expect(badProof.body.error.code).toBe(48);
    const enrolled = await enrolDevice.enrol(account, pin);
    expect(enrolled.status).toBe(200);
    expect(enrolled.body).toEqual({ result: 'SUCCESS', accountId: expect.any(Number), userId: 'bob', pingTime: 0 });
    const accountId = enrolled.body.accountId;
    let st = (await json(`/servers/${srv.serverId}/sessions/`, { nonce: enrolNonce })).body;
    expect(st).toMatchObject({ loggedin: true, userid: 'bob', accountid: accountId, pk: b64u(account.publicKey) });
    // The enrol QR is single use.
    const reuse = await new DeviceSession(enrolDevice.qr, serverPk).start();
    expect(reuse.status).toBe(410);
    expect(reuse.body.error.code).toBe(41);
    const accounts = (await json(`/servers/${srv.serverId}/accounts/`)).body;
    expect(accounts.accounts.find((a) => a.id === accountId)).toMatchObject({ userid: 'bob', blocked: false, description: 'Bob', pinfailures: 0 });
    expect(accounts.totalnumber).toBe(accounts.accounts.length);

    // Login: one wrong PIN, then the right one (proofs over T1, then T2).
    const ctx = { announceinfo: { info: { origin: 'rp' } }, sessioninfo: { info: { welcome: 'Hello Bob' } } };
    const nonce = freshNonce();
    const device = new DeviceSession(await qrPayload('login', nonce, `?usercontext=${encodeURIComponent(JSON.stringify(ctx))}`), serverPk);
    await device.start();
    const fail1 = await device.login(accountId, account, wrongPin);
    expect(fail1.body).toEqual({ result: 'PIN_FAIL', attemptsLeft: 2 });
    expect((await json(`/servers/${srv.serverId}/accounts/`)).body.accounts.find((a) => a.id === accountId).pinfailures).toBe(1);
    const ok = await device.login(accountId, account, pin, 'ok');
    expect(ok.body).toEqual({ result: 'SUCCESS', pingTime: 0, sessionInfo: ctx.sessioninfo, lastLogin: expect.any(Number) });
    expect((await json(`/servers/${srv.serverId}/accounts/`)).body.accounts.find((a) => a.id === accountId).lastlogin).toBe(ok.body.lastLogin);
    st = (await json(`/servers/${srv.serverId}/sessions/`, { nonce })).body;
    expect(st).toMatchObject({ loggedin: true, userid: 'bob', accountid: accountId, userinput: 'ok', cancelled: false });
    expect((await json(`/servers/${srv.serverId}/accounts/`)).body.accounts.find((a) => a.id === accountId).pinfailures).toBe(0);
    // A second login on the logged-in session is refused.
    const again = await device.login(accountId, account, pin);
    expect(again.body.error.code).toBe(53);

    // Logout with the account key.
    const forged = await device.logout(accountId, stolen);
    expect(forged.status).toBe(403);
    expect((await device.logout(accountId, account)).status).toBe(200);
    expect((await json(`/servers/${srv.serverId}/sessions/`, { nonce })).body.loggedin).toBe(false);

    // Unknown account → 48; a wrong account key → 48.
    const other = new DeviceSession(await qrPayload('login', freshNonce()), serverPk);
    await other.start();
    expect((await other.login(999999, account, pin)).body.error.code).toBe(48);
    const r48 = await other.login(accountId, stolen, pin);
    expect(r48.status).toBe(403);
    expect(r48.body.error.code).toBe(48);

    // Cancel: the relying party sees it, and a login on it is refused.
    const cancelNonce = freshNonce();
    const cancelled = new DeviceSession(await qrPayload('login', cancelNonce), serverPk);
    await cancelled.start();
    expect((await cancelled.cancel()).status).toBe(200);
    expect((await json(`/servers/${srv.serverId}/sessions/`, { nonce: cancelNonce })).body.cancelled).toBe(true);
    expect((await cancelled.login(accountId, account, pin)).body.error.code).toBe(53);

    // Three wrong PINs block the account; the count persists across sessions.
    const blockDevice = new DeviceSession(await qrPayload('login', freshNonce()), serverPk);
    await blockDevice.start();
    expect((await blockDevice.login(accountId, account, wrongPin)).body).toEqual({ result: 'PIN_FAIL', attemptsLeft: 2 });
    expect((await blockDevice.login(accountId, account, wrongPin)).body).toEqual({ result: 'PIN_FAIL', attemptsLeft: 1 });
    expect((await blockDevice.login(accountId, account, wrongPin)).body).toEqual({ result: 'PIN_BLOCKED' });
    const later = new DeviceSession(await qrPayload('login', freshNonce()), serverPk);
    await later.start();
    expect((await later.login(accountId, account, pin)).body).toEqual({ result: 'PIN_BLOCKED' });
  });

  test('a push login is started by its message: a /v1/start for its QR, by anyone who sees it, is refused (signed 53)', async () => {
    const account = sodium.crypto_sign_keypair();
    const pin = sodium.crypto_sign_keypair();
    const box = sodium.crypto_box_keypair();
    const nonce = freshNonce();
    const enrolDevice = new DeviceSession(await qrPayload('enrol', nonce, '?userid=dora'), serverPk);
    await enrolDevice.start();
    const proof = concat(enc.encode('tapgate/v1/enrol'), enrolDevice.t, H(enc.encode('')));
    const enrolled = await enrolDevice.exchange('/v1/enrol', {
      v: 1,
      session: b64u(enrolDevice.sessionId),
      accountPk: b64u(account.publicKey),
      boxPk: b64u(box.publicKey),
      pinPk: b64u(pin.publicKey),
      sigAccount: b64u(sodium.crypto_sign_detached(proof, account.privateKey)),
      sigPin: b64u(sodium.crypto_sign_detached(proof, pin.privateKey)),
    });
    const { accountId } = enrolled.body;
    expect((await api(`/servers/${srv.serverId}/sessions/provokelogin`, { method: 'POST', nonce })).status).toBe(200);
    // The login message, pulled (§6.2) and opened with the account's box key.
    const pullNonce = sodium.randombytes_buf(32);
    const pulled = await devicePost('/v1/messages', {
      v: 1, accountId, nonce: b64u(pullNonce),
      sigAccount: b64u(sodium.crypto_sign_detached(concat(enc.encode('tapgate/v1/messages'), pullNonce), account.privateKey)),
    });
    const messages = JSON.parse(pulled.json.body).messages.map((m) => JSON.parse(JSON.parse(sodium.to_string(sodium.crypto_box_seal_open(fromB64u(m), box.publicKey, box.privateKey))).body));
    const login = messages.find((m) => m.kind === 'login');
    expect(login.start).toEqual(expect.any(String));
    const qr = fromB64u(login.qr);
    const restart = await devicePost('/v1/start', { v: 1, qr: login.qr, nonce: b64u(sodium.randombytes_buf(32)) });
    expect(restart.status).toBe(404);
    expect(openEnvelope(serverPk, T0(qr), restart.raw, restart.json).body).toEqual({ error: { code: 53, message: 'session not found' } });
    // The device that took the message logs in on the message's T1 as if nothing happened.
    const pushed = new DeviceSession(qr, serverPk);
    pushed.t = advance(T0(qr), new Uint8Array(0), enc.encode(login.start));
    expect((await pushed.login(accountId, account, pin)).body.result).toBe('SUCCESS');
  });

  test('an AppLogin always needs the second factor at the server, even inside pinTimeout; a replay of it opens nothing', async () => {
    const put = (params) => api(`/servers/${srv.serverId}/`, { method: 'PUT', body: JSON.stringify(params), headers: { 'content-type': 'application/json' } });
    expect((await put({ pinTimeout: 10 })).status).toBe(200);
    try {
      const account = sodium.crypto_sign_keypair();
      const pin = sodium.crypto_sign_keypair();
      const enrolDevice = new DeviceSession(await qrPayload('enrol', freshNonce(), '?userid=carol'), serverPk);
      await enrolDevice.start();
      const { accountId } = (await enrolDevice.enrol(account, pin)).body;
      // The control: a plain login inside pinTimeout may skip the second factor.
      const plain = new DeviceSession(await qrPayload('login', freshNonce()), serverPk);
      await plain.start();
      expect((await plain.login(accountId, account, null, '', { factor: 'NONE' })).body.result).toBe('SUCCESS');

      // A crafted AppLogin (§5.9), then a login without the second factor on its session.
      const be64 = (v) => {
        const out = new Uint8Array(8);
        new DataView(out.buffer).setBigInt64(0, BigInt(v));
        return out;
      };
      const appLoginRequest = (time, nonce) => ({
        v: 1,
        accountId,
        time,
        nonce: b64u(nonce),
        sigAccount: b64u(sodium.crypto_sign_detached(concat(enc.encode('tapgate/v1/applogin'), be64(accountId), be64(time), nonce), account.privateKey)),
      });
      const nonce = sodium.randombytes_buf(32);
      const request = appLoginRequest(Date.now(), nonce);
      const app = Object.assign(Object.create(DeviceSession.prototype), { serverPk, t: H(enc.encode('tapgate/v1/transcript'), nonce) });
      const opened = await app.exchange('/v1/applogin', request);
      expect(opened.status).toBe(200);
      app.sessionId = fromB64u(opened.body.session);
      expect((await app.login(accountId, account, null, '', { factor: 'NONE' })).body).toEqual({ result: 'SECOND_FACTOR_REQUIRED' });
      expect((await app.login(accountId, account, pin)).body.result).toBe('SUCCESS');

      // The same request again, or one whose signed time is out of the ±5 minute window: signed error 48.
      const again = await devicePost('/v1/applogin', request);
      expect(again.status).toBe(403);
      expect(JSON.parse(again.json.body)).toMatchObject({ error: { code: 48 } });
      const stale = await devicePost('/v1/applogin', appLoginRequest(Date.now() - 6 * 60 * 1000, sodium.randombytes_buf(32)));
      expect(stale.status).toBe(403);
      expect((await devicePost('/v1/applogin', appLoginRequest(Date.now(), sodium.randombytes_buf(32)))).status).toBe(200);
    } finally {
      await put({ pinTimeout: 0 });
    }
  });
});

describe('process lifecycle', () => {
  test('a restart on the same data dir keeps the server and the generated root key; env key overrides', async () => {
    const fs = require('node:fs');
    const path = require('node:path');
    const dir = env.tempDir('tapgate-restart-');
    const first = await env.startServer({ dataDir: dir });
    await first.stop();
    // On PostgreSQL (TAPGATE_TEST_DATABASE_URL) the helper gives the same dataDir the same database.
    if (!first.databaseUrl) expect(fs.existsSync(path.join(dir, 'tapgate.sqlite'))).toBe(true);
    const second = await env.startServer({ dataDir: dir });
    expect(second.serverId).toBe(first.serverId);
    // Only the digest is stored: the key is printed by the start that made it, and keeps working.
    expect(second.rootApiKey).toBeUndefined();
    expect((await fetch(`${second.url}/servers/`, { headers: { 'X-apikey': first.rootApiKey } })).status).toBe(200);
    const exit = await second.stop();
    expect(exit.code).toBe(0);
    const third = await env.startServer({ dataDir: dir, env: { TAPGATE_ROOT_API_KEY: 'test-root-key' } });
    expect(third.rootApiKey).toBe('test-root-key');
    const res = await fetch(`${third.url}/servers/`, { headers: { 'X-apikey': 'test-root-key' } });
    expect(res.status).toBe(200);
    expect((await res.json()).servers[0].serverid).toBe(first.serverId);
  });
});
