// The fixture most suites share: one real server process per test file with a relying-party client
// for it, and what a test opens (authenticators, push relays) closed once that test ends.
const { startServer } = require('./server-process');
const { relyingParty } = require('./rp');

/**
 * Registers the Jest hooks and returns the fixture; `server` and `rp` are set once beforeAll ran.
 * `closeAfterTest(thing)` closes anything with a close() method after the current test, newest
 * first, and returns it.
 */
function useServer(options) {
  const open = [];
  const env = {
    server: null,
    rp: null,
    closeAfterTest(thing) {
      open.push(thing);
      return thing;
    },
  };
  beforeAll(async () => {
    env.server = await startServer(options);
    env.rp = relyingParty(env.server);
  });
  afterEach(async () => {
    while (open.length) await open.pop().close();
  });
  afterAll(async () => env.server?.stop());
  return env;
}

module.exports = { useServer };
