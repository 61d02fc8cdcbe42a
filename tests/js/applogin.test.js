// AppLogin: the app logs itself in to its backend with the second factor; the backend checks the
// web nonce with the relying-party getSession call; inactivity and an absolute timeout log it out.
// The server and the app share one simulated clock: the timeouts are checked by moving time.
const { usePairedServer } = require('./helpers/sim-clock');
const { nextEvent } = require('./helpers/rp');
const { PIN, enrol } = require('./helpers/flows');

const env = usePairedServer();

async function app(config, userid) {
  const auth = await env.authenticator({ config: { singleAccount: true, ...config } });
  await env.rp.updateServer({ pingTime: 0 });
  await enrol(auth, env.rp, { userid });
  await env.rp.updateServer({ pingTime: 30 });
  return auth;
}

async function appLogin(auth) {
  const session = await auth.startAppLogin();
  const prompt = await nextEvent(session, 'secondfactor');
  expect(prompt.context).toBe('VERIFY');
  expect(session.isAppLogin).toBe(true);
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  return session;
}

test('STARTING → WAIT_FOR_SECOND_FACTOR → ACTIVE, and the backend verifies the web nonce', async () => {
  const auth = await app({}, 'app-user');
  const states = [];
  const session = await auth.startAppLogin();
  session.addEventListener('statechange', (e) => states.push(`${e.detail.state}/${e.detail.pseudoState}`));
  await nextEvent(session, 'secondfactor');
  await session.setPinBiometric({ pin: PIN });
  expect(states).toEqual(['USER_INTERACTION/WAIT_FOR_SECOND_FACTOR', 'USER_INTERACTION/WAIT_FOR_SECOND_FACTOR', 'ACTIVE/NONE']);
  expect(session.historyStatus).toBe('LOGGED_IN');
  const { webNonce } = session.appLogin;
  expect(webNonce).toMatch(/^app\.[A-Za-z0-9_-]{32}$/);
  // What the app's backend does with the nonce the app sends it:
  expect(await env.rp.loginStatus(webNonce)).toMatchObject({ loggedin: true, userid: 'app-user' });
  await session.stopSession();
  await env.clock.settle();
  expect((await env.rp.loginStatus(webNonce)).loggedin).toBe(false);
  expect(auth.history.at(-1)).toMatchObject({ kind: 'applogin', historyStatus: 'LOGGED_OUT' });
});

test('a wrong PIN is asked again, like any login', async () => {
  const auth = await app({}, 'app-pin');
  const session = await auth.startAppLogin();
  await nextEvent(session, 'secondfactor');
  expect(await session.setPinBiometric({ pin: '0000' })).toMatchObject({ result: 'PIN_FAIL', attemptsLeft: 2 });
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  await session.stopSession();
});

test('refuses a server with pingTime 0', async () => {
  const auth = await app({}, 'app-oneshot');
  await env.rp.updateServer({ pingTime: 0 });
  const session = await auth.startAppLogin();
  await session.finished;
  expect(session.state).toBe('ERROR');
  expect(session.error).toMatchObject({ code: 'APPLOGIN_NOT_CONTINUOUS' });
});

test('needs a single account', async () => {
  const auth = await env.authenticator();
  await expect(auth.startAppLogin()).rejects.toMatchObject({ code: 'NO_ACCOUNTS_FOR_SERVER' });
  await env.rp.updateServer({ pingTime: 0 });
  await enrol(auth, env.rp, { userid: 'two-1' });
  await enrol(auth, env.rp, { userid: 'two-2' });
  await expect(auth.startAppLogin()).rejects.toMatchObject({ code: 'SINGLE_ACCOUNT', numericCode: 40 });
});

test('appLoginInactivityTimeout: user activity keeps it alive, push calls do not', async () => {
  const auth = await app({ appLoginInactivityTimeout: '90s' }, 'app-idle');
  const session = await appLogin(auth);
  for (let i = 0; i < 6; i++) {
    await env.clock.advance(30_000);
    void auth.accounts;  // the user looks at the app
  }
  expect(session.state).toBe('ACTIVE');  // 3 minutes in, never 90 s idle
  const idleFrom = env.clock.now;
  while (session.state === 'ACTIVE' && env.clock.now - idleFrom < 300_000) {
    await auth.retrieveMessages();  // not user activity
    await env.clock.advance(10_000);
  }
  expect(session.state).toBe('DONE');
  expect(session.historyStatus).toBe('LOGGED_OUT');
  expect(env.clock.now - idleFrom).toBeGreaterThanOrEqual(90_000);
  expect(env.clock.now - idleFrom).toBeLessThanOrEqual(100_000);
  expect((await env.rp.loginStatus(session.appLogin.webNonce)).loggedin).toBe(false);
  expect(env.clock.pending()).toBe(0);
});

test('timeoutAppLogin logs it out regardless of activity', async () => {
  const auth = await app({ timeoutAppLogin: '10m' }, 'app-absolute');
  const session = await appLogin(auth);
  const loggedIn = env.clock.now;
  while (session.state === 'ACTIVE' && env.clock.now - loggedIn < 3_600_000) {
    void auth.accounts;
    await env.clock.advance(20_000);
  }
  expect(session.historyStatus).toBe('LOGGED_OUT');
  expect(env.clock.now - loggedIn).toBeGreaterThanOrEqual(600_000);
  expect(env.clock.now - loggedIn).toBeLessThanOrEqual(620_000);
  expect((await env.rp.loginStatus(session.appLogin.webNonce)).loggedin).toBe(false);
});
