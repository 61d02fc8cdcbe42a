// The load generator (bench/load/): its client speaks the real device protocol. A forked load
// client enrols accounts on a real server process and completes logins through it, and a man in
// the middle on the device API (the server's public URL points at it) proves that the client
// checks the server's signatures: a flipped signature byte on /v1/start or /v1/login fails the
// login with SERVER_AUTHENTICATION_ERROR, and the same tampering passes a client told not to
// verify (the mode used against the floor server), so it is the signature check that caught it.
// The driver's sweep runs against the floor and reports its steps. No timing assertions.
const http = require('node:http');
const path = require('node:path');
const { execFileSync, fork } = require('node:child_process');
const { REPO_ROOT } = require('./helpers/server-process');
const { useServer } = require('./helpers/fixture');

const CLIENT = path.join(REPO_ROOT, 'bench', 'load', 'client.mjs');
const DRIVER = path.join(REPO_ROOT, 'bench', 'load', 'driver.mjs');

/** A forked load client with ask(msg, answerType) over IPC. */
function loadClient() {
  const child = fork(CLIENT, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const ask = (msg, answer) => new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m.type !== answer && m.type !== 'error') return;
      child.off('message', onMessage);
      if (m.type === 'error') reject(new Error(`${m.code}: ${m.message}`));
      else resolve(m);
    };
    child.on('message', onMessage);
    child.send(msg);
  });
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.send({ type: 'stop' });
  });
  return { ask, stop, stderr: () => stderr };
}

/** Forwards everything to `target`; `tamper` = a device path whose next answers get one signature byte flipped. */
function mitmProxy() {
  const proxy = { tamper: null, tampered: 0, target: null };
  proxy.server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const upstream = await fetch(`${proxy.target}${req.url}`, {
        method: req.method,
        headers: { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' },
        body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
      });
      let text = await upstream.text();
      if (proxy.tamper && req.url === proxy.tamper) {
        const env = JSON.parse(text);
        const sig = Buffer.from(env.sig, 'base64url');
        sig[10] ^= 0x01;
        text = JSON.stringify({ ...env, sig: sig.toString('base64url') });
        proxy.tampered++;
      }
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' }).end(text);
    });
  });
  return new Promise((resolve) => proxy.server.listen(0, '127.0.0.1', () => {
    proxy.url = `http://127.0.0.1:${proxy.server.address().port}`;
    resolve(proxy);
  }));
}

let proxy;
// The enrol QR names the proxy as the device API: the clients' device calls go through it,
// their relying-party calls straight to the server.
const env = useServer(async () => {
  proxy = await mitmProxy();
  env.closeAfterFile(() => proxy.server.close());  // after the server
  return { env: { TAPGATE_PUBLIC_URL: proxy.url, TAPGATE_ACCESS_LOG: '0' } };
});
let server;
let rp;

beforeAll(async () => {
  ({ server, rp } = env);
  proxy.target = server.url;
  await rp.updateServer({ pinTimeout: 1440 });  // logins skip the second factor, as in the bench
});

async function readyClient({ slots, verify = true }) {
  const c = loadClient();
  env.closeLater(() => c.stop());
  const ready = await c.ask({ type: 'init', rpUrl: server.url, serverId: server.serverId, apiKey: server.rootApiKey, slots, verify }, 'ready');
  expect(ready.enrolled).toBe(slots);
  return c;
}

test('load clients enrol real accounts and complete closed-loop logins', async () => {
  const before = (await rp.accounts()).totalnumber;
  const c = await readyClient({ slots: 3 });
  const done = await c.ask({ type: 'run', active: 3, limit: 12 }, 'done');
  expect({ ok: done.ok, failed: done.failed, errors: done.errors }).toEqual({ ok: 12, failed: 0, errors: {} });
  expect(done.latencies).toHaveLength(12);
  expect(done.cpuUs).toBeGreaterThan(0);
  expect((await rp.accounts()).totalnumber - before).toBe(3);
});

test.each(['/device/v1/start', '/device/v1/login'])('a flipped server signature on %s fails the login as SERVER_AUTHENTICATION_ERROR', async (route) => {
  const c = await readyClient({ slots: 1 });
  proxy.tamper = route;
  proxy.tampered = 0;
  try {
    const done = await c.ask({ type: 'run', active: 1, limit: 2 }, 'done');
    expect(proxy.tampered).toBe(2);
    expect({ ok: done.ok, failed: done.failed, errors: done.errors }).toEqual({ ok: 0, failed: 2, errors: { SERVER_AUTHENTICATION_ERROR: 2 } });
  } finally {
    proxy.tamper = null;
  }
  // The same client logs in again once the answers are left alone.
  const again = await c.ask({ type: 'run', active: 1, limit: 2 }, 'done');
  expect(again.ok).toBe(2);
  expect(c.stderr()).toMatch(/signature does not verify/);
});

test('a client that does not verify (the floor mode) accepts the tampered signature', async () => {
  const c = await readyClient({ slots: 1, verify: false });
  proxy.tamper = '/device/v1/login';
  proxy.tampered = 0;
  try {
    const done = await c.ask({ type: 'run', active: 1, limit: 2 }, 'done');
    expect(proxy.tampered).toBe(2);
    expect({ ok: done.ok, failed: done.failed }).toEqual({ ok: 2, failed: 0 });
  } finally {
    proxy.tamper = null;
  }
});

test('the driver sweeps the floor server and reports each step', () => {
  // The driver's CLI (ESM) in its own process: --json prints the sweep's result.
  const out = execFileSync(process.execPath, [DRIVER, '--target=floor', '--steps=1,2', '--seconds=0.5', '--json'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  const [r] = JSON.parse(out);
  expect(r.target).toBe('floor');
  expect(r.steps.map((s) => s.inFlight)).toEqual([1, 2]);
  for (const s of r.steps) {
    expect(s.ok).toBeGreaterThan(0);
    expect(s.failed).toBe(0);
    expect(Number.isFinite(s.p50) && Number.isFinite(s.p99) && s.p99 >= s.p50).toBe(true);
    expect(s.serverCpuMsPerLogin).toBeGreaterThanOrEqual(0);
    expect(s.clientCpuMsPerLogin).toBeGreaterThan(0);
  }
  expect(r.steps.map((s) => s.loginsPerSec)).toContain(r.saturation.loginsPerSec);
});
