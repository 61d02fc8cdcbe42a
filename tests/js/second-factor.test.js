// When the second factor is asked, and when it may be skipped: the server's pinTimeout, the time
// since the last input, the SDK configuration, the session's own settings; the input timeout.
const { Authenticator, MemoryStorage } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { nextEvent, reach } = require('./helpers/rp');
const { PIN, enrol, login } = require('./helpers/flows');

const env = useServer();
afterEach(async () => {
  await env.rp.updateServer({ pinTimeout: 0 });
});

async function device(config, userid) {
  const auth = await env.authenticator({ config });
  await enrol(auth, env.rp, { userid });
  return auth;
}

/** Starts a login; resolves with what the app is asked first. */
async function firstAsk(auth, extra) {
  const nonce = env.rp.newNonce();
  const session = await auth.startSession(await env.rp.loginQr(nonce, undefined, extra));
  const asked = await Promise.race([
    nextEvent(session, 'confirmlogin').then(() => 'confirmlogin'),
    nextEvent(session, 'secondfactor').then(() => 'secondfactor'),
  ]);
  return { nonce, session, asked };
}

test('within the server pinTimeout a login needs only a confirmation', async () => {
  const auth = await device({}, 'xena');
  await login(auth, env.rp);  // the PIN, just now
  await env.rp.updateServer({ pinTimeout: 5 });
  const { nonce, session, asked } = await firstAsk(auth);
  expect(asked).toBe('confirmlogin');  // a single account, but no second factor to confirm it
  const factors = [];
  session.addEventListener('secondfactor', (e) => factors.push(e.detail));
  await session.setAccount(session.candidateAccounts[0]);
  await session.finished;
  expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  expect(factors).toEqual([]);
  expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'xena' });
});

test('pinTimeout 0 always asks', async () => {
  const auth = await device({}, 'yann');
  await login(auth, env.rp);
  expect((await firstAsk(auth)).asked).toBe('secondfactor');
});

test('alwaysRequireSecondFactor in the SDK configuration always asks', async () => {
  const auth = await device({ alwaysRequireSecondFactor: true }, 'zoe');
  await login(auth, env.rp);
  await env.rp.updateServer({ pinTimeout: 5 });
  expect((await firstAsk(auth)).asked).toBe('secondfactor');
});

test('a login whose relying party requires the second factor always asks', async () => {
  const auth = await device({}, 'abel');
  await login(auth, env.rp);
  await env.rp.updateServer({ pinTimeout: 5 });
  const { nonce, session, asked } = await firstAsk(auth, { secondfactor: 'required' });
  expect(asked).toBe('secondfactor');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
});

test('secondFactorUserInputTimeout ends an unanswered prompt as ABORTED', async () => {
  // Enrolled without the timeout (a loaded machine may take more than 1 s to answer a prompt),
  // then reopened with it.
  const storage = new MemoryStorage();
  const enrolling = await Authenticator.create({ storage });
  await enrol(enrolling, env.rp, { userid: 'bea' });
  await enrolling.close();
  const auth = await env.authenticator({ storage, config: { secondFactorUserInputTimeout: '1s' } });
  const nonce = env.rp.newNonce();
  const session = await auth.startSession(await env.rp.loginQr(nonce));
  const prompts = [];
  session.addEventListener('secondfactor', (e) => prompts.push(e.detail));
  await session.finished;
  expect(prompts).toHaveLength(1);
  expect(session.state).toBe('DONE');
  expect(session.historyStatus).toBe('ABORTED');
  expect(session.error).toMatchObject({ code: 'SESSION_TIMEOUT' });
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(false);
});

test('inputCancel at the prompt ends the session as ABORTED', async () => {
  const auth = await device({}, 'carl');
  const nonce = env.rp.newNonce();
  const session = await auth.startSession(await env.rp.loginQr(nonce));
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  await session.inputCancel();
  expect(session.historyStatus).toBe('ABORTED');
  await expect(session.inputCancel()).rejects.toMatchObject({ code: 'WRONG_STATE' });
});
