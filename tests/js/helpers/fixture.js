// The fixture every suite shares. useServer(): one real server process per test file (or per
// describe block it is called in) with a relying-party client for it; useDemo() the same for the
// demo (web-demo/start.mjs). useServers(): the same
// clean-up without a file server, for the suites that start, restart or crash servers themselves.
// What a test opens (authenticators, push relays, servers) is closed once that test ends, newest
// first; what a beforeAll opens, once the file (or block) ends. Jest runs after-hooks in the order
// they were declared, so a suite's own afterAll runs after the fixture has stopped its server:
// what must end before that (a database connection, a browser) goes to closeAfterFile instead.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, createTestDatabase, dropTestDatabase, REPO_ROOT } = require('./server-process');
const { startInProcess } = require('./in-process');
const { relyingParty } = require('./rp');
const { enrol } = require('./flows');

async function closeAll(list) {
  let failure = null;
  while (list.length) {
    const thing = list.pop();
    try {
      await (typeof thing === 'function' ? thing() : thing.close());
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure) throw failure;
}

/**
 * Registers the clean-up hooks and returns:
 * - closeAfterTest(thing) / closeAfterFile(thing): closes `thing` (anything with close(), or a
 *   function) after the current test / after the file; returns it;
 * - closeLater(thing): after the test when called in one, else after the file;
 * - authenticator(options): Authenticator.create(options), closed later (as closeLater);
 * - startServer(options): a server process (tests/js/helpers/server-process.js), stopped later;
 *   stopping or killing it earlier in the test is fine;
 * - startInProcess(makeOptions, options): the server in this process (helpers/in-process.js), closed later;
 * - tempDir(prefix): a fresh temporary directory, removed later;
 * - testDatabase(): a fresh database on the PostgreSQL test cluster ({name, url}), dropped later.
 */
function useServers() {
  const perTest = [];
  const perFile = [];
  let inTest = false;
  const fx = {
    closeAfterTest(thing) {
      perTest.push(thing);
      return thing;
    },
    closeAfterFile(thing) {
      perFile.push(thing);
      return thing;
    },
    closeLater: (thing) => (inTest ? fx.closeAfterTest(thing) : fx.closeAfterFile(thing)),
    async authenticator(options) {
      const { Authenticator } = require('@tapgate/authenticator/node');
      return fx.closeLater(await Authenticator.create(options));
    },
    async startServer(options) {
      const server = await startServer(options);
      fx.closeLater(() => server.stop());
      return server;
    },
    async startInProcess(makeOptions, options) {
      return fx.closeLater(await startInProcess(makeOptions, options));
    },
    async testDatabase() {
      const db = await createTestDatabase();
      fx.closeLater(() => dropTestDatabase(db.name));
      return db;
    },
    tempDir(prefix = 'tapgate-test-') {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      fx.closeLater(() => fs.rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
  };
  beforeEach(() => {
    inTest = true;
  });
  afterEach(async () => {
    inTest = false;
    await closeAll(perTest);
  });
  afterAll(async () => closeAll(perFile));
  return fx;
}

/**
 * useServers() plus one server started in beforeAll: `server` and `rp` are set once it ran.
 * `options` are startServer's (env, args, script, dataDir…), or a function resolving to them for
 * what is known only then (a proxy's URL). `enrolled(enrolOptions, authOptions)` makes an
 * authenticator (closed later) with an account on this server (flows.js enrol); `pushRelay(auth)`
 * polls this server's local push relay for it (LocalPushRelay, every 100 ms), closed later.
 */
function useServer(options = {}) {
  const env = useServers();
  env.server = null;
  env.rp = null;
  env.enrolled = async (enrolOptions = {}, authOptions) => {
    const auth = await env.authenticator(authOptions);
    await enrol(auth, env.rp, enrolOptions);
    return auth;
  };
  env.pushRelay = async (auth, relayOptions) => {
    const { LocalPushRelay } = require('@tapgate/authenticator/node');
    return env.closeLater(await LocalPushRelay.connect(auth, { url: `${env.server.url}/relay/v1`, intervalMs: 100, ...relayOptions }));
  };
  beforeAll(async () => {
    env.server = await env.startServer(typeof options === 'function' ? await options() : options);
    env.rp = relyingParty(env.server);
  });
  return env;
}

const DEMO_SCRIPT = path.join(REPO_ROOT, 'web-demo', 'start.mjs');

/** useServer for the demo (web-demo/start.mjs, the server with its pages): the same options, script set. */
function useDemo(options = {}) {
  return useServer(async () => ({ ...(typeof options === 'function' ? await options() : options), script: DEMO_SCRIPT }));
}

module.exports = { useServer, useServers, useDemo, DEMO_SCRIPT };
