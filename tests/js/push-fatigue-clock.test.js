// Push fatigue against a moved clock (the server in process, helpers/in-process.js): an unanswered
// push login stops counting as pending when it expires (10 minutes), and the window slides.
const { randomBytes } = require('node:crypto');
const { useServers } = require('./helpers/fixture');
const { relyingParty } = require('./helpers/rp');
const { enrol } = require('./helpers/flows');

jest.setTimeout(60_000);
const fx = useServers();
const MINUTE = 60_000;

test('an unanswered push login is pending until it expires; at most perWindow in the sliding window', async () => {
  const clock = { now: Date.now() };
  const env = await fx.startInProcess(({ url, dir, databaseUrl }) => ({
    dbPath: `${dir}/tapgate.sqlite`, databaseUrl, publicUrl: url, now: () => clock.now,
    pushLimits: { perWindow: 2, windowMs: 30 * MINUTE },
  }));
  const auth = await fx.authenticator();
  const rp = relyingParty(env.server);
  await enrol(auth, rp, { userid: 'tess' });
  const { accountId } = auth.accounts[0];
  const provoke = () => fetch(`${env.server.url}/servers/${env.server.serverId}/accounts/${accountId}/provokelogin`, {
    method: 'POST', headers: { 'X-apikey': env.server.rootApiKey, 'X-nonce': randomBytes(16).toString('base64url') },
  });
  const t0 = clock.now;
  expect((await provoke()).status).toBe(200);
  const pending = await provoke();
  expect(pending.status).toBe(429);
  expect(await pending.json()).toMatchObject({ code: 'PUSH_LIMIT', accountid: accountId, retryAfter: 600 });
  clock.now = t0 + 11 * MINUTE;  // the first one expired unanswered: no longer pending
  expect((await provoke()).status).toBe(200);
  clock.now = t0 + 22 * MINUTE;  // nothing pending, but two in the last 30 minutes
  const windowFull = await provoke();
  expect(windowFull.status).toBe(429);
  expect(windowFull.headers.get('retry-after')).toBe(String(8 * 60));
  expect(await windowFull.json()).toMatchObject({ code: 'PUSH_LIMIT', retryAfter: 8 * 60 });
  clock.now = t0 + 31 * MINUTE;  // the first has left the window
  expect((await provoke()).status).toBe(200);
});
