// The Node entry's own transport (js/src/node-transport.ts): device requests go over pooled
// keep-alive connections; a pooled connection the server drops before answering is tried once
// more on a fresh one; an answer beyond 64 MiB is cut off as a network error; `options.fetch`
// still replaces the transport. A keep-alive proxy between the SDK and a real server process
// counts connections and requests and injects the faults.
const http = require('node:http');
const { useServer } = require('./helpers/fixture');
const { enrol: enrolIn, driveLogin } = require('./helpers/flows');

/** Forwards /device requests to `target`, keeping client connections open. */
class CountingProxy {
  constructor() {
    this.connections = 0;
    this.requests = [];  // { path, socketRequest: n-th request on its connection }
    this.fault = null;   // (entry) => 'drop' | 'huge' | null
  }

  async start() {
    this.server = http.createServer((req, res) => this.#handle(req, res).catch(() => req.socket.destroy()));
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', (socket) => {
      this.connections += 1;
      socket.served = 0;
    });
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async #handle(req, res) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    req.socket.served += 1;
    const entry = { path: req.url.replace(/^\/device/, ''), socketRequest: req.socket.served };
    this.requests.push(entry);
    const fault = this.fault?.(entry) ?? null;
    if (fault === 'drop') {
      req.socket.destroy();  // what a server closing an idle connection looks like to the client
      return;
    }
    if (fault === 'huge') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const block = Buffer.alloc(1024 * 1024, 0x20);
      for (let i = 0; i < 80 && !res.destroyed; i++) await new Promise((r) => res.write(block, r));
      res.end();
      return;
    }
    const answer = await fetch(`${this.target}${req.url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
    const text = await answer.text();
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  stop() {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

let proxy;
const env = useServer(async () => {
  proxy = await new CountingProxy().start();
  return { env: { TAPGATE_PUBLIC_URL: proxy.url } };
});
beforeAll(() => {
  proxy.target = env.server.url;
});
afterAll(async () => proxy?.stop());
beforeEach(() => {
  proxy.fault = null;
});

async function enrol(auth, userid) {
  const { session } = await enrolIn(auth, env.rp, { userid, finished: true });
  expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
}

/** A login to its end; resolves with the finished session (DONE or ERROR). */
const login = async (auth) => (await driveLogin(auth, env.rp)).session;

test('device requests share one pooled connection', async () => {
  const auth = await env.authenticator();
  const before = { connections: proxy.connections, requests: proxy.requests.length };
  await enrol(auth, 'pooled');
  for (let i = 0; i < 3; i++) expect((await login(auth)).historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  const requests = proxy.requests.length - before.requests;
  expect(requests).toBeGreaterThanOrEqual(8);  // an enrolment and three logins, two requests or more each
  expect(proxy.connections - before.connections).toBe(1);
});

test('a pooled connection the server drops before answering is retried once on a fresh one', async () => {
  const auth = await env.authenticator();
  await enrol(auth, 'dropped');  // leaves a pooled connection
  let dropped = 0;
  proxy.fault = (entry) => (entry.socketRequest > 1 && dropped++ === 0 ? 'drop' : null);
  const before = proxy.connections;
  const s = await login(auth);
  expect(dropped).toBeGreaterThanOrEqual(1);
  expect(s.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  expect(proxy.connections - before).toBe(1);  // the fresh connection, kept for what followed
});

test('a connection dropped on a fresh socket is a network error, not retried', async () => {
  const auth = await env.authenticator({ requestTimeout: 5_000 });
  await enrol(auth, 'fresh-drop');
  proxy.fault = () => 'drop';  // every request, also on the fresh connection the retry would open
  const s = await login(auth);
  expect(s.state).toBe('ERROR');
  expect(s.error.code).toBe('NETWORK_ERROR');
  const starts = proxy.requests.filter((r) => r.path === '/v1/start');
  expect(starts.at(-1).socketRequest).toBe(1);  // the retry's fresh connection was dropped too: no third try
});

test('an answer larger than the transport takes ends the session with a network error', async () => {
  const auth = await env.authenticator({ requestTimeout: 10_000 });
  await enrol(auth, 'huge');
  proxy.fault = (entry) => (entry.path === '/v1/start' ? 'huge' : null);
  const s = await login(auth);
  expect(s.state).toBe('ERROR');
  expect(s.error.code).toBe('NETWORK_ERROR');
  expect(s.error.message).toMatch(/larger than/);
});

test('options.fetch replaces the transport: every device request goes through it', async () => {
  const seen = [];
  const recording = async (url, init) => {
    seen.push(new URL(url).pathname);
    return fetch(url, init);
  };
  const auth = await env.authenticator({ fetch: recording });
  const before = proxy.requests.length;
  await enrol(auth, 'own-fetch');
  expect((await login(auth)).historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  expect(seen.length).toBe(proxy.requests.length - before);
  expect(seen.every((p) => p.startsWith('/device/'))).toBe(true);
});
