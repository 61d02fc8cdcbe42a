// HTTP-level hardening of the server and the demo (issue 12): malformed percent-encoding is the
// caller's 400, not a 500 with an internal error logged (item 7); server parameters have sane
// ranges whoever sets them, the PIN attempt limit at most 10 (item 9); the demo's pages cannot be
// framed and carry a Content-Security-Policy (item 9); the device API takes JSON only and no
// cross-site browser requests (docs/security.md, "cross-site simple POSTs").
const path = require('node:path');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const { REPO_ROOT } = require('./helpers/server-process');
const { useServer, useDemo } = require('./helpers/fixture');

jest.setTimeout(60_000);

const EXTENSION_ORIGIN = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop';
const env = useServer({ env: { TAPGATE_DEVICE_ORIGINS: `${EXTENSION_ORIGIN}, https://App.Example` } });
const demo = useDemo();

const get = async (base, p, headers = {}) => {
  const res = await fetch(`${base}${p}`, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
};

describe('malformed percent-encoding', () => {
  test('the server answers 400 on every route that decodes, and logs no internal error', async () => {
    const key = { 'X-apikey': env.server.rootApiKey };
    for (const p of ['/relay/v1/%zz', '/relay/v1/%ff', '/relay/v1/a%e2%82', '/servers/%zz/', `/servers/${env.server.serverId}/accounts/%ff/`,
      `/servers/${env.server.serverId}/users/%c0%af/accounts`, '/apikeys/%zz']) {
      const res = await get(env.server.url, p, key);
      expect({ p, status: res.status, body: JSON.parse(res.text) }).toEqual({ p, status: 400, body: { error: 'malformed percent-encoding in the path' } });
    }
    expect(env.server.output().stderr).not.toMatch(/internal error/);
  });

  test('the demo answers 400 for its pages and the server routes it mounts', async () => {
    for (const p of ['/authenticator/%ff', '/%zz', '/sdk/%e2%82', '/relay/v1/%zz', '/servers/%zz/']) {
      expect({ p, status: (await get(demo.server.url, p)).status }).toEqual({ p, status: 400 });
    }
    expect((await get(demo.server.url, '/authenticator/')).status).toBe(200);
    expect(demo.server.output().stderr).not.toMatch(/internal error|request failed/);
  });
});

describe('server parameters', () => {
  const base = () => `${env.server.url}/servers/${env.server.serverId}/`;
  const put = (body, key = env.server.rootApiKey) =>
    fetch(base(), { method: 'PUT', headers: { 'X-apikey': key, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test('the PIN attempt limit is 1..10, pingTime and pinTimeout have ranges, on update and on create', async () => {
    for (const body of [{ pinAttemptLimit: 11 }, { pinAttemptLimit: 1000000 }, { pinAttemptLimit: 0 }, { pingTime: 86401 }, { pingTime: -1 },
      { pinTimeout: 1441 }, { pinTimeout: 2 ** 31 - 1 }, { pinTimeout: -2 }, { pinTransTimeout: -1 }, { pinTransTimeout: 1441 }, { pinTransTimeout: 0.5 }]) {
      const res = await put(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect((await res.json()).error).toMatch(/must be an integer in -?\d+\.\.\d+/);
    }
    for (const body of [{ pinAttemptLimit: 10 }, { pinAttemptLimit: 1 }, { pingTime: 86400 }, { pinTimeout: 1440 }, { pinTimeout: -1 }, { pinTransTimeout: 1440 }, { pingTime: 0, pinTimeout: 0, pinTransTimeout: 0, pinAttemptLimit: 3 }]) {
      expect({ body, status: (await put(body)).status }).toEqual({ body, status: 200 });
    }
    const created = await fetch(`${env.server.url}/servers/`, {
      method: 'POST', headers: { 'X-apikey': env.server.rootApiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ serverName: 'Lax', pinAttemptLimit: 50 }),
    });
    expect(created.status).toBe(400);
  });

  test('a key with only the servers permission cannot lift the limit either', async () => {
    const made = await fetch(`${env.server.url}/apikeys/?description=ops&permissions=servers&serverid=${env.server.serverId}`, {
      method: 'POST', headers: { 'X-apikey': env.server.rootApiKey },
    });
    expect(made.status).toBe(200);
    const { apikey } = await made.json();
    expect((await put({ pinAttemptLimit: 100 }, apikey)).status).toBe(400);
    expect((await put({ pinAttemptLimit: 5 }, apikey)).status).toBe(200);
    const now = await (await fetch(base(), { headers: { 'X-apikey': apikey } })).json();
    expect(now.pinAttemptLimit).toBe(5);
    await put({ pinAttemptLimit: 3 });
  });
});

test('a limit stored before the ranges were enforced is brought into them at start', async () => {
  const dataDir = env.tempDir('tapgate-clamp-');
  const lax = await env.startServer({ dataDir });
  const { databaseUrl } = lax;
  await lax.stop();
  // What an older version let a `servers` key store.
  const sql = 'UPDATE servers SET pin_attempt_limit = 1000, ping_time = 999999, pin_timeout = 5';
  if (databaseUrl) {
    const { Client } = require('pg');
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(sql);
    await client.end();
  } else {
    const db = new (require('better-sqlite3'))(path.join(dataDir, 'tapgate.sqlite'));
    db.prepare(sql).run();
    db.close();
  }
  const rootApiKey = lax.rootApiKey;  // printed once, at the first start only
  const again = await env.startServer({ dataDir });
  const now = await (await fetch(`${again.url}/servers/${again.serverId}/`, { headers: { 'X-apikey': rootApiKey } })).json();
  expect(now).toMatchObject({ pinAttemptLimit: 10, pingTime: 86400, pinTimeout: 5 });
});

describe('headers against framing, sniffing and injection', () => {
  test('demo pages send a Content-Security-Policy with frame-ancestors none, nosniff and a Referrer-Policy', async () => {
    for (const p of ['/', '/authenticator/']) {
      const { status, headers } = await get(demo.server.url, p);
      expect(status).toBe(200);
      const csp = headers.get('content-security-policy');
      expect(csp).toMatch(/(^|; )frame-ancestors 'none'(;|$)/);
      expect(csp).toMatch(/(^|; )default-src 'self'(;|$)/);
      expect(csp).toMatch(/(^|; )object-src 'none'(;|$)/);
      expect(csp).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
    }
    // The authenticator's inline import map is allowed by its hash, and nothing else inline.
    const html = fs.readFileSync(path.join(REPO_ROOT, 'web-demo', 'public', 'authenticator', 'index.html'), 'utf8');
    const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)[1];
    const hash = createHash('sha256').update(importMap).digest('base64');
    expect((await get(demo.server.url, '/authenticator/')).headers.get('content-security-policy')).toContain(`'sha256-${hash}'`);
    expect((await get(demo.server.url, '/style.css')).headers.get('x-content-type-options')).toBe('nosniff');
  });

  test('server answers are not frameable documents', async () => {
    const res = await get(env.server.url, `/servers/${env.server.serverId}/`, { 'X-apikey': env.server.rootApiKey });
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('device API: JSON only, and no cross-site browser requests', () => {
  // An unknown session's cancel: a request that passes every check ends in 404 and changes nothing.
  const cancel = JSON.stringify({ v: 1, session: 'AAAAAAAAAAAAAAAAAAAAAA' });
  const post = async (headers, body = cancel) => {
    const res = await fetch(`${env.server.url}/device/v1/cancel`, { method: 'POST', headers, body });
    return { status: res.status, error: (await res.json()).error };
  };

  test('a body that is not declared application/json is 415: what a page can send cross-site without a preflight', async () => {
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
      'application/json; charset=iso-8859-1', 'application/jsonp', '']) {
      const r = await post(type ? { 'content-type': type } : {});
      expect({ type, ...r }).toEqual({ type, status: 415, error: 'the request body must be Content-Type: application/json' });
    }
    // fetch adds text/plain to a string body of its own accord.
    expect((await fetch(`${env.server.url}/device/v1/cancel`, { method: 'POST', body: cancel })).status).toBe(415);
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"']) {
      expect({ type, status: (await post({ 'content-type': type })).status }).toEqual({ type, status: 404 });
    }
  });

  test('a browser Origin other than the configured ones is 403; no Origin, the own origin and configured ones pass', async () => {
    const json = { 'content-type': 'application/json' };
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1', 'chrome-extension://otherextensionidotherextensioni', 'https://app.example.evil']) {
      expect({ origin, ...(await post({ ...json, origin })) }).toEqual({ origin, status: 403, error: 'requests from this origin are not accepted' });
    }
    for (const origin of [env.server.url, EXTENSION_ORIGIN, 'https://app.example', 'https://APP.example:443']) {
      expect({ origin, status: (await post({ ...json, origin })).status }).toEqual({ origin, status: 404 });
    }
    expect((await post(json)).status).toBe(404);
  });

  test('the demo takes its own pages\' origin, and refuses others', async () => {
    const r = (origin) => fetch(`${demo.server.url}/device/v1/cancel`, { method: 'POST', headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) }, body: cancel });
    expect((await r(demo.server.url)).status).toBe(404);
    expect((await r('https://evil.example')).status).toBe(403);
  });
});
