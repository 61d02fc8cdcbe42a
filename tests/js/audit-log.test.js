// The audit log (issue 17 item 2): every relying-party action and every device-API security
// event in one table, read through GET /servers/{sid}/audit (permission audit on that server) and
// GET /audit (globally), paged and filtered, and deleted by its retention rule. Each test runs a
// server in process (its own clock and database; on the PostgreSQL run a fresh database) and acts
// through the REST API and the device API by hand (a device that holds its keys, so it can send a
// wrong PIN, a forged proof or a captured request again).
'use strict';
const { randomBytes } = require('node:crypto');
const path = require('node:path');
const { useServers } = require('./helpers/fixture');

jest.setTimeout(60_000);

const fx = useServers();
const DAY = 24 * 3600_000;

let crypto;
let transcript;
let qrLib;
beforeAll(async () => {
  crypto = require('@tapgate/server/dist/crypto');
  transcript = require('@tapgate/server/dist/transcript');
  qrLib = require('@tapgate/server/dist/qr');
  await crypto.cryptoReady();
});

/** A server in this process on clock `clock` ({now}); `options` are createTapgateServer's. */
async function startServer(clock, options = {}) {
  const env = await fx.startInProcess(({ url, dir, databaseUrl }) => ({
    dbPath: path.join(dir, 'tapgate.sqlite'), databaseUrl, publicUrl: url, now: () => clock.now,
    retention: { intervalMs: 0 }, ...options,
  }));
  const { url, serverId, rootApiKey } = env.server;
  /** A REST call (`key` defaults to the root key); resolves with {status, body}. */
  const call = async (method, p, { key = rootApiKey, nonce, body } = {}) => {
    const res = await fetch(`${url}${p}`, { method, headers: { 'X-apikey': key, ...(nonce ? { 'X-nonce': nonce } : {}) }, body });
    const text = await res.text();
    return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };
  const newKey = async (query) => {
    const r = await call('POST', `/apikeys?${query}`);
    expect(r.status).toBe(200);
    return r.body;
  };
  /** Every entry the query gives (root key unless `key`), all pages of `limit`. */
  const audit = async (query = '', { key, global = false, sid = serverId } = {}) => {
    const r = await call('GET', `${global ? '/audit' : `/servers/${sid}/audit`}?${query}`, { key });
    expect(r.status).toBe(200);
    return r.body.entries;
  };
  return { ...env, url, serverId, rootApiKey, sid: serverId, call, newKey, audit, base: `/servers/${serverId}` };
}

// --- a device speaking the protocol by hand ---

