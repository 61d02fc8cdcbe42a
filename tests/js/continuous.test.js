// Continuous logins: a server with pingTime > 0 keeps sessions ACTIVE with signed pings; a logout
// on either side, or pings that stop, ends them as LOGGED_OUT. pingTime 0 means one-shot logins.
// The server and the authenticators share one simulated clock: pings and the server's patience
// are checked by moving time, not by waiting for it.
const { usePairedServer } = require('./helpers/sim-clock');
const { enrol, login } = require('./helpers/flows');

const PING_TIME_S = 30;
const env = usePairedServer();

async function enrolled(userid) {
  const a = await env.authenticator();
  await env.rp.updateServer({ pingTime: 0 });
  await enrol(a, env.rp, { userid });
  await env.rp.updateServer({ pingTime: PING_TIME_S });
  return a;
}

test('pingTime > 0: ACTIVE with LOGGED_IN, kept alive by pings for many pingTimes', async () => {
  const a = await enrolled('cora-pings');
  const { nonce, session, verdict } = await login(a, env.rp);
  expect(verdict.result).toBe('SUCCESS');
  expect(session.state).toBe('ACTIVE');
  expect(session.historyStatus).toBe('LOGGED_IN');
  await env.clock.advance(10 * PING_TIME_S * 1000);  // only pings can keep it logged in this long
  expect(session.state).toBe('ACTIVE');
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
  expect(env.clock.pending()).toBe(1);  // one timer for the one session: its next ping
  await session.stopSession();
  await env.clock.settle();
  expect(env.clock.pending()).toBe(0);
});

test('a logout by the relying party ends the session as DONE / LOGGED_OUT', async () => {
  const a = await enrolled('cora-rp-logout');
  const { nonce, session } = await login(a, env.rp);
  expect(session.state).toBe('ACTIVE');
  await env.rp.logout(nonce);
  await env.clock.advance(PING_TIME_S * 1000);  // the next ping hears of it
  await session.finished;
  expect(session.state).toBe('DONE');
  expect(session.historyStatus).toBe('LOGGED_OUT');
});

test('stopSession on an ACTIVE session logs out at the server', async () => {
  const a = await enrolled('cora-stop');
  const { nonce, session } = await login(a, env.rp);
  await session.stopSession();
  await env.clock.settle();
  expect(session.historyStatus).toBe('LOGGED_OUT');
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(false);
});

test('when pings stop, the server logs the session out by itself after about a pingTime', async () => {
  const silent = await enrolled('sid');
  const { nonce, session } = await login(silent, env.rp);
  expect(session.state).toBe('ACTIVE');
  await silent.close();  // the app goes away without a word: no more pings
  await env.clock.advance(PING_TIME_S * 1000 / 2);
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
  await env.clock.advance(3 * PING_TIME_S * 1000);
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(false);
});

test('switching the server to pingTime 0 makes logins one-shot', async () => {
  await env.rp.updateServer({ pingTime: 0 });
  const a = await env.authenticator();
  await enrol(a, env.rp, { userid: 'cora-oneshot' });
  const { nonce, session } = await login(a, env.rp);
  await session.finished;
  expect(session.state).toBe('DONE');
  expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
  expect(env.clock.pending()).toBe(0);
});
