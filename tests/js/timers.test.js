// The core owns its timers and announces each session's next deadline; the Authenticator keeps
// exactly one timer per session at it. With a simulated clock and simulated timers (the `clock`
// and `timers` options) the session timeout and the PIN-input timeout run without any waiting.
const { Authenticator, MemoryStorage } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { reach } = require('./helpers/rp');
const { PIN, enrol, eventually } = require('./helpers/flows');
const { SimClock } = require('./helpers/sim-clock');

const env = useServer();

/** An Authenticator on simulated time with one account (enrolled without timeouts in the way). */
async function device(userid, config) {
  const storage = new MemoryStorage();
  const enrolling = await Authenticator.create({ storage });
  await enrol(enrolling, env.rp, { userid });
  await enrolling.close();
  const time = new SimClock();
  const auth = env.closeAfterTest(await Authenticator.create({ storage, config, clock: () => time.now, timers: time.timers }));
  return { auth, time };
}

test('the session timeout fires on the simulated clock; one timer while the session lives, none after', async () => {
  const { auth, time } = await device('tim', { sessionTimeout: '5m' });
  expect(time.pending()).toBe(0);
  const nonce = env.rp.newNonce();
  const session = await auth.startSession(await env.rp.loginQr(nonce));
  expect(time.pending()).toBe(1);
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  expect(time.pending()).toBe(1);
  expect(time.nextDue()).toBe(time.now + 5 * 60_000);
  await time.advance(5 * 60_000 - 1);
  expect(session.pseudoState).toBe('WAIT_FOR_SECOND_FACTOR');
  expect(time.pending()).toBe(1);
  await time.advance(1);
  expect(session.state).toBe('DONE');
  expect(session.historyStatus).toBe('ABORTED');
  expect(session.error).toMatchObject({ code: 'SESSION_TIMEOUT' });
  expect(time.pending()).toBe(0);
  await session.finished;
  await eventually(async () => (await env.rp.loginStatus(nonce)).cancelled);
});

test('the second-factor input timeout, restarted by a wrong PIN, fires on the simulated clock', async () => {
  const { auth, time } = await device('tilda', { secondFactorUserInputTimeout: '30s' });
  const nonce = env.rp.newNonce();
  const session = await auth.startSession(await env.rp.loginQr(nonce));
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  expect(time.pending()).toBe(1);
  await time.advance(20_000);
  expect((await session.setPinBiometric({ pin: '0000' })).result).toBe('PIN_FAIL');  // asked again: a fresh 30 s
  expect(time.pending()).toBe(1);
  await time.advance(29_999);
  expect(session.pseudoState).toBe('WAIT_FOR_SECOND_FACTOR');
  await time.advance(1);
  expect(session.state).toBe('DONE');
  expect(session.historyStatus).toBe('ABORTED');
  expect(session.error).toMatchObject({ code: 'SESSION_TIMEOUT' });
  expect(time.pending()).toBe(0);
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(false);
});

test('one timer per live session: stopping or finishing a session clears its timer', async () => {
  const { auth, time } = await device('tobi', {});
  const first = await auth.startSession(await env.rp.loginQr(env.rp.newNonce()));
  const second = await auth.startSession(await env.rp.loginQr(env.rp.newNonce()));
  await reach(first, 'WAIT_FOR_SECOND_FACTOR');
  await reach(second, 'WAIT_FOR_SECOND_FACTOR');
  expect(time.pending()).toBe(2);
  await first.stopSession();
  expect(time.pending()).toBe(1);
  expect((await second.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect(second.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  expect(time.pending()).toBe(0);
  await time.advance(60 * 60_000);  // nothing left to fire
  expect(first.historyStatus).toBe('ABORTED');
  expect(second.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
});