async function devicePost(env, p, fields) {
  const raw = JSON.stringify({ v: 1, ...fields });
  const res = await fetch(`${env.url}/device${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
  const text = await res.text();
  let body = null;
  try {
    const parsed = JSON.parse(text);
    body = typeof parsed.body === 'string' ? JSON.parse(parsed.body) : parsed;
  } catch {
    // not JSON
  }
  return { status: res.status, raw, text, body };
}

/** /v1/start on a new QR of `kind`; resolves with the session id and T1. */
async function startSession(env, kind, nonce = randomBytes(16).toString('base64url')) {
  const qr = await fetch(`${env.url}${env.base}/sessions/qr/${kind}`, { headers: { 'X-apikey': env.rootApiKey, 'X-nonce': nonce } });
  const qrBytes = new Uint8Array(await qr.arrayBuffer());
  const started = await devicePost(env, '/v1/start', { qr: crypto.toB64u(qrBytes), nonce: crypto.toB64u(randomBytes(32)) });
  expect(started.status).toBe(200);
  const t1 = transcript.transcriptAdvance(transcript.transcriptStart(qrBytes), crypto.utf8(started.raw), crypto.utf8(JSON.parse(started.text).body));
  return { sessionId: qrLib.parseQr(qrBytes).sessionId, t1 };
}

/** An account enrolled by hand: {id, account (key pair), pin (key pair)}. */
async function enrolDevice(env) {
  const { sessionId, t1 } = await startSession(env, 'enrol');
  const account = crypto.signKeyPair();
  const pin = crypto.signKeyPair();
  const proof = transcript.enrolProofMessage(t1, '');
  const r = await devicePost(env, '/v1/enrol', {
    session: crypto.toB64u(sessionId), accountPk: crypto.toB64u(account.publicKey), boxPk: crypto.toB64u(crypto.signKeyPair().publicKey),
    pinPk: crypto.toB64u(pin.publicKey), sigAccount: crypto.toB64u(crypto.sign(account.secretKey, proof)), sigPin: crypto.toB64u(crypto.sign(pin.secretKey, proof)),
  });
  expect(r.body).toMatchObject({ result: 'SUCCESS' });
  return { id: r.body.accountId, account, pin };
}

/** A QR login with a PIN proof signed by `pinKey` (the right one unless given); resolves with the answer and the request. */
async function pinLogin(env, device, { pinKey = device.pin, accountKey = device.account } = {}) {
  const { sessionId, t1 } = await startSession(env, 'login');
  const proof = transcript.loginProofMessage(t1, 'PIN', '', '');
  const r = await devicePost(env, '/v1/login', {
    session: crypto.toB64u(sessionId), accountId: device.id, userInput: '', factor: 'PIN',
    sigAccount: crypto.toB64u(crypto.sign(accountKey.secretKey, proof)), sigPin: crypto.toB64u(crypto.sign(pinKey.secretKey, proof)),
  });
  return { ...r, hsid: crypto.toB64u(sessionId) };
}

/** No string anywhere in the entries contains any of `secrets`. */
function expectNoSecrets(entries, secrets) {
  const strings = [];
  const walk = (v) => (typeof v === 'string' ? strings.push(v) : v && typeof v === 'object' ? Object.values(v).forEach(walk) : undefined);
  walk(entries);
  expect(strings.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThanOrEqual(8);
    expect(strings.filter((s) => s.includes(secret))).toEqual([]);
  }
}

test('relying-party actions are recorded with the key id, the address, the account and what they did; reads only when refused', async () => {
  const clock = { now: Date.UTC(2026, 0, 5) };
  const env = await startServer(clock);
  const device = await enrolDevice(env);
  const key = await env.newKey(`permissions=accounts,audit&serverid=${env.sid}&description=ops`);

  expect((await env.call('PUT', `${env.base}/accounts/${device.id}?blocked=true`, { key: key.apikey })).status).toBe(200);
  clock.now += 1000;
  expect((await env.call('PUT', `${env.base}/accounts/${device.id}?blocked=false`, { key: key.apikey })).status).toBe(200);
  expect((await env.call('POST', `${env.base}/accounts/${device.id}/unblockpin`, { key: key.apikey })).status).toBe(200);
  expect((await env.call('GET', `${env.base}/accounts`, { key: key.apikey })).status).toBe(200);  // a read: not recorded
  expect((await env.call('POST', `${env.base}/keys/rotate`, { key: key.apikey })).status).toBe(403);  // refused: recorded
  expect((await env.call('GET', `${env.base}/users`, { key: key.apikey })).status).toBe(403);  // a refused read: recorded
  expect((await env.call('DELETE', `${env.base}/accounts/${device.id}`)).status).toBe(200);  // the root key

  const entries = await env.audit('', { key: key.apikey });
  expect(entries.map((e) => [e.action, e.outcome, e.detail.status])).toEqual([
    ['rp.deleteAccount', 'ok', 200],
    ['rp.getUsers', 'refused', 403],
    ['rp.rotateServerKey', 'refused', 403],
    ['rp.unblockPin', 'ok', 200],
    ['rp.updateAccount', 'ok', 200],
    ['rp.updateAccount', 'ok', 200],
  ]);
  const [deleted, , , , unblocked, blocked] = entries;
  expect(blocked).toEqual({
    id: expect.any(Number), time: Date.UTC(2026, 0, 5), server: env.sid, actor: { kind: 'apikey', id: key.id },
    action: 'rp.updateAccount', account: device.id, session: null, outcome: 'ok', ip: '127.0.0.1', detail: { status: 200, blocked: 'true' },
  });
  expect(unblocked.detail).toEqual({ status: 200, blocked: 'false' });
  expect(deleted).toMatchObject({ actor: { kind: 'admin', id: null }, account: device.id, time: Date.UTC(2026, 0, 5) + 1000 });
  expect(entries.map((e) => e.id)).toEqual([...entries.map((e) => e.id)].sort((a, b) => b - a));  // newest first

  // Actions outside a server (the key's creation, with its id, never the key) are in the global log only.
  const global = await env.audit('action=rp.createApiKey', { global: true });
  expect(global).toEqual([expect.objectContaining({ server: null, actor: { kind: 'admin', id: null }, outcome: 'ok', detail: { status: 200, keyid: key.id, permissions: 'accounts,audit', serverid: env.sid } })]);
  const unauthenticated = await env.call('DELETE', `${env.base}/accounts/1`, { key: `${key.id}.forged` });
  expect(unauthenticated.status).toBe(401);
  expect(await env.audit('action=unauthenticated', { global: true })).toEqual([
    expect.objectContaining({ server: null, actor: { kind: 'anonymous', id: null }, outcome: 'refused', ip: '127.0.0.1', detail: { status: 401 } }),
  ]);
  expectNoSecrets(await env.audit('', { global: true }), [env.rootApiKey, key.apikey, key.apikey.split('.')[1]]);
});

test('wrong PINs, the PIN blocked, a replayed login and refused proofs are recorded as the device API decides them', async () => {
  const clock = { now: Date.now() };
  const env = await startServer(clock);
  const device = await enrolDevice(env);
  const wrongPin = crypto.signKeyPair();

  const tries = [];
  for (let i = 0; i < 3; i++) tries.push(await pinLogin(env, device, { pinKey: wrongPin }));
  expect(tries.map((t) => t.body)).toEqual([{ result: 'PIN_FAIL', attemptsLeft: 2 }, { result: 'PIN_FAIL', attemptsLeft: 1 }, { result: 'PIN_BLOCKED' }]);
  const whileBlocked = await pinLogin(env, device);  // the right PIN, too late
  expect(whileBlocked.body).toEqual({ result: 'PIN_BLOCKED' });

  const pins = await env.audit('action=device.pinFailed,device.pinBlocked');
  const asDevice = { server: env.sid, actor: { kind: 'device', id: String(device.id) }, account: device.id, outcome: 'refused', ip: '127.0.0.1' };
  expect(pins).toEqual([
    expect.objectContaining({ ...asDevice, action: 'device.pinBlocked', session: whileBlocked.hsid, detail: {} }),
    expect.objectContaining({ ...asDevice, action: 'device.pinBlocked', session: tries[2].hsid, detail: {} }),
    expect.objectContaining({ ...asDevice, action: 'device.pinFailed', session: tries[1].hsid, detail: { attemptsLeft: 1 } }),
    expect.objectContaining({ ...asDevice, action: 'device.pinFailed', session: tries[0].hsid, detail: { attemptsLeft: 2 } }),
  ]);

  // A captured login sent again, once it has logged in: refused, and recorded as a replay.
  expect((await env.call('POST', `${env.base}/accounts/${device.id}/unblockpin`)).status).toBe(200);
  const login = await pinLogin(env, device);
  expect(login.body).toMatchObject({ result: 'SUCCESS' });
  const replayed = await fetch(`${env.url}/device/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: login.raw });
  expect(replayed.status).toBe(404);
  expect(await env.audit('action=device.replay')).toEqual([expect.objectContaining({
    server: env.sid, actor: { kind: 'anonymous', id: null }, account: device.id, session: login.hsid, outcome: 'refused', detail: { code: 53 },
  })]);

  // Proofs by someone without the account key: a signed refusal in a session, an unsigned one outside.
  const forged = await pinLogin(env, device, { accountKey: crypto.signKeyPair() });
  expect(forged.status).toBe(403);
  const deletion = await devicePost(env, '/v1/account/delete', { accountId: device.id, nonce: crypto.toB64u(randomBytes(32)), sigAccount: crypto.toB64u(randomBytes(64)) });
  expect(deletion.status).toBe(403);
  const refusedProofs = await env.audit(`action=device.proofRefused&account=${device.id}`);
  expect(refusedProofs).toEqual([
    expect.objectContaining({ server: env.sid, actor: { kind: 'anonymous', id: null }, session: null, detail: { path: '/v1/account/delete', error: 'the account proof is not accepted' } }),
    expect.objectContaining({ server: env.sid, actor: { kind: 'anonymous', id: null }, session: forged.hsid, detail: { code: 48 } }),
  ]);
  // What the server refused is still refused: the account exists and its PIN count is what the tries left.
  expect((await env.call('GET', `${env.base}/accounts/${device.id}`)).body).toMatchObject({ id: device.id, pinfailures: 0 });

  const sent = [...tries, whileBlocked, login, forged].flatMap((t) => { const j = JSON.parse(t.raw); return [j.sigAccount, j.sigPin]; });
  expectNoSecrets(await env.audit('', { global: true }), [
    ...sent, crypto.toB64u(device.pin.secretKey), crypto.toB64u(device.account.secretKey), crypto.toB64u(device.pin.publicKey), env.rootApiKey,
  ]);
});

