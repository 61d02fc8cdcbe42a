// The real ends on one simulated clock (after quinn's `Pair`): an in-process server and the
// Authenticators of a test read the same `now`, and their timers wait on it. Time moves only when
// the test advances it; each timer then runs at its own due time, and the clock waits for the
// requests it caused (real HTTP to the real server) before moving on. A test of pings, timeouts or
// inactivity then takes as long as its requests, not as long as the durations it checks.
const path = require('node:path');
const { Authenticator } = require('@tapgate/authenticator/node');
const { startInProcess } = require('./in-process');
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

  /** When the earliest waiting timer is due, or null. */
  nextDue() {
    return this.#timers.size ? Math.min(...[...this.#timers.values()].map((t) => t.at)) : null;
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
  let inProcess;

  env.authenticator = async (options = {}) => {
    const auth = await Authenticator.create({ clock: () => clock.now, timers: clock.timers, fetch: clock.fetch, ...options });
    open.push(auth);
    return auth;
  };

  beforeAll(async () => {
    inProcess = await startInProcess(({ url, dir, databaseUrl }) =>
      ({ dbPath: path.join(dir, 'tapgate.sqlite'), databaseUrl, publicUrl: url, now: () => clock.now, ...serverOptions }));
    ({ tapgate: env.tapgate, server: env.server } = inProcess);
    env.rp = relyingParty(env.server);
  });
  afterEach(async () => {
    while (open.length) await open.pop().close();
  });
  afterAll(async () => inProcess?.close());
  return env;
}

module.exports = { SimClock, usePairedServer };
