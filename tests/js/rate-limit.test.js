// Rate limits with low settings on a real server: token buckets per API key (relying-party API)
// and per client address (device API), answered 429 with Retry-After and a JSON error.
'use strict';
const { useServer } = require('./helpers/fixture');

jest.setTimeout(30_000);

// 0.2 tokens/s: a spent bucket stays empty for the whole test on a slow machine.
const env = useServer({ args: ['--rp-rate', '0.2', '--rp-burst', '3', '--device-rate=0.2', '--device-burst=2'] });

const rpGet = (key) => fetch(`${env.server.url}/servers/${env.server.serverId}`, { headers: { 'X-apikey': key } });
const devicePost = () => fetch(`${env.server.url}/device/v1/ping`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"v":1}' });

test('the relying-party API allows the burst per API key, then 429 with Retry-After; wrong keys share the client address bucket', async () => {
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await rpGet(env.server.rootApiKey)).status);
  expect(statuses).toEqual([200, 200, 200, 429]);
  const limited = await rpGet(env.server.rootApiKey);
  expect(limited.status).toBe(429);
  const retryAfter = Number(limited.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(5);  // one token at 0.2/s
  expect(await limited.json()).toEqual({ error: 'rate limit exceeded', retryAfter });
  // A wrong key draws from the client address's bucket, not the key's: refused by authentication.
  expect((await rpGet('some-other-key')).status).toBe(401);
  expect((await rpGet('another-wrong-key')).status).toBe(401);
  expect((await rpGet('a-third-wrong-key')).status).toBe(401);
  const guessing = await rpGet('a-fourth-wrong-key');  // the address's burst of 3 is spent
  expect(guessing.status).toBe(429);
  expect(Number(guessing.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
});

test('the device API allows the burst per client address, then 429; operations endpoints are not limited', async () => {
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await devicePost()).status);
  expect(statuses.slice(0, 2)).not.toContain(429);
  expect(statuses[2]).toBe(429);
  for (let i = 0; i < 5; i++) expect((await fetch(`${env.server.url}/healthz`)).status).toBe(200);
});

test('the OpenID provider draws from the per-address bucket of the device API', async () => {
  const s = await env.startServer({ args: ['--device-rate=0.2', '--device-burst=2'], env: { TAPGATE_OIDC: '1' } });
  const statuses = [];
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${s.url}/oidc/.well-known/openid-configuration`);
    statuses.push(res.status);
    await res.arrayBuffer();
  }
  expect(statuses).toEqual([200, 200, 429]);
});

describe('per-account limit on the PIN-trying device requests', () => {
  // No per-address limit here: only the account's bucket (burst 2, 0.2/s) can answer 429.
  const limited = useServer({ args: ['--account-rate', '0.2', '--account-burst', '2'] });

  /** POSTs from a chosen loopback source address (127.0.0.x all reach the 127.0.0.1 listener on Linux). */
  function postFrom(localAddress, path, body) {
    const http = require('node:http');
    return new Promise((resolve, reject) => {
      const req = http.request(`${limited.server.url}/device${path}`, { method: 'POST', localAddress, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, retryAfter: res.headers['retry-after'], text }));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  }
  const challenge = (accountId) => ({ v: 1, accountId });
  const b64 = (n) => Buffer.alloc(n, 7).toString('base64url');

  test('one account cannot be tried faster from many addresses; other accounts and other paths are not affected', async () => {
    // Two tries on account 77 from two addresses spend its burst; a third address is refused too.
    // No such account: answered as for any account (protocol §5.6), and counted all the same.
    expect((await postFrom('127.0.0.2', '/v1/pincheck/challenge', challenge(77))).status).toBe(200);
    expect((await postFrom('127.0.0.3', '/v1/pincheck', { v: 1, accountId: 77, challenge: b64(32), sigAccount: b64(64), sigPin: b64(64) })).status).toBe(404);
    for (const [address, path] of [['127.0.0.4', '/v1/login'], ['127.0.0.5', '/v1/pincheck/challenge'], ['127.0.0.6', '/v1/factors']]) {
      const body = path === '/v1/pincheck/challenge' ? challenge(77) : { v: 1, accountId: 77 };
      const r = await postFrom(address, path, body);
      expect({ path, status: r.status }).toEqual({ path, status: 429 });
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(r.text)).toEqual({ error: 'rate limit exceeded', retryAfter: Number(r.retryAfter) });
    }
    // Another account from the same addresses still gets through, and so do paths that try no PIN.
    expect((await postFrom('127.0.0.4', '/v1/pincheck/challenge', challenge(78))).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await postFrom('127.0.0.4', '/v1/ping', { v: 1, accountId: 77 })).status).not.toBe(429);
  });
});

test('a key made with POST /apikeys/ gets its own bucket once it has authenticated', async () => {
  const s = await env.startServer({ args: ['--rp-rate', '0.2', '--rp-burst', '2'] });
  const get = (key) => fetch(`${s.url}/servers/${s.serverId}/sessions/`, { headers: { 'X-apikey': key, 'X-nonce': 'n' } }).then((r) => r.status);
  const made = await fetch(`${s.url}/apikeys/?permissions=sessions`, { method: 'POST', headers: { 'X-apikey': s.rootApiKey } });  // root: 1 of 2
  const { apikey } = await made.json();
  expect(await get(apikey)).toBe(200);  // not known yet: the address's bucket (1 of 2)
  expect([await get(apikey), await get(apikey), await get(apikey)]).toEqual([200, 200, 429]);  // its own bucket of 2
  expect(await get(s.rootApiKey)).toBe(200);  // the root key's second token: buckets are per key
  expect(await get('wrong-key')).toBe(401);  // the address's second token
  expect(await get('wrong-key')).toBe(429);
});