test('push-fatigue refusals and rate-limit hits are recorded; a flood of 429s writes one entry a minute', async () => {
  const clock = { now: Date.now() };
  const env = await startServer(clock, { rateLimits: { account: { ratePerSecond: 0.001, burst: 2 } } });
  const device = await enrolDevice(env);

  const nonce = randomBytes(16).toString('base64url');
  expect((await env.call('POST', `${env.base}/accounts/${device.id}/provokelogin`, { nonce })).status).toBe(200);
  const second = await env.call('POST', `${env.base}/accounts/${device.id}/provokelogin`, { nonce });
  expect(second).toMatchObject({ status: 429, body: { code: 'PUSH_LIMIT' } });
  expect(await env.audit(`action=pushLimited,rp.provokeLoginOnAccount&account=${device.id}`)).toEqual([
    expect.objectContaining({ action: 'rp.provokeLoginOnAccount', outcome: 'refused', actor: { kind: 'admin', id: null }, detail: { status: 429, code: 'PUSH_LIMIT' } }),
    expect.objectContaining({ action: 'pushLimited', outcome: 'refused', server: env.sid, actor: { kind: 'admin', id: null }, detail: { why: '1 push login(s) already pending', retryAfter: expect.any(Number) } }),
    expect.objectContaining({ action: 'rp.provokeLoginOnAccount', outcome: 'ok', detail: { status: 200 } }),
  ]);

  // The account's bucket holds two PIN challenges; the rest are refused, and recorded once a minute.
  const challenge = () => devicePost(env, '/v1/pincheck/challenge', { accountId: device.id });
  const statuses = [];
  for (let i = 0; i < 5; i++) statuses.push((await challenge()).status);
  expect(statuses).toEqual([200, 200, 429, 429, 429]);
  clock.now += 61_000;
  expect((await challenge()).status).toBe(429);
  expect(await env.audit('action=rateLimited', { global: true })).toEqual([
    expect.objectContaining({ server: null, account: device.id, outcome: 'refused', ip: '127.0.0.1', detail: { limit: 'account', path: '/v1/pincheck/challenge', suppressed: 2 } }),
    expect.objectContaining({ server: null, account: device.id, outcome: 'refused', detail: { limit: 'account', path: '/v1/pincheck/challenge' } }),
  ]);
});

