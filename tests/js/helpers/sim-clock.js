// The real ends on one simulated clock (after quinn's `Pair`): an in-process server and the
// Authenticators of a test read the same `now`, and their timers wait on it. Time moves only when
// the test advances it; each timer then runs at its own due time, and the clock waits for the
// requests it caused (real HTTP to the real server) before moving on. A test of pings, timeouts or
// inactivity then takes as long as its requests, not as long as the durations it checks.
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { Authenticator } = require('@tapgate/authenticator/node');
const { createTapgateServer } = require('@tapgate/server');
const { TEST_DATABASE_URL, createTestDatabase, dropTestDatabase } = require('./server-process');
const { relyingParty } = require('./rp');

const turn = () => new Promise((resolve) => setImmediate(resolve));

class SimClock {
  now = Date.now();
  #timers = new Map();  // handle -> { at, fn }
  #nextHandle = 1;
  #inflight = new Set();

  /** What an Authenticator takes as `timers`: callbacks wait for simulated time. */
  timers = {
    setTimeout: (fn, ms = 0) => {
      const handle = this.#nextHandle++;
      this.#timers.set(handle, { at: this.now + Math.max(0, ms), fn });
      return handle;
    },
    clearTimeout: (handle) => void this.#timers.delete(handle),
  };

  /** Timers waiting; `pending()` is what a test asserts ("one per session, none once over"). */
  pending() {
    return this.#timers.size;
  }

  /** `fetch` that the clock waits for, body included, so `settle()` knows when the ends are quiet. */
  fetch = (url, init) => {
    const request = (async () => {
      const res = await fetch(url, init);
      const body = await res.arrayBuffer();
      return new Response(res.status === 204 || res.status === 304 ? null : body, { status: res.status, headers: res.headers });
    })();
    this.#inflight.add(request);
    const forget = () => this.#inflight.delete(request);
    request.then(forget, forget);
    return request;
  };

  /** Waits until no request is in flight and what their answers set off has run. */
  async settle() {
    for (let quiet = 0; quiet < 3;) {
      if (this.#inflight.size) {
        quiet = 0;
        await Promise.allSettled([...this.#inflight]);
      } else {
        quiet++;
      }
      await turn();
    }
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way, in order. */
  async advance(ms) {
    const until = this.now + ms;
    await this.settle();
    for (;;) {
      const [handle, next] = [...this.#timers].reduce((a, b) => (!a || b[1].at < a[1].at ? b : a), null) ?? [];
      if (!next || next.at > until) break;
      this.#timers.delete(handle);
      this.now = Math.max(this.now, next.at);
      next.fn();
      await this.settle();
    }
    this.now = until;
    await this.settle();
  }
}

/**
 * Registers Jest hooks for one in-process server on a real port (a fresh database on the
 * PostgreSQL run) whose clock is `env.clock`. `env.authenticator(options)` makes an Authenticator
 * on the same clock (its fetch awaited by it), closed after the test.
 */
function usePairedServer(serverOptions = {}) {
  const clock = new SimClock();
  const open = [];
  const env = { clock, server: null, rp: null, tapgate: null };
  let httpServer;
  let dir;
  let db;

  env.authenticator = async (options = {}) => {
    const auth = await Authenticator.create({ clock: () => clock.now, timers: clock.timers, fetch: clock.fetch, ...options });
    open.push(auth);
    return auth;
  };
  env.closeAfterTest = (thing) => (open.push(thing), thing);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-paired-'));
    db = TEST_DATABASE_URL ? await createTestDatabase() : null;
    httpServer = http.createServer((req, res) => {
      env.tapgate.handle(req, res).then((handled) => handled || res.writeHead(404).end(), () => res.writeHead(500).end());
    });
    await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${httpServer.address().port}`;
    env.tapgate = await createTapgateServer({ dbPath: path.join(dir, 'tapgate.sqlite'), databaseUrl: db?.url, publicUrl: url, now: () => clock.now, ...serverOptions });
    env.server = { url, serverId: env.tapgate.serverId, rootApiKey: env.tapgate.rootApiKey };
    env.rp = relyingParty(env.server);
  });
  afterEach(async () => {
    while (open.length) await open.pop().close();
  });
  afterAll(async () => {
    httpServer?.closeAllConnections();
    await new Promise((resolve) => (httpServer ? httpServer.close(resolve) : resolve()));
    await env.tapgate?.close();
    if (db) await dropTestDatabase(db.name);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return env;
}

module.exports = { SimClock, usePairedServer };
