// Rate limits with low settings on a real server: token buckets per API key (relying-party API)
// and per client address (device API), answered 429 with Retry-After and a JSON error.
'use strict';
const { startServer } = require('./helpers/server-process');

jest.setTimeout(30_000);

let server;
beforeAll(async () => {
  // 0.2 tokens/s: a spent bucket stays empty for the whole test on a slow machine.
  server = await startServer({ args: ['--rp-rate', '0.2', '--rp-burst', '3', '--device-rate=0.2', '--device-burst=2'] });
});
afterAll(async () => server?.stop());

const rpGet = (key) => fetch(`${server.url}/servers/${server.serverId}`, { headers: { 'X-apikey': key } });
const devicePost = () => fetch(`${server.url}/device/v1/ping`, { method: 'POST', body: '{"v":1}' });

test('the relying-party API allows the burst per API key, then 429 with Retry-After; wrong keys share the client address bucket', async () => {
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await rpGet(server.rootApiKey)).status);
  expect(statuses).toEqual([200, 200, 200, 429]);
  const limited = await rpGet(server.rootApiKey);
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
  for (let i = 0; i < 5; i++) expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
});