test("the relying-party API's rate limit per key is recorded in the global log", async () => {
  const clock = { now: Date.now() };
  const env = await startServer(clock, { rateLimits: { rp: { ratePerSecond: 0.001, burst: 3 } } });
  const reader = await env.newKey('permissions=audit');  // the root key's first token
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await env.call('PUT', `${env.base}/accounts/1?blocked=true`)).status);
  expect(statuses).toEqual([404, 404, 429, 429]);
  expect(await env.audit('action=rateLimited', { key: reader.apikey, global: true })).toEqual([
    expect.objectContaining({ server: null, account: null, actor: { kind: 'anonymous', id: null }, outcome: 'refused', ip: '127.0.0.1', detail: { limit: 'rp' } }),
  ]);
});

test('paging by before, and the filters action, account, outcome, since and until; bad filters are refused', async () => {
  const clock = { now: Date.UTC(2026, 1, 1) };
  const env = await startServer(clock);
  const [a, b] = [await enrolDevice(env), await enrolDevice(env)];
  const t0 = clock.now;
  for (let i = 0; i < 5; i++) {
    clock.now = t0 + i * 1000;
    expect((await env.call('PUT', `${env.base}/accounts/${i % 2 ? b.id : a.id}?blocked=${i % 2 === 0}`)).status).toBe(200);
  }
  const weak = await env.newKey(`permissions=sessions&serverid=${env.sid}`);
  expect((await env.call('PUT', `${env.base}/accounts/${a.id}?blocked=false`, { key: weak.apikey })).status).toBe(403);

  const all = await env.audit('action=rp.updateAccount');
  expect(all.map((e) => [e.account, e.outcome])).toEqual([[a.id, 'refused'], [a.id, 'ok'], [b.id, 'ok'], [a.id, 'ok'], [b.id, 'ok'], [a.id, 'ok']]);

  const pages = [];
  let before = null;
  do {
    const r = await env.call('GET', `${env.base}/audit?action=rp.updateAccount&limit=4${before ? `&before=${before}` : ''}`);
    pages.push(r.body.entries.map((e) => e.id));
    before = r.body.next;
  } while (before !== null && pages.length < 5);
  expect(pages).toEqual([all.slice(0, 4).map((e) => e.id), all.slice(4).map((e) => e.id)]);
  const exact = await env.call('GET', `${env.base}/audit?action=rp.updateAccount&limit=3&before=${all[2].id}`);
  expect(exact.body).toEqual({ entries: all.slice(3), next: all[5].id });  // a full page says there may be more

  expect((await env.audit(`account=${b.id}`)).map((e) => e.id)).toEqual([all[2].id, all[4].id]);
  expect((await env.audit('outcome=refused')).map((e) => e.id)).toEqual([all[0].id]);
  expect((await env.audit(`since=${t0 + 1000}&until=${t0 + 3000}&outcome=ok`)).map((e) => e.time)).toEqual([t0 + 3000, t0 + 2000, t0 + 1000]);
  expect(await env.audit(`action=device.pinFailed&account=${a.id}`)).toEqual([]);

  // The typed client: the same pages and filters, each answer checked against its model.
  const { TapgateClient } = require('@tapgate/server/client');
  const client = new TapgateClient({ baseUrl: env.url, apiKey: env.rootApiKey });
  const first = await client.listAudit(env.sid, { action: 'rp.updateAccount', limit: 4 });
  expect(first.entries.map((e) => e.id)).toEqual(pages[0]);
  expect((await client.listAudit(env.sid, { action: ['rp.updateAccount'], before: first.next })).entries.map((e) => e.id)).toEqual(pages[1]);
  expect((await client.listAudit(env.sid, { account: b.id, since: t0, until: t0 + 4000, outcome: 'ok' })).entries.map((e) => e.id)).toEqual([all[2].id, all[4].id]);
  expect((await client.listGlobalAudit({ serverid: env.sid, outcome: 'refused' })).entries).toEqual([all[0]]);
  await expect(new TapgateClient({ baseUrl: env.url, apiKey: weak.apikey }).listAudit(env.sid))
    .rejects.toMatchObject({ kind: 'forbidden', status: 403, operationId: 'listAudit', required: ['audit'] });

  for (const q of ['action=rp.nosuch', 'outcome=maybe', 'limit=0', 'limit=1001', 'before=x', 'since=yesterday', 'account=-1']) {
    expect({ q, status: (await env.call('GET', `${env.base}/audit?${q}`)).status }).toEqual({ q, status: 400 });
  }
});

