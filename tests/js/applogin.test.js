// AppLogin: the app logs itself in to its backend with the second factor; the backend checks the
// web nonce with the relying-party getSession call; inactivity and an absolute timeout log it out.
const { Authenticator } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { nextEvent } = require('./helpers/rp');
const { PIN, enrol, sleep, eventually } = require('./helpers/flows');

const env = useServer();

async function app(config, userid) {
  const auth = await Authenticator.create({ config: { singleAccount: true, ...config } });
  env.closeAfterTest(auth);
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
  await eventually(async () => !(await env.rp.loginStatus(webNonce)).loggedin);
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
  const auth = await Authenticator.create();
  env.closeAfterTest(auth);
  await expect(auth.startAppLogin()).rejects.toMatchObject({ code: 'NO_ACCOUNTS_FOR_SERVER' });
  await env.rp.updateServer({ pingTime: 0 });
  await enrol(auth, env.rp, { userid: 'two-1' });
  await enrol(auth, env.rp, { userid: 'two-2' });
  await expect(auth.startAppLogin()).rejects.toMatchObject({ code: 'SINGLE_ACCOUNT', numericCode: 40 });
});

test('appLoginInactivityTimeout: user activity keeps it alive, push calls do not', async () => {
  const auth = await app({ appLoginInactivityTimeout: '1500ms' }, 'app-idle');
  const session = await appLogin(auth);
  for (let i = 0; i < 6; i++) {
    await sleep(500);
    void auth.accounts;  // the user looks at the app
  }
  expect(session.state).toBe('ACTIVE');
  const t0 = Date.now();
  while (session.state === 'ACTIVE' && Date.now() - t0 < 4_000) {
    await auth.retrieveMessages();  // not user activity
    await sleep(200);
  }
  expect(session.state).toBe('DONE');
  expect(session.historyStatus).toBe('LOGGED_OUT');
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
  await eventually(async () => !(await env.rp.loginStatus(session.appLogin.webNonce)).loggedin);
});

test('timeoutAppLogin logs it out regardless of activity', async () => {
  const auth = await app({ timeoutAppLogin: '2s' }, 'app-absolute');
  const session = await appLogin(auth);
  const t0 = Date.now();
  while (session.state === 'ACTIVE' && Date.now() - t0 < 5_000) {
    void auth.accounts;
    await sleep(200);
  }
  expect(session.historyStatus).toBe('LOGGED_OUT');
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500);
});
