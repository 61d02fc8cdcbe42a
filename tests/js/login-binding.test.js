// Issue 12, item 1: a transaction, a push login and any login on a relying-party session that
// already has a user are bound to that user. Tried from the attacker's side: mallory has her own
// enrolled app on the same server and gets hold of alice's QR codes.
const { LocalPushRelay } = require('@tapgate/authenticator/node');
const { verifyTransactionApproval } = require('@tapgate/server');
const { useServer } = require('./helpers/fixture');
const { nextEvent, reach } = require('./helpers/rp');
const { PIN, login } = require('./helpers/flows');

const env = useServer();
let alice;
let alicePhone2;
let mallory;
beforeAll(async () => {
  alice = await env.enrolled({ userid: 'alice' });
  alicePhone2 = await env.enrolled({ userid: 'alice' });
  mallory = await env.enrolled({ userid: 'mallory' });
});

const transfer = { amount: 'EUR 5,000.00', beneficiary: 'DE89 3704 0044 0532 0130 00', description: 'rent' };
const accountOf = (auth) => auth.accounts[0];

/** Scans `qr` with `auth`'s app and answers every prompt as its user would; resolves with the ended session. */
async function scanAndApprove(auth, qr) {
  const session = await auth.startSession(qr);
  const asks = ['WAIT_FOR_CONFIRMATION', 'WAIT_FOR_SECOND_FACTOR'];
  const waitForAsk = () => (asks.includes(session.pseudoState) || session.isFinal
    ? Promise.resolve()
    : nextEvent(session, 'statechange', (d) => asks.includes(d.pseudoState) || d.state === 'DONE' || d.state === 'ERROR'));
  await waitForAsk();
  if (session.pseudoState === 'WAIT_FOR_CONFIRMATION') {
    await session.setAccount(session.candidateAccounts[0]);
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  }
  if (session.pseudoState === 'WAIT_FOR_SECOND_FACTOR') await session.setPinBiometric({ pin: PIN }).catch(() => {});
  await session.finished.catch(() => {});
  return session;
}

test("mallory's app cannot approve alice's transaction; alice's session keeps its user", async () => {
  const { nonce } = await login(alice, env.rp);
  const before = await env.rp.loginStatus(nonce);
  const { tid, qrdata } = await env.rp.createTransaction(nonce, transfer);

  const attempt = await scanAndApprove(mallory, `tapgate:${qrdata}`);
  expect(attempt.state).toBe('ERROR');
  expect(attempt.error).toMatchObject({ code: 'ACCOUNT_NOT_ALLOWED', numericCode: 55, kind: 'remote' });
  expect(await env.rp.transaction(tid)).toMatchObject({ tstatus: 'PENDING', signature: null, accountid: null });
  expect(await env.rp.loginStatus(nonce)).toMatchObject({ userid: 'alice', accountid: before.accountid, pk: before.pk });
  expect(mallory.accounts).toHaveLength(1);  // her account is untouched: the refusal is signed, not a fault

  // Mallory's scan started that QR session, and a session starts once (protocol §5.1): the
  // relying party asks again, and alice approves; it checks her signature with the key it expected.
  const again = await env.rp.createTransaction(nonce, transfer);
  const approved = await scanAndApprove(alice, `tapgate:${again.qrdata}`);
  expect(approved.state).toBe('DONE');
  expect((await env.rp.transaction(tid)).tstatus).toBe('PENDING');  // mallory's attempt approved nothing
  const tx = await env.rp.transaction(again.tid);
  expect(tx).toMatchObject({ tstatus: 'SIGNED', accountid: before.accountid });
  const check = { serverId: env.server.serverId, nonce, tid: again.tid, text: tx.text, expectedPk: before.pk, signature: tx.signature };
  expect(await verifyTransactionApproval(check)).toBe(true);
  // The signature names this transaction and this session: it proves nothing anywhere else.
  expect(await verifyTransactionApproval({ ...check, nonce: env.rp.newNonce() })).toBe(false);
  expect(await verifyTransactionApproval({ ...check, tid: 'another-tid' })).toBe(false);
  expect(await verifyTransactionApproval({ ...check, text: tx.text.replace('5,000', '50,000') })).toBe(false);
});

test("a login QR on alice's session: mallory is refused, alice's other phone may log in", async () => {
  const { nonce } = await login(alice, env.rp);
  const aliceAccount = (await env.rp.loginStatus(nonce)).accountid;

  const attempt = await scanAndApprove(mallory, await env.rp.loginQr(nonce));
  expect(attempt.error).toMatchObject({ code: 'ACCOUNT_NOT_ALLOWED' });
  expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'alice', accountid: aliceAccount });

  const second = await scanAndApprove(alicePhone2, await env.rp.loginQr(nonce));
  expect(second.state).toBe('DONE');
  expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'alice', accountid: accountOf(alicePhone2).accountId });
});

test('a push login provoked for a user binds its QR session to that user, even on a fresh relying-party session', async () => {
  const relay = await LocalPushRelay.connect(alice, { url: `${env.server.url}/relay/v1`, intervalMs: 100 });
  try {
    const nonce = env.rp.newNonce();
    const pushed = nextEvent(alice, 'session');
    const res = await fetch(`${env.server.url}/servers/${env.server.serverId}/users/alice/provokelogin`, {
      method: 'POST', headers: { 'X-apikey': env.server.rootApiKey, 'X-nonce': nonce },
    });
    expect(res.status).toBe(200);
    const { session: aliceSession } = await pushed;
    // The pushed QR is the session's latest login QR; mallory gets hold of it and tries first.
    const { loginqrdata } = await env.rp.loginStatus(nonce);
    // Its message started the session, so a scan of it is refused at once (§5.1); were it ever
    // started, the binding would still refuse her login (signed 55).
    const attempt = await scanAndApprove(mallory, `tapgate:${loginqrdata}`);
    expect(attempt.error).toMatchObject({ code: expect.stringMatching(/^(SESSION_NOT_FOUND|ACCOUNT_NOT_ALLOWED)$/) });
    expect((await env.rp.loginStatus(nonce)).loggedin).toBe(false);
    // Alice, for whom it was made, logs in with it.
    await reach(aliceSession, 'WAIT_FOR_SECOND_FACTOR');
    await aliceSession.setPinBiometric({ pin: PIN });
    await aliceSession.finished;
    expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'alice' });
  } finally {
    relay.close();
  }
});

test('a push login provoked for an account binds its QR session to that account', async () => {
  const { nonce } = await login(alicePhone2, env.rp);
  const target = accountOf(alicePhone2).accountId;
  const res = await fetch(`${env.server.url}/servers/${env.server.serverId}/accounts/${target}/provokelogin`, {
    method: 'POST', headers: { 'X-apikey': env.server.rootApiKey, 'X-nonce': nonce },
  });
  expect(res.status).toBe(200);
  const { loginqrdata } = await env.rp.loginStatus(nonce);
  // Even alice's other account (same user) may not take a push login made for this one.
  const attempt = await scanAndApprove(alice, `tapgate:${loginqrdata}`);
  expect(attempt.error).toMatchObject({ code: expect.stringMatching(/^(SESSION_NOT_FOUND|ACCOUNT_NOT_ALLOWED)$/) });
  expect((await env.rp.loginStatus(nonce)).accountid).toBe(target);
});

test('a transaction needs a user: on a session nobody logged in on, it is refused', async () => {
  const nonce = env.rp.newNonce();
  await env.rp.loginQr(nonce);
  await expect(env.rp.createTransaction(nonce, transfer)).rejects.toThrow(/HTTP 409/);
});