test("a key of one server reads that server's log only; without the audit permission it reads none", async () => {
  const clock = { now: Date.now() };
  const env = await startServer(clock);
  const other = (await env.call('POST', '/servers', { body: JSON.stringify({ serverName: 'Other' }) })).body.serverid;
  const keyA = await env.newKey(`permissions=audit&serverid=${env.sid}`);
  const keyB = await env.newKey(`permissions=audit&serverid=${other}`);
  const accountsOnly = await env.newKey(`permissions=accounts,servers&serverid=${env.sid}`);
  expect((await env.call('PUT', `/servers/${other}`, { body: JSON.stringify({ serverName: 'Other renamed' }) })).status).toBe(200);
  expect((await env.call('PUT', env.base, { body: JSON.stringify({ serverName: 'Mine' }) })).status).toBe(200);

  // A's key: 403 on B's log and on the global one; its own log has nothing of B's.
  const probe = await env.call('GET', `/servers/${other}/audit`, { key: keyA.apikey });
  expect(probe).toMatchObject({ status: 403, body: { required: ['audit'] } });
  expect((await env.call('GET', '/audit', { key: keyA.apikey })).status).toBe(403);
  const own = await env.audit('', { key: keyA.apikey });
  expect(own.map((e) => [e.action, e.server])).toEqual([['rp.updateServer', env.sid]]);
  // B's owner sees A's key trying to read its log, and its own rename.
  expect((await env.audit('', { key: keyB.apikey, sid: other })).map((e) => [e.action, e.outcome, e.actor.id ?? e.actor.kind])).toEqual([
    ['rp.listAudit', 'refused', keyA.id],
    ['rp.updateServer', 'ok', 'admin'],
  ]);
  // A key with other permissions on A (even servers, which changes it) reads nothing.
  expect(await env.call('GET', `${env.base}/audit`, { key: accountsOnly.apikey })).toMatchObject({ status: 403, body: { required: ['audit'] } });
  // Global readers narrow to one server with serverid.
  expect((await env.audit(`serverid=${other}`, { global: true })).every((e) => e.server === other)).toBe(true);
  const globalKey = await env.newKey('permissions=audit');
  expect((await env.audit('', { key: globalKey.apikey, global: true })).some((e) => e.server === other)).toBe(true);
  expect((await env.call('POST', `/apikeys?permissions=audit&serverid=${other}`, { key: globalKey.apikey })).status).toBe(403);
});

