// Rate limits shared by the instances of one PostgreSQL database (server/src/rate-limit-shared.ts):
// two real server processes on one database, requests alternating between them, allow each
// bucket's burst once between them, not once each. Then, in-process with a moved clock: the
// shared buckets refill at the configured rate and are deleted once idle long enough to be full.
// Needs TAPGATE_TEST_DATABASE_URL (scripts/test.sh starts a throwaway cluster).
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const { TEST_DATABASE_URL } = require('./helpers/server-process');
const { useServers } = require('./helpers/fixture');

jest.setTimeout(60_000);

const fx = useServers();
const pg = TEST_DATABASE_URL ? describe : describe.skip;
if (!TEST_DATABASE_URL) {
  // eslint-disable-next-line no-console
  console.log('rate-limit-shared: needs PostgreSQL (TAPGATE_TEST_DATABASE_URL; scripts/test.sh sets it); skipped in this run');
}

const ROOT_KEY = 'shared-limits-root-key';
const SHARED_KEY = crypto.randomBytes(32).toString('base64url');

/** A request from a chosen loopback source address (127.0.0.x all reach the 127.0.0.1 listener on Linux); resolves with its status. */
function requestFrom(localAddress, url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, localAddress, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const devicePost = (url, path, body, localAddress = '127.0.0.1') =>
  requestFrom(localAddress, `${url}/device${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

pg('two instances on one PostgreSQL database', () => {
  // 0.01 tokens/s: a spent bucket stays empty for the whole test on a slow machine.
  const LIMITS = {
    TAPGATE_RP_RATE: '0.01', TAPGATE_RP_BURST: '4',
    TAPGATE_DEVICE_RATE: '0.01', TAPGATE_DEVICE_BURST: '3',
    TAPGATE_ACCOUNT_RATE: '0.01', TAPGATE_ACCOUNT_BURST: '2',
  };
  let a;
  let b;
  beforeAll(async () => {
    const db = await fx.testDatabase();
    const env = { TAPGATE_DATABASE_URL: db.url, TAPGATE_ROOT_API_KEY: ROOT_KEY, TAPGATE_KEY: SHARED_KEY, ...LIMITS };
    [a, b] = await Promise.all([fx.startServer({ env }), fx.startServer({ env })]);
    expect(a.url).not.toBe(b.url);
  });

  /** `n` calls of `call`, alternating A, B, A, …; their statuses. */
  async function alternate(n, call) {
    const statuses = [];
    for (let i = 0; i < n; i++) statuses.push(await call(i % 2 === 0 ? a : b));
    return statuses;
  }

  test('per API key: the burst of 4 is allowed once between the two instances, then both answer 429', async () => {
    const get = (s) => fetch(`${s.url}/servers/${s.serverId}`, { headers: { 'X-apikey': ROOT_KEY } }).then(async (r) => {
      await r.arrayBuffer();
      return r.status;
    });
    expect(await alternate(7, get)).toEqual([200, 200, 200, 200, 429, 429, 429]);
    const limited = await fetch(`${b.url}/servers/${b.serverId}`, { headers: { 'X-apikey': ROOT_KEY } });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(await limited.json()).toEqual({ error: 'rate limit exceeded', retryAfter });
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(100);  // one token at 0.01/s
  });

  test('per client address: the device burst of 3 is shared; another address has its own', async () => {
    const statuses = await alternate(5, (s) => devicePost(s.url, '/v1/ping', { v: 1 }, '127.0.0.2'));
    expect(statuses.slice(0, 3)).not.toContain(429);
    expect(statuses.slice(3)).toEqual([429, 429]);
    expect(await devicePost(b.url, '/v1/ping', { v: 1 }, '127.0.0.3')).not.toBe(429);
  });

  test('per account: PIN-trying requests on one account, from many addresses at both instances, share its burst of 2', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(await devicePost((i % 2 === 0 ? a : b).url, '/v1/pincheck/challenge', { v: 1, accountId: 4242 }, `127.0.1.${i + 1}`));
    }
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    // Another account is not affected.
    expect(await devicePost(b.url, '/v1/pincheck/challenge', { v: 1, accountId: 4243 }, '127.0.1.9')).toBe(200);
  });

  test('requests at both instances at once are decided one after the other: never more than the burst', async () => {
    // Wrong API keys draw from the client address's bucket (burst 4): 401 while it lasts, then 429.
    const get = (s) => requestFrom('127.0.2.1', `${s.url}/servers/${s.serverId}`, { headers: { 'X-apikey': 'not-a-key' } });
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => get(i % 2 === 0 ? a : b)));
    expect(statuses.filter((s) => s === 401).length).toBe(4);
    expect(statuses.filter((s) => s === 429).length).toBe(8);
  });
});

pg('shared buckets against a moved clock (in-process)', () => {
  test('a spent bucket refills at the configured rate; buckets idle until full are deleted', async () => {
    let now = 1_000_000_000_000;
    const s = await fx.startInProcess(({ url, dir, databaseUrl }) => ({
      publicUrl: url, dataDir: dir, databaseUrl, now: () => now,
      rateLimits: { rp: { ratePerSecond: 0.5, burst: 2 } },
    }));
    expect(s.databaseUrl).toBeTruthy();
    const get = () => fetch(`${s.url}/servers/${s.server.serverId}`, { headers: { 'X-apikey': s.server.rootApiKey } }).then(async (r) => {
      await r.arrayBuffer();
      return { status: r.status, retryAfter: r.headers.get('retry-after') };
    });
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    expect(await get()).toEqual({ status: 429, retryAfter: '2' });  // one token at 0.5/s
    now += 1000;  // half a token
    expect(await get()).toEqual({ status: 429, retryAfter: '1' });
    now += 1000;
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(429);

    const { Client } = require('pg');
    const db = new Client({ connectionString: s.databaseUrl });
    await db.connect();
    fx.closeAfterTest(() => db.end());
    const rows = async () => (await db.query("SELECT key FROM rate_buckets WHERE name = 'rp' ORDER BY key")).rows.map((r) => r.key);
    expect(await rows()).toEqual([expect.stringMatching(/^key:/)]);
    // Full again after 4 s; the next take after the sweep interval (60 s) deletes it. A wrong key
    // draws from the address's bucket, so that take is a new row of its own.
    now += 61_000;
    expect((await fetch(`${s.url}/servers/${s.server.serverId}`, { headers: { 'X-apikey': 'wrong' } })).status).toBe(401);
    let left = await rows();
    for (let i = 0; i < 50 && left.some((k) => k.startsWith('key:')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));  // the sweep is fire and forget
      left = await rows();
    }
    expect(left).toEqual([expect.stringMatching(/^addr:/)]);
  });
});
