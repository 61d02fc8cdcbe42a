// One useServer block; the other tests need servers of other settings, or SIGTERM theirs: useServers.
// The CLI's cluster mode (--workers N / TAPGATE_WORKERS): a primary does the first start and forks
// N workers sharing the port; Linux hands connections to them round-robin, so successive new
// connections alternate between the workers. Through the public HTTP API only: status streams on
// every worker see a login made through another, a servers change made through one is seen by the
// others at once, a rate limit is not multiplied by the workers, a dead worker is replaced, and
// SIGTERM drains them all. On SQLite the workers relay over IPC; with TAPGATE_TEST_DATABASE_URL
// the same tests run on PostgreSQL (NOTIFY).
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const { startServer } = require('./helpers/server-process');
const { useServer, useServers } = require('./helpers/fixture');
const { openEventStream } = require('./helpers/sse');
const { enrolRaw, loginRaw } = require('./helpers/raw-device');

jest.setTimeout(60_000);

const ROOT_KEY = 'cluster-test-root-key';
const fx = useServers();

/** A request on a connection of its own (no keep-alive): the next worker in turn answers it. */
function request(url, { method = 'GET', headers = {}, body, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...headers, Connection: 'close' }, agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** The worker processes of the primary `pid` (Linux /proc). */
function workerPids(pid) {
  return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

async function until(check, what, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('two workers on one port', () => {
  const env = useServer({ args: ['--workers', '2'], env: { TAPGATE_ROOT_API_KEY: ROOT_KEY } });
  let server;
  let account;
  const streams = [];
  const base = () => `${server.url}/servers/${server.serverId}`;
  const headers = (nonce) => ({ 'X-apikey': ROOT_KEY, ...(nonce ? { 'X-nonce': nonce } : {}) });

  beforeAll(async () => {
    server = env.server;
    account = await enrolRaw(server);
    const put = await request(`${base()}/`, { method: 'PUT', headers: { ...headers(), 'content-type': 'application/json' }, body: JSON.stringify({ pinTimeout: 60 }) });
    expect(put.status).toBe(200);
  });
  afterAll(() => {
    for (const s of streams) s.close();
  });

  test('the primary prints one listening line, with the number of workers, and runs two worker processes', () => {
    const lines = server.output().stdout.split('\n').filter((l) => l.includes('"listening"'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ event: 'listening', port: server.port, workers: 2 });
    expect(workerPids(server.proc.pid)).toHaveLength(2);
  });

  test('status streams on every worker see a login completed through another', async () => {
    const nonce = `cluster-${Date.now()}`;
    // Four streams on four connections: two on each worker, whichever answers the login.
    for (let i = 0; i < 4; i++) {
      const stream = await openEventStream(`${base()}/sessions/events`, headers(nonce));
      streams.push(stream);
      await stream.next('status');
    }
    const answer = await loginRaw(server, account, { nonce });
    expect(answer.result).toBe('SUCCESS');
    const seen = await Promise.all(streams.slice(-4).map((s) => s.next('loggedin')));
    for (const e of seen) expect(e).toMatchObject({ event: 'loggedin', accountid: account.id });
  });

  test('a server setting changed through one worker is seen through the other at once', async () => {
    // Both workers read (and cache) the server row first.
    for (let i = 0; i < 4; i++) expect(JSON.parse((await request(`${base()}/`, { headers: headers() })).text).serverName).not.toBe('renamed');
    const put = await request(`${base()}/`, { method: 'PUT', headers: { ...headers(), 'content-type': 'application/json' }, body: JSON.stringify({ serverName: 'renamed' }) });
    expect(put.status).toBe(200);
    for (let i = 0; i < 4; i++) expect(JSON.parse((await request(`${base()}/`, { headers: headers() })).text).serverName).toBe('renamed');
  });

  test('a worker that dies is replaced, and the server keeps answering, never 503 while the new one starts', async () => {
    const [victim] = workerPids(server.proc.pid);
    process.kill(victim, 'SIGKILL');
    // Requests on new connections all along: the replacement gets connections only once it is ready.
    const statuses = [];
    let replaced = false;
    const load = (async () => {
      for (let after = 0; after < 10; after += replaced ? 1 : 0) {
        // A connection handed to the worker as it was killed is lost with it: that is the kill, not a 503.
        const answer = await request(`${server.url}/healthz`, { timeoutMs: 2000 }).catch(() => null);
        if (answer) statuses.push(answer.status);
      }
    })();
    await until(() => /worker \d exited \(signal SIGKILL\), restarting it/.test(server.output().stderr), 'the restart note');
    await until(() => /worker \d ready again/.test(server.output().stderr), 'the replacement to be ready');
    replaced = true;
    const pids = workerPids(server.proc.pid);
    expect(pids).toHaveLength(2);
    expect(pids).not.toContain(victim);
    await load;
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    for (let i = 0; i < 4; i++) expect((await loginRaw(server, account)).result).toBe('SUCCESS');
  });
});

test('a rate limit is not multiplied by the workers: the attacker gets the burst once across both', async () => {
  const server = await fx.startServer({ args: ['--workers', '2'], env: { TAPGATE_DEVICE_RATE: '0.01', TAPGATE_DEVICE_BURST: '5' } });
  // Twenty requests, each on a connection of its own: ten reach each worker.
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => request(`${server.url}/device/v1/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })),
  );
  const passed = answers.filter((a) => a.status !== 429);
  expect(passed).toHaveLength(5);  // per-worker buckets would let 10 through
  expect(answers.filter((a) => a.status === 429)).toHaveLength(15);
});

test('SIGTERM drains every worker: open status streams end, then the primary exits 0', async () => {
  const server = await fx.startServer({ args: ['--workers', '2'], env: { TAPGATE_ROOT_API_KEY: ROOT_KEY } });
  const pids = workerPids(server.proc.pid);
  expect(pids).toHaveLength(2);
  const streams = [];
  for (let i = 0; i < 2; i++) {
    const s = await openEventStream(`${server.url}/servers/${server.serverId}/sessions/events`, { 'X-apikey': ROOT_KEY, 'X-nonce': 'drain' });
    await s.next('status');
    streams.push(s);
  }
  server.proc.kill('SIGTERM');
  const { code } = await server.exited;
  expect(code).toBe(0);
  await until(() => streams.every((s) => s.ended), 'the streams to end');
  for (const pid of pids) expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
  expect(server.output().stderr).toMatch(/SIGTERM, draining 2 workers/);
});

test('--workers takes a count of processes; 0 is refused', async () => {
  await expect(startServer({ args: ['--workers', '0'] })).rejects.toThrow(/invalid TAPGATE_WORKERS "0"/);
});
