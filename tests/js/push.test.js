// Push messages through the reference server's local relay, and the same messages pulled with
// retrieveMessages(): push login, logout, account deletion, notes; dedup and rejection.
const { useServer } = require('./helpers/fixture');
const { nextEvent, reach } = require('./helpers/rp');
const { PIN, startEnrolment, login, eventually } = require('./helpers/flows');

const env = useServer();

async function device(userid, { relay = true } = {}) {
  const auth = await env.enrolled({ userid });
  const push = relay ? await env.pushRelay(auth) : null;
  return { auth, push, account: auth.accounts[0] };
}

test('provokeLogin pushes a login to the account last logged in on that nonce; it starts a session by itself', async () => {
  await env.rp.updateServer({ pingTime: 60 });
  try {
    const { auth } = await device('paula');
    const { nonce, session: first } = await login(auth, env.rp);
    expect(first.state).toBe('ACTIVE');
    expect((await env.rp.loginStatus(nonce)).canprovoke).toBe(true);
    await env.rp.logout(nonce);
    await first.finished;
    expect((await env.rp.loginStatus(nonce)).loggedin).toBe(false);

    const started = nextEvent(auth, 'session');
    const res = await env.rp.provokeLogin(nonce, { announceinfo: { info: { action: 'Approve sign-in' } } });
    expect(res.status).toBe(200);
    const { session } = await started;
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    expect(session.announceInfo.info.action).toBe('Approve sign-in');
    expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
    expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
    await session.stopSession();
  } finally {
    await env.rp.updateServer({ pingTime: 0 });
  }
});

test('provokeLogin on a nonce nobody logged in on is refused (canprovoke false)', async () => {
  const nonce = env.rp.newNonce();
  await env.rp.loginQr(nonce);
  expect((await env.rp.loginStatus(nonce)).canprovoke).toBe(false);
  expect((await env.rp.provokeLogin(nonce)).status).toBe(409);
});

test('a logout by the relying party reaches the ACTIVE session as a push, before any ping', async () => {
  await env.rp.updateServer({ pingTime: 600 });  // pings every 200 s: only the push can end it now
  try {
    const { auth } = await device('quentin');
    const { nonce, session } = await login(auth, env.rp);
    expect(session.state).toBe('ACTIVE');
    const t0 = Date.now();
    await env.rp.logout(nonce);
    await session.finished;
    expect(session.historyStatus).toBe('LOGGED_OUT');
    expect(Date.now() - t0).toBeLessThan(5_000);
  } finally {
    await env.rp.updateServer({ pingTime: 0 });
  }
});

test('deleting the account at the server deletes it on the device: accountdeleted, history DELETED, PIN cleared', async () => {
  const { auth, account } = await device('rita');
  await login(auth, env.rp);
  const deleted = nextEvent(auth, 'accountdeleted');
  await env.rp.deleteAccount(account.accountId);
  expect((await deleted).account.accountId).toBe(account.accountId);
  expect(auth.accounts).toEqual([]);
  await eventually(() => auth.history.every((h) => h.historyStatus === 'DELETED'));
  expect((await env.rp.accounts()).accounts.map((a) => a.id)).not.toContain(account.accountId);
  // With no account left the PIN is gone: the next enrolment sets one.
  const { session: s, prompt } = await startEnrolment(auth, env.rp, { userid: 'rita-again' });
  expect(prompt.context).toBe('FIRST_SET');
  await s.stopSession();
});

test('deleting the account in the app tells the server; its QR codes then find no account (34)', async () => {
  const { auth, account } = await device('sam', { relay: false });
  await auth.deleteAccount(account);
  expect(auth.accounts).toEqual([]);
  await eventually(async () => !(await env.rp.accounts()).accounts.some((a) => a.id === account.accountId));
  await expect(auth.startSession(await env.rp.loginQr(env.rp.newNonce()))).rejects.toMatchObject({ numericCode: 34 });
});

test('a note from the server arrives as a message event', async () => {
  const { auth, account } = await device('tess');
  const received = nextEvent(auth, 'message');
  await env.rp.sendMessage(account.accountId, 'Your new card is on its way', { ref: 'C-42' });
  const { message, account: to } = await received;
  expect(message).toMatchObject({ text: 'Your new card is on its way', data: { ref: 'C-42' } });
  expect(to.accountId).toBe(account.accountId);
});

test('retrieveMessages pulls what push missed, with the same dedup as push', async () => {
  const { auth, account } = await device('uma', { relay: false });
  await auth.updatePushToken('never-polled');
  const notes = [];
  auth.addEventListener('message', (e) => notes.push(e.detail.message.text));
  await env.rp.sendMessage(account.accountId, 'first');
  await env.rp.sendMessage(account.accountId, 'second');
  expect(await auth.retrieveMessages()).toBe(2);
  expect(notes).toEqual(['first', 'second']);
  expect(await auth.retrieveMessages()).toBe(0);

  // The relay still holds both: delivered late by push, they are replays, refused and without effect.
  const res = await fetch(`${env.server.url}/relay/v1/never-polled`);
  const { messages } = await res.json();
  expect(messages).toHaveLength(2);
  for (const m of messages) await expect(auth.processPush(m)).rejects.toMatchObject({ code: 'PUSH_REPLAYED', kind: 'security' });
  expect(notes).toHaveLength(2);
});

test('pushes that are not for this app, tampered or garbage are rejected as security errors', async () => {
  const alice = await device('vic', { relay: false });
  const mallory = await device('wes', { relay: false });
  await mallory.auth.updatePushToken('wes-token');
  await env.rp.sendMessage(mallory.account.accountId, 'for wes only');
  const [forWes] = (await (await fetch(`${env.server.url}/relay/v1/wes-token`)).json()).messages;
  await expect(alice.auth.processPush(forWes)).rejects.toMatchObject({ code: 'PUSH_REJECTED', kind: 'security' });
  const bytes = Buffer.from(forWes, 'base64url');
  bytes[bytes.length - 5] ^= 1;
  await expect(mallory.auth.processPush(new Uint8Array(bytes))).rejects.toMatchObject({ kind: 'security' });
  await expect(mallory.auth.processPush('%%%')).rejects.toMatchObject({ kind: 'security' });
  await expect(mallory.auth.processPush(42)).rejects.toMatchObject({ kind: 'misuse' });
  expect(await mallory.auth.processPush({ tapgate: forWes })).toBeNull();
});

test('provokeLogin after a one-shot login: the pushed login logs the same nonce in again', async () => {
  const { auth } = await device('xavier');
  const { nonce } = await login(auth, env.rp);
  expect((await env.rp.loginStatus(nonce)).canprovoke).toBe(true);
  const started = nextEvent(auth, 'session');
  expect((await env.rp.provokeLogin(nonce)).status).toBe(200);
  const { session } = await started;
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  expect(auth.history.filter((h) => h.historyStatus === 'LOGGED_IN_ONE_SHOT')).toHaveLength(3);
});
