// Bad input at the reference server: oversized bodies (declared and streamed), bodies that are not
// JSON objects, invalid UTF-8, wrong types, unknown fields, invalid base64url, absurd numbers,
// deep nesting, huge QR sizes and bad query parameters — on the device API and the relying-party
// API. Each must get a 4xx answer with a JSON error, the server must stay up, and the database must
// not change (every table is compared before and after).
const http = require('node:http');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const Database = require('better-sqlite3');
const sodium = require('libsodium-wrappers');
const { useServer } = require('./helpers/fixture');

const env = useServer();
let srv;
let dbFile;
let base;

beforeAll(async () => {
  await sodium.ready;
  srv = env.server;
  dbFile = path.join(srv.dataDir, 'tapgate.sqlite');
  base = `/servers/${srv.serverId}`;
});

/** The audit log is written by refusals too (that is its job; tests/js/audit-log.test.js checks it): not part of "unchanged". */
const AUDIT_TABLE = 'audit_log';

/** Every row of every table but the audit log, as text: equal snapshots mean nothing changed. */
async function snapshot() {
  if (srv.databaseUrl) return pgSnapshot();
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name).filter((t) => t !== AUDIT_TABLE);
    const rows = (t) => db.prepare(`SELECT * FROM "${t}"`).all().filter((r) => !(t === 'sqlite_sequence' && r.name === AUDIT_TABLE));
    return JSON.stringify(tables.map((t) => [t, rows(t).map((r) => Object.values(r).map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : v)))]));
  } finally {
    db.close();
  }
}

/** The same on PostgreSQL (rows sorted: its tables have no inherent order), over one connection. */
let pg = null;
async function pgSnapshot() {
  if (!pg) {
    const { Client } = require('pg');
    pg = new Client({ connectionString: srv.databaseUrl });
    const client = pg;
    env.closeAfterFile(() => client.end());  // before the server stops and its database is dropped
    await pg.connect();
  }
  const db = pg;
  {
    const { rows } = await db.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
    const out = [];
    for (const { name } of rows) {
      if (name === AUDIT_TABLE) continue;
      const data = (await db.query(`SELECT * FROM "${name}"`)).rows.map((r) => JSON.stringify(Object.values(r).map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : v))));
      out.push([name, data.sort()]);
    }
    return JSON.stringify(out);
  }
}

const b64u = (b) => Buffer.from(b).toString('base64url');

