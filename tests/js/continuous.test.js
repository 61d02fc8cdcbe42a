// Continuous logins: a server with pingTime > 0 keeps sessions ACTIVE with signed pings; a logout
// on either side, or pings that stop, ends them as LOGGED_OUT. pingTime 0 means one-shot logins.
const { Authenticator } = require('@tapgate/authenticator/node');
const { startServer } = require('./helpers/server-process');
const { relyingParty } = require('./helpers/rp');
const { enrol, login, sleep, eventually } = require('./helpers/flows');

let server;
let rp;
let auth;
beforeAll(async () => {
  server = await startServer();
  rp = relyingParty(server);
  auth = await Authenticator.create();
  await enrol(auth, rp, { userid: 'cora' });
  await rp.updateServer({ pingTime: 2 });
});
afterAll(async () => {
  await auth?.close();
  await server?.stop();
});

test('pingTime > 0: ACTIVE with LOGGED_IN, kept alive by pings beyond pingTime', async () => {
  const { nonce, session, verdict } = await login(auth, rp);
  expect(verdict.result).toBe('SUCCESS');
  expect(session.state).toBe('ACTIVE');
  expect(session.historyStatus).toBe('LOGGED_IN');
  await sleep(5_000);  // > pingTime + the server's grace: only pings can keep it logged in
  expect(session.state).toBe('ACTIVE');
  expect((await rp.loginStatus(nonce)).loggedin).toBe(true);
  await session.stopSession();
});

test('a logout by the relying party ends the session as DONE / LOGGED_OUT', async () => {
  const { nonce, session } = await login(auth, rp);
  expect(session.state).toBe('ACTIVE');
  await rp.logout(nonce);
  await session.finished;
  expect(session.state).toBe('DONE');
  expect(session.historyStatus).toBe('LOGGED_OUT');
});

test('stopSession on an ACTIVE session logs out at the server', async () => {
  const { nonce, session } = await login(auth, rp);
  await session.stopSession();
  expect(session.historyStatus).toBe('LOGGED_OUT');
  await eventually(async () => !(await rp.loginStatus(nonce)).loggedin);
});

test('when pings stop, the server logs the session out by itself', async () => {
  const silent = await Authenticator.create();
  await enrol(silent, rp, { userid: 'sid' });  // the enrolment itself is a continuous login now
  const { nonce, session } = await login(silent, rp);
  expect(session.state).toBe('ACTIVE');
  await silent.close();  // the app goes away without a word: no more pings
  expect((await rp.loginStatus(nonce)).loggedin).toBe(true);
  await eventually(async () => !(await rp.loginStatus(nonce)).loggedin, 8_000);
});

test('switching the server to pingTime 0 makes logins one-shot', async () => {
  await rp.updateServer({ pingTime: 0 });
  try {
    const { nonce, session } = await login(auth, rp);
    await session.finished;
    expect(session.state).toBe('DONE');
    expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
    expect((await rp.loginStatus(nonce)).loggedin).toBe(true);
  } finally {
    await rp.updateServer({ pingTime: 2 });
  }
});