test('the database opened again 91 days later: the default rule (90 days) deletes the older entry and keeps the newer', async () => {
  const clock = { now: Date.UTC(2026, 3, 1) };
  const rootApiKey = `root-${randomBytes(16).toString('hex')}`;
  const db = process.env.TAPGATE_TEST_DATABASE_URL ? (await fx.testDatabase()).url : undefined;
  const dbPath = path.join(fx.tempDir(), 'tapgate.sqlite');
  const start = () => fx.startInProcess(({ url }) => ({ dbPath, databaseUrl: db, publicUrl: url, rootApiKey, now: () => clock.now, retention: { intervalMs: 0 } }), { testDatabase: false });
  const call = (env, method, p) => fetch(`${env.url}${p}`, { method, headers: { 'X-apikey': rootApiKey } }).then(async (r) => ({ status: r.status, body: await r.json() }));

  const first = await start();
  expect((await call(first, 'PUT', `/servers/${first.server.serverId}/accounts/1?blocked=true`)).status).toBe(404);
  clock.now += 80 * 24 * 3600_000;
  expect((await call(first, 'PUT', `/servers/${first.server.serverId}/accounts/2?blocked=true`)).status).toBe(404);
  expect((await call(first, 'GET', '/audit')).body.entries.map((e) => e.detail.status)).toEqual([404, 404]);
  await first.close();

  clock.now += 11 * 24 * 3600_000;  // the first entry is 91 days old, the second 11
  const second = await start();
  await second.tapgate.sweep();  // joins the sweep the start began, or runs one after it (which would delete nothing more)
  expect((await call(second, 'GET', '/audit')).body.entries.map((e) => [e.action, e.time])).toEqual([['rp.updateAccount', clock.now - 11 * 24 * 3600_000]]);
});

test('entries older than the retention rule are deleted by the sweep (auditMs; default 90 days)', async () => {
  const clock = { now: Date.UTC(2026, 2, 1) };
  const env = await startServer(clock, { retention: { intervalMs: 0, auditMs: 10 * DAY, batchSize: 2 } });
  const device = await enrolDevice(env);
  const block = async (v) => expect((await env.call('PUT', `${env.base}/accounts/${device.id}?blocked=${v}`)).status).toBe(200);
  for (let i = 0; i < 3; i++) await block(i % 2 === 0);
  clock.now += 6 * DAY;
  await block(true);
  const kept = (await env.audit())[0];

  clock.now += 5 * DAY;  // the first three are 11 days old, the last 5 days
  const report = await env.tapgate.sweep();
  expect(report.audit_log).toBe(3);
  expect((await env.audit()).map((e) => e.id)).toEqual([kept.id]);
  expect((await env.tapgate.sweep()).audit_log).toBe(0);

  const { RETENTION_DEFAULTS } = require('@tapgate/server/dist/retention');
  expect(RETENTION_DEFAULTS.auditMs).toBe(90 * DAY);
  // The CLI's setting is in days.
  const { loadConfig } = require('@tapgate/server/dist/config');
  expect(loadConfig(['--audit-retention-days', '30'], {}).retention.auditMs).toBe(30 * DAY);
  expect(loadConfig([], { TAPGATE_AUDIT_RETENTION_DAYS: '365' }).retention.auditMs).toBe(365 * DAY);
  expect(loadConfig([], {}).retention.auditMs).toBeUndefined();  // the default above
});