async function request(method, urlPath, { body, headers = {}, apiKey = true, nonce } = {}) {
  const h = { ...headers };
  if (apiKey) h['X-apikey'] = srv.rootApiKey;
  if (nonce) h['X-nonce'] = nonce;
  if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
  const res = await fetch(`${srv.url}${urlPath}`, { method, headers: h, body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text };
}

/** Sends a raw (chunked, no Content-Length) body of `size` bytes; resolves with the answer. */
function streamed(urlPath, size) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${srv.url}${urlPath}`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-apikey': srv.rootApiKey } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], text }));
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(8192, 0x61);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  }).catch((err) => ({ status: 'reset', text: String(err) }));  // the server may close the upload early
}

let checked = 0;

/** The answer is a 4xx JSON error, the server is up, and the database did not change. */
async function expectRefused(send, { status } = {}) {
  const before = await snapshot();
  const res = await send();
  checked += 1;
  if (res.status !== 'reset') {
    if (status) expect(res.status).toBe(status);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.type).toMatch(/^application\/json/);
    expect(typeof JSON.parse(res.text).error).toBe('string');
  }
  expect(await snapshot()).toBe(before);
  expect(srv.proc.exitCode).toBeNull();
  expect((await request('GET', `${base}/`)).status).toBe(200);
  return res;
}

/** A fresh enrol QR and a started session on it (a valid context for the per-field cases). */
async function startedEnrolSession() {
  const nonce = randomBytes(8).toString('hex');
  const res = await fetch(`${srv.url}${base}/sessions/qr/enrol?userid=bad-input`, { headers: { 'X-apikey': srv.rootApiKey, 'X-nonce': nonce } });
  const qr = new Uint8Array(await res.arrayBuffer());
  const startBody = JSON.stringify({ v: 1, qr: b64u(qr), nonce: b64u(randomBytes(32)) });
  const start = await request('POST', '/device/v1/start', { apiKey: false, body: startBody });
  expect(start.status).toBe(200);
  // The cancel proof H("tapgate/v1/cancel" ‖ T1) (protocol §4, §5.4), as the device makes it.
  const H = (...parts) => sodium.crypto_generichash(32, Buffer.concat(parts.map((p) => Buffer.from(p))), null);
  const t1 = H(H('tapgate/v1/transcript', qr), H(startBody), H(JSON.parse(start.text).body));
  return { qr, session: b64u(qr.subarray(18, 34)), startBody, cancelProof: b64u(H('tapgate/v1/cancel', t1)) };
}

const device = (p, body, headers) => () => request('POST', `/device${p}`, { apiKey: false, body, headers });

describe('device API', () => {
  const DEVICE_PATHS = ['/v1/start', '/v1/enrol', '/v1/login', '/v1/cancel', '/v1/logout', '/v1/pincheck/challenge', '/v1/pincheck',
    '/v1/ping', '/v1/applogin', '/v1/messages', '/v1/pushtoken', '/v1/account/delete', '/v1/factors', '/v1/factors/commit'];

  test.each(DEVICE_PATHS)('%s: oversized bodies, declared and streamed', async (p) => {
    await expectRefused(device(p, JSON.stringify({ v: 1, pad: 'x'.repeat(70 * 1024) })), { status: 413 });
    await expectRefused(() => streamed(`/device${p}`, 1024 * 1024));
  });

  test.each(DEVICE_PATHS)('%s: not a JSON object, invalid UTF-8, deep nesting, no or another protocol version', async (p) => {
    for (const body of ['', '{', 'null', '[]', '"v"', '42', '{"v":1,}', `{"v":1,"x":${'['.repeat(30000)}${']'.repeat(30000)}}`]) {
      await expectRefused(device(p, body), { status: 400 });
    }
    await expectRefused(device(p, Buffer.from([0x7b, 0x22, 0x76, 0x22, 0x3a, 0x31, 0x2c, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), { status: 400 });
    for (const v of [undefined, 0, 2, '1', 1.5, null, [1], { v: 1 }]) {
      await expectRefused(device(p, JSON.stringify({ v })), { status: 400 });
    }
    await expectRefused(device(p, '{"__proto__":{"v":1},"constructor":{"prototype":{"v":1}}}'), { status: 400 });
  });

  test('/v1/start: wrong types and invalid base64url in qr and nonce', async () => {
    const { qr } = await startedEnrolSession();
    const nonce = b64u(randomBytes(32));
    const bad = [
      { qr: 5, nonce },
      { qr: [1, 2], nonce },
      { qr: b64u(qr), nonce: 7 },
      { qr: `${b64u(qr)}=`, nonce },  // padding
      { qr: `${Buffer.from(qr).toString('base64')}+/`, nonce },  // the standard alphabet
      { qr: b64u(qr).slice(0, -1), nonce },  // not canonical / truncated
      { qr: '!!!!', nonce },
      { qr: b64u(qr), nonce: b64u(randomBytes(31)) },
      { qr: b64u(Buffer.concat([Buffer.from(qr), Buffer.from([0])])), nonce },  // a QR with trailing bytes
      { qr: b64u(Buffer.alloc(100000 / 4 * 3)), nonce },  // huge "QR"
      { nonce },
    ];
    for (const body of bad) await expectRefused(device('/v1/start', JSON.stringify({ v: 1, ...body })));
  });

  test('/v1/enrol, /v1/login, /v1/logout, /v1/cancel: wrong types, invalid base64url, absurd ids', async () => {
    const { session } = await startedEnrolSession();
    const k = b64u(randomBytes(32));
    const s = b64u(randomBytes(64));
    const enrol = { v: 1, session, accountPk: k, boxPk: k, pinPk: k, sigAccount: s, sigPin: s };
    for (const [field, value] of [
      ['session', 42], ['session', 'AAAA'], ['session', '****************'], ['session', null],
      ['accountPk', k.slice(0, -2)], ['accountPk', `${k}=`], ['boxPk', 32], ['pinPk', [k]],
      ['sigAccount', s.replace(/[A-Za-z]/, '+')], ['sigPin', true], ['sigPin', { s }],
    ]) {
      await expectRefused(device('/v1/enrol', JSON.stringify({ ...enrol, [field]: value })));
    }
    const login = { v: 1, session, accountId: 1, userInput: '', sigAccount: s, sigPin: s };
    for (const [field, value] of [
      ['accountId', '1'], ['accountId', -1], ['accountId', 0], ['accountId', 1.5], ['accountId', 1e300], ['accountId', 2 ** 53],
      ['accountId', null], ['userInput', 5], ['userInput', null], ['sigAccount', 'nope'], ['session', {}],
    ]) {
      await expectRefused(device('/v1/login', JSON.stringify({ ...login, [field]: value })));
    }
    await expectRefused(device('/v1/logout', JSON.stringify({ v: 1, session, accountId: 'x', sigAccount: s })));
    await expectRefused(device('/v1/cancel', JSON.stringify({ v: 1, session: 'AAAAAAAAAAAAAAAAAAAAAA' })), { status: 404 });
    await expectRefused(device('/v1/cancel', JSON.stringify({ v: 1, session: 12 })));
  });

  test('/v1/pincheck/challenge and /v1/pincheck: wrong types, unknown accounts, invalid base64url', async () => {
    const n = b64u(randomBytes(32));
    for (const body of [{ accountId: '1' }, { accountId: 0 }, { accountId: 1.5 }, { accountId: 1, nonce: n }, {}]) {
      await expectRefused(device('/v1/pincheck/challenge', JSON.stringify({ v: 1, ...body })));
    }
    // An unknown account gets a challenge like a known one (no enumeration), and nothing is stored.
    const before = await snapshot();
    const unknown = await device('/v1/pincheck/challenge', JSON.stringify({ v: 1, accountId: 999999 }))();
    expect(unknown.status).toBe(200);
    expect(Buffer.from(JSON.parse(unknown.text).challenge, 'base64url')).toHaveLength(32);
    expect(await snapshot()).toBe(before);
    const s = b64u(randomBytes(64));
    for (const body of [{ accountId: 999999, challenge: n, sigAccount: s, sigPin: s }, { accountId: 1, challenge: 5, sigAccount: s, sigPin: s }]) {
      await expectRefused(device('/v1/pincheck', JSON.stringify({ v: 1, ...body })));
    }
  });

  test('unknown paths and methods', async () => {
    await expectRefused(device('/v1/nope', '{"v":1}'), { status: 404 });
    await expectRefused(device('/v2/start', '{"v":1}'), { status: 404 });
    await expectRefused(() => request('GET', '/device/v1/start', { apiKey: false }), { status: 405 });
    await expectRefused(() => request('PUT', '/device/v1/enrol', { apiKey: false, body: '{}' }), { status: 405 });
  });

  // Each endpoint refuses fields it does not define (a misspelt or injected field must not pass
  // silently), before it looks anything up; the error names the field.
  test.each(DEVICE_PATHS)('%s: a request with an unknown field is refused with 400', async (p) => {
    for (const extra of [{ bogus: 1 }, { V: 1 }, { sigPIN: 'x' }, { ['x'.repeat(100)]: null }]) {
      const res = await expectRefused(device(p, JSON.stringify({ v: 1, ...extra })), { status: 400 });
      const [key] = Object.keys(extra);
      expect(JSON.parse(res.text).error).toBe(`unknown field "${key.length > 40 ? `${key.slice(0, 40)}…` : key}"`);
    }
    const res = await expectRefused(device(p, '{"v":1,"__proto__":{"isAdmin":true}}'), { status: 400 });
    expect(JSON.parse(res.text).error).toBe('unknown field "__proto__"');
  });

  test('an otherwise valid request fails only for its unknown field (start, cancel)', async () => {
    const { session, startBody, cancelProof } = await startedEnrolSession();
    const start = JSON.parse(startBody);
    await expectRefused(device('/v1/start', JSON.stringify({ ...start, pushToken: 'not here' })), { status: 400 });
    expect((await device('/v1/start', startBody)()).status).toBe(200);  // the same start again: its stored answer
    await expectRefused(device('/v1/cancel', JSON.stringify({ v: 1, session, proof: cancelProof, reason: 'x' })), { status: 400 });
    const before = await snapshot();
    expect((await device('/v1/cancel', JSON.stringify({ v: 1, session, proof: cancelProof }))()).status).toBe(200);
    expect(await snapshot()).not.toBe(before);  // the control changes the database: the refusals did not
  });
});

describe('relying-party API', () => {
  test('authentication and the X-nonce header', async () => {
    await expectRefused(() => request('GET', `${base}/`, { apiKey: false }), { status: 401 });
    await expectRefused(() => request('GET', `${base}/`, { apiKey: false, headers: { 'X-apikey': `${srv.rootApiKey}x` } }), { status: 401 });
    await expectRefused(() => request('GET', `${base}/sessions/qr/enrol`), { status: 400 });
    await expectRefused(() => request('GET', `${base}/sessions/qr/enrol`, { nonce: 'n'.repeat(300) }), { status: 400 });
    await expectRefused(() => request('GET', `${base}/sessions/`), { status: 400 });
  });

  test('QR size, image type, user id, name and usercontext', async () => {
    const nonce = 'bad-qr-params';
    for (const q of ['s=100000', 's=-1', 's=abc', 's=31', 's=2049', 's=1e3', 's=99999999999', 'img=svg', 'img=png&s=100000',
      `userid=${'u'.repeat(300)}`, `name=${'n'.repeat(300)}`]) {
      await expectRefused(() => request('GET', `${base}/sessions/qr/enrol?${q}`, { nonce }), { status: 400 });
    }
    for (const ctx of ['{', '[]', '"x"', JSON.stringify({ announceinfo: { info: { a: 5 } } }), JSON.stringify({ sessioninfo: 'x' }),
      JSON.stringify({ announceinfo: { info: { a: 'b'.repeat(9000) } } }), JSON.stringify({ announceinfo: { ip: 5 } })]) {
      await expectRefused(() => request('GET', `${base}/sessions/qr/login?usercontext=${encodeURIComponent(ctx)}`, { nonce }), { status: 400 });
    }
  });

  test('server ids that are not base64url, bad percent-encoding, unknown routes, wrong methods, bad paging', async () => {
    for (const p of ['/servers/!!!/', `/servers/${srv.serverId}x/`, '/servers/AAAAAAAAAAAAAAAAAAAAAA/', `${base}/nope`]) {
      await expectRefused(() => request('GET', p), { status: 404 });
    }
    await expectRefused(() => request('GET', '/servers/%ZZ/'), { status: 400 });  // the caller's encoding, not a missing route
    await expectRefused(() => request('POST', `${base}/accounts/`, { body: '{}' }), { status: 405 });
    await expectRefused(() => request('GET', `${base}/sessions/logout`, { nonce: 'x' }), { status: 405 });
    for (const q of ['marker=-1', 'limit=abc', 'limit=1e9', 'marker=99999999999']) {
      await expectRefused(() => request('GET', `${base}/accounts/?${q}`), { status: 400 });
    }
  });

  test('PUT server: oversized, not JSON, wrong types, out-of-range values and unknown fields', async () => {
    await expectRefused(() => request('PUT', `${base}/`, { body: JSON.stringify({ serverName: 'x'.repeat(70 * 1024) }) }), { status: 413 });
    await expectRefused(() => streamed(`${base}/`, 1024 * 1024).then((r) => r));
    for (const body of ['', '{', '[]', 'null', '"x"']) await expectRefused(() => request('PUT', `${base}/`, { body }), { status: 400 });
    for (const body of [
      { serverName: 5 }, { serverName: '' }, { serverName: '   ' }, { serverName: 'n'.repeat(101) },
      { pingTime: '5' }, { pingTime: -1 }, { pingTime: 1.5 }, { pingTime: 2 ** 31 }, { pinTimeout: null },
      { pinAttemptLimit: 0 }, { pinAttemptLimit: true }, { pinAttemptLimit: 1e300 },
      { serverName: 'Renamed', bogus: 1 }, { pinAttemptLimit: 5, pinAttemptLimt: 50 },
    ]) {
      await expectRefused(() => request('PUT', `${base}/`, { body: JSON.stringify(body) }), { status: 400 });
    }
  });

  test('what GET returns can be PUT back unchanged', async () => {
    const current = JSON.parse((await request('GET', `${base}/`)).text);
    const before = await snapshot();
    const res = await request('PUT', `${base}/`, { body: JSON.stringify(current) });
    expect(res.status).toBe(200);
    expect(await snapshot()).toBe(before);
  });

  describe('v2.2: lists, accounts, users, sessions, servers, API keys', () => {
    let accountId;
    let sessionsKey;
    beforeAll(async () => {
      const auth = await env.enrolled({ userid: 'bad-input-user' });
      accountId = auth.accounts[0].accountId;
      await auth.close();
      const res = await fetch(`${srv.url}/apikeys/?permissions=sessions&serverid=${srv.serverId}`, { method: 'POST', headers: { 'X-apikey': srv.rootApiKey } });
      sessionsKey = (await res.json()).apikey;
    });
    const long = 'x'.repeat(300);

    test('account and user lists: unknown or malformed sort, filter, search, paging', async () => {
      for (const q of ['sort=pk', 'sort=id:up', 'sort=id;drop', 'sort=id%20desc', 'sort=:asc', `sort=${'id,'.repeat(6)}`, 'sort=numberaccounts',
        'filter=pk=1', 'filter=blocked=yes', 'filter=blocked=TRUE', 'filter=blocked=', 'filter=blocked', 'filter==x', `filter=userid=${long}`,
        `filter=${'x'.repeat(60)}=1`, Array.from({ length: 11 }, () => 'filter=blocked=true').join('&'), 'limit=1001', 'limit=-1', 'marker=x']) {
        const res = await expectRefused(() => request('GET', `${base}/accounts/?${q}`), { status: 400 });
        expect(JSON.parse(res.text).error.length).toBeLessThan(200);
      }
      for (const q of ['sort=lastprovoke', 'sort=blocked', 'filter=blocked=true', 'filter=userid=', 'filter=numberaccounts=-1',
        'filter=numberaccounts=1.5', `search=${long}`, 'limit=5000']) {
        await expectRefused(() => request('GET', `${base}/users/?${q}`), { status: 400 });
      }
      for (const q of ['sort=numberaccounts', 'filter=userid=x', 'limit=1001']) {
        await expectRefused(() => request('GET', `${base}/users/bad-input-user/accounts?${q}`), { status: 400 });
      }
    });

    test('updateAccount, updateAccountUser, provokeLoginOnAccount: bad booleans and values, unknown accounts', async () => {
      for (const q of ['', '?blocked=', '?blocked=maybe', '?blocked=TRUE', '?blocked=1', `?blocked=${long}`]) {
        await expectRefused(() => request('PUT', `${base}/accounts/${accountId}/${q}`), { status: 400 });
      }
      for (const p of ['999999', 'abc', '1.5', '-1', '9'.repeat(20)]) {
        await expectRefused(() => request('PUT', `${base}/accounts/${p}/?blocked=true`), { status: 404 });
        await expectRefused(() => request('PUT', `${base}/accounts/${p}/user?userid=x`), { status: 404 });
        await expectRefused(() => request('POST', `${base}/accounts/${p}/provokelogin`, { nonce: 'n' }), { status: 404 });
      }
      for (const q of ['', '?userid=', `?userid=${long}`]) {
        await expectRefused(() => request('PUT', `${base}/accounts/${accountId}/user${q}`), { status: 400 });
      }
      await expectRefused(() => request('POST', `${base}/accounts/${accountId}/provokelogin`), { status: 400 });  // no X-nonce
      await expectRefused(() => request('POST', `${base}/accounts/${accountId}/provokelogin`, { nonce: 'n', body: '{"announceinfo":5}' }), { status: 400 });
      await expectRefused(() => request('GET', `${base}/accounts/${accountId}/provokelogin`, { nonce: 'n' }), { status: 405 });
      await expectRefused(() => request('POST', `${base}/accounts/${accountId}/user?userid=x`), { status: 405 });
      await expectRefused(() => request('PATCH', `${base}/accounts/${accountId}/?blocked=true`), { status: 405 });
    });

    test('users: unknown users, over-long user ids, wrong methods; registerUser', async () => {
      for (const [method, p, nonce] of [['DELETE', 'users/nobody/'], ['DELETE', 'users/nobody/accounts'], ['GET', 'users/nobody/accounts'],
        ['POST', 'users/nobody/provokelogin', 'n'], ['GET', 'users/a/b/c'], ['GET', 'users/bad-input-user/nothing']]) {
        await expectRefused(() => request(method, `${base}/${p}`, { nonce }), { status: 404 });
      }
      for (const [method, p] of [['DELETE', `users/${long}/`], ['GET', `users/${long}/accounts`]]) {
        await expectRefused(() => request(method, `${base}/${p}`), { status: 400 });
      }
      for (const [method, p] of [['GET', 'users/bad-input-user/'], ['POST', 'users/'], ['PUT', 'users/bad-input-user/accounts'],
        ['GET', 'users/bad-input-user/provokelogin'], ['GET', 'sessions/registeruser'], ['DELETE', 'users/']]) {
        await expectRefused(() => request(method, `${base}/${p}`, { nonce: 'n' }), { status: 405 });
      }
      await expectRefused(() => request('POST', `${base}/users/bad-input-user/provokelogin`), { status: 400 });  // no X-nonce
      await expectRefused(() => request('POST', `${base}/sessions/registeruser?userid=x`), { status: 400 });
      await expectRefused(() => request('POST', `${base}/sessions/registeruser`, { nonce: 'n' }), { status: 400 });
      await expectRefused(() => request('POST', `${base}/sessions/registeruser?userid=${long}`, { nonce: 'n' }), { status: 400 });
      await expectRefused(() => request('POST', `${base}/sessions/registeruser?userid=x`, { nonce: 'nobody-logged-in' }), { status: 409 });
    });

    test('createServer and the logo: missing name, bad logos, read-only and unknown fields', async () => {
      const bigPng = `data:image/png;base64,${'A'.repeat(40000)}`;
      const badLogos = ['javascript:alert(1)', 'data:text/html;base64,PGI+', 'data:image/png;base64,***', 'https://a b.example/',
        'ftp://x.example/l.png', 'not a url', '', 5, true, {}, bigPng, 'https://x.example/"onerror="x'];
      for (const body of [{}, { serverName: '' }, { serverName: 5 }, { serverName: 'x', serverid: 'AAAA' }, { serverName: 'x', bogus: 1 },
        { serverName: 'x', accountCount: 0 }, { serverName: 'x', pinAttemptLimit: 0 }, ...badLogos.map((logo) => ({ serverName: 'x', logo }))]) {
        await expectRefused(() => request('POST', '/servers/', { body: JSON.stringify(body) }), { status: 400 });
      }
      for (const body of ['', '[]', '{']) await expectRefused(() => request('POST', '/servers/', { body }), { status: 400 });
      for (const logo of badLogos) await expectRefused(() => request('PUT', `${base}/`, { body: JSON.stringify({ logo }) }), { status: 400 });
      await expectRefused(() => request('DELETE', '/servers/'), { status: 405 });
    });

    test('API keys: bad permissions, scopes and descriptions; unknown keys; wrong methods; missing permissions', async () => {
      for (const q of ['permissions=bogus', 'permissions=sessions,ROOT', 'permissions=createserver&serverid=' + srv.serverId,
        'serverid=AAAAAAAAAAAAAAAAAAAAAA', 'serverid=!!', `description=${long}`]) {
        await expectRefused(() => request('POST', `/apikeys/?${q}`), { status: 400 });
      }
      const roleid = sessionsKey.split('.')[0];
      for (const q of ['', '?acl=', '?acl=bogus', '?acl=createserver', '?acl=sessions,ROOT']) {
        await expectRefused(() => request('POST', `${base}/permissions/${roleid}${q}`), { status: 400 });
      }
      await expectRefused(() => request('DELETE', `${base}/permissions/${roleid}?acl=nope`), { status: 400 });
      await expectRefused(() => request('POST', `${base}/permissions/no-such-role?acl=sessions`), { status: 404 });
      await expectRefused(() => request('GET', `${base}/permissions/no-such-role`), { status: 404 });
      await expectRefused(() => request('PUT', `${base}/permissions/${roleid}?acl=sessions`), { status: 405 });
      await expectRefused(() => request('POST', `${base}/permissions/`), { status: 405 });
      await expectRefused(() => request('POST', `${base}/permissions/${roleid}?acl=root`, { apiKey: false, headers: { 'X-apikey': sessionsKey } }), { status: 403 });
      await expectRefused(() => request('DELETE', '/apikeys/no-such-key'), { status: 404 });
      await expectRefused(() => request('DELETE', '/apikeys/a/b'), { status: 404 });
      await expectRefused(() => request('GET', '/apikeys/some-key'), { status: 405 });
      await expectRefused(() => request('PUT', '/apikeys/', { body: '{}' }), { status: 405 });
      await expectRefused(() => request('GET', '/apikeys/', { apiKey: false, headers: { 'X-apikey': 'k'.repeat(5000) } }), { status: 401 });
      const asSessions = (method, p, nonce) => () => request(method, p, { apiKey: false, nonce, headers: { 'X-apikey': sessionsKey } });
      for (const [method, p] of [['GET', '/apikeys/'], ['POST', '/apikeys/?permissions=root'], ['DELETE', '/apikeys/x'], ['POST', '/servers/'],
        ['GET', `${base}/accounts/`], ['PUT', `${base}/accounts/${accountId}/?blocked=true`], ['DELETE', `${base}/users/bad-input-user/`],
        ['DELETE', `${base}/accounts/${accountId}/`], ['PUT', `${base}/`], ['POST', `${base}/sessions/registeruser?userid=x`]]) {
        const res = await expectRefused(asSessions(method, p, 'n'), { status: 403 });
        expect(JSON.parse(res.text).required.length).toBeGreaterThan(0);
      }
    });
  });

  test('summary', () => {
    // eslint-disable-next-line no-console
    console.log(`server bad-input suite: ${checked} refused requests, each 4xx JSON, server up, database unchanged`);
  });
});
