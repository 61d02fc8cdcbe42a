// manuallyStartUserInteraction through the SDK against the real server: a session, pushed or
// scanned, waits at READY_FOR_USER_INTERACTION until the app calls startUserInteraction(); calls
// before that are misuse (WRONG_STATE, nothing changes); a held session can still be stopped,
// which the relying party sees.
const { useServer } = require('./helpers/fixture');
const { nextEvent } = require('./helpers/rp');
const { PIN } = require('./helpers/flows');

const env = useServer();
let auth;
beforeAll(async () => {
  auth = await env.authenticator({ config: { manuallyStartUserInteraction: true } });
  // Even the enrolment is held: the app starts it, then confirms and sets the PIN.
  const nonce = env.rp.newNonce();
  const session = await auth.startSession(await env.rp.enrolQr(nonce, { userid: 'holden' }));
  await nextEvent(session, 'readyforuserinteraction');
  expect(session.state).toBe('READY_FOR_USER_INTERACTION');
  const confirm = nextEvent(session, 'confirmenrol');
  await session.startUserInteraction();
  expect((await confirm).userId).toBe('holden');
  await session.setAccount();
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  await session.finished;
});

async function heldLogin() {
  const nonce = env.rp.newNonce();
  const session = await auth.startSession(await env.rp.loginQr(nonce));
  await nextEvent(session, 'readyforuserinteraction');
  return { nonce, session };
}

test('a scanned login waits for the app; before startUserInteraction its calls are WRONG_STATE', async () => {
  const { nonce, session } = await heldLogin();
  expect(session.state).toBe('READY_FOR_USER_INTERACTION');
  expect(session.pseudoState).toBe('NONE');
  await expect(session.setPinBiometric({ pin: PIN })).rejects.toMatchObject({ code: 'WRONG_STATE', kind: 'misuse' });
  await expect(session.setAccount(auth.accounts[0])).rejects.toMatchObject({ code: 'WRONG_STATE', kind: 'misuse' });
  expect(session.state).toBe('READY_FOR_USER_INTERACTION');
  expect(await env.rp.loginStatus(nonce)).toMatchObject({ scanned: true, loggedin: false, cancelled: false });

  const prompt = nextEvent(session, 'secondfactor');
  await session.startUserInteraction();
  expect((await prompt).context).toBe('VERIFY');
  await expect(session.startUserInteraction()).rejects.toMatchObject({ code: 'WRONG_STATE', kind: 'misuse' });
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  await session.finished;
  expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'holden' });
});

/** Starts a held session's interaction and enters the PIN; resolves once it ended. */
async function startAndEnterPin(session) {
  const prompt = nextEvent(session, 'secondfactor');
  await session.startUserInteraction();
  await prompt;
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  await session.finished;
}

test('a pushed login is held too, until the app is ready for it', async () => {
  const first = await heldLogin();
  await startAndEnterPin(first.session);
  await env.pushRelay(auth);
  const started = nextEvent(auth, 'session');
  expect((await env.rp.provokeLogin(first.nonce)).status).toBe(200);
  const { session } = await started;
  if (session.state !== 'READY_FOR_USER_INTERACTION') await nextEvent(session, 'readyforuserinteraction');
  expect(session.state).toBe('READY_FOR_USER_INTERACTION');
  await startAndEnterPin(session);
  expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  expect(await env.rp.loginStatus(first.nonce)).toMatchObject({ loggedin: true, userid: 'holden' });
});

test('stopping a held session ends it as ABORTED and the relying party sees it cancelled', async () => {
  const { nonce, session } = await heldLogin();
  await session.stopSession();
  await session.finished;
  expect(session.historyStatus).toBe('ABORTED');
  await expect(session.startUserInteraction()).rejects.toMatchObject({ code: 'WRONG_STATE' });
  for (let i = 0; i < 50 && !(await env.rp.loginStatus(nonce)).cancelled; i++) await new Promise((r) => setTimeout(r, 20));
  expect(await env.rp.loginStatus(nonce)).toMatchObject({ cancelled: true, loggedin: false });
});

test('without the option a session goes on by itself, and startUserInteraction is WRONG_STATE', async () => {
  const other = await env.enrolled({ userid: 'eager' });
  const nonce = env.rp.newNonce();
  const session = await other.startSession(await env.rp.loginQr(nonce));
  await nextEvent(session, 'secondfactor');
  await expect(session.startUserInteraction()).rejects.toMatchObject({ code: 'WRONG_STATE', kind: 'misuse' });
  expect(session.pseudoState).toBe('WAIT_FOR_SECOND_FACTOR');
  await session.stopSession();
});
