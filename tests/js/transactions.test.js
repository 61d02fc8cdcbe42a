// Transactions and anti-phishing through the public API against the reference server.
const sodium = require('libsodium-wrappers');
const { LocalPushRelay } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { nextEvent, reach } = require('./helpers/rp');
const { PIN, login } = require('./helpers/flows');

const env = useServer();
let auth;
beforeAll(async () => {
  await sodium.ready;
  auth = await env.enrolled({ userid: 'tx-user' });
});

const transfer = { amount: 'EUR 1,250.00', benificiary: 'BE71 0961 2345 6769 (J. Doe)', description: 'Invoice 2026-117' };

test('the device shows exactly the transaction, needs the second factor, and the relying party verifies the signature', async () => {
  const { nonce } = await login(auth, env.rp);
  await env.rp.updateServer({ pinTimeout: 60 });  // would let a plain login skip the PIN now
  try {
    const { tid, qrdata } = await env.rp.createTransaction(nonce, transfer);
    expect((await env.rp.transaction(tid)).tstatus).toBe('PENDING');
    const session = await auth.startSession(`tapgate:${qrdata}`);
    const { accounts, transaction } = await nextEvent(session, 'confirmlogin');
    expect(transaction).toEqual({ tid, amount: transfer.amount, beneficiary: transfer.benificiary, description: transfer.description });
    expect(session.transaction).toEqual(transaction);
    const asked = nextEvent(session, 'secondfactor');
    await session.setAccount(accounts[0]);
    expect((await asked).context).toBe('VERIFY');
    expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');

    const result = await env.rp.transaction(tid);
    expect(result).toMatchObject({ tstatus: 'SIGNED', amount: transfer.amount, benificiary: transfer.benificiary, accountid: accounts[0].accountId });
    const ok = sodium.crypto_sign_verify_detached(
      Buffer.from(result.signature, 'base64url'), Buffer.from(result.signeddata, 'base64url'), Buffer.from(result.pk, 'base64url'));
    expect(ok).toBe(true);
    expect(Buffer.from(result.signeddata, 'base64url').toString()).toContain(transfer.amount);
  } finally {
    await env.rp.updateServer({ pinTimeout: 0 });
  }
});

test('a transaction reaches a device by push when the account is logged in on the nonce; rejecting it is recorded', async () => {
  const relay = await LocalPushRelay.connect(auth, { url: `${env.server.url}/relay/v1`, intervalMs: 100 });
  try {
    const { nonce } = await login(auth, env.rp);
    const pushed = nextEvent(auth, 'session');
    const { tid, pushed: wasPushed } = await env.rp.createTransaction(nonce, { ...transfer, amount: 'EUR 9.99' });
    expect(wasPushed).toBe(true);
    const { session } = await pushed;
    const { transaction } = await nextEvent(session, 'confirmlogin');
    expect(transaction.amount).toBe('EUR 9.99');
    await session.stopSession();
    for (let i = 0; i < 50 && (await env.rp.transaction(tid)).tstatus === 'PENDING'; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await env.rp.transaction(tid)).tstatus).toBe('REJECTED');
  } finally {
    relay.close();
  }
});

test('code matching: the user types the 2-digit code; the right one logs in, a wrong one ends the session and the page sees it cancelled', async () => {
  const nonce = env.rp.newNonce();
  const session = await auth.startSession(await env.rp.loginQr(nonce, undefined, { codematch: 'true' }));
  const offered = await nextEvent(session, 'confirmlogin');
  const { accounts } = offered;
  const { matchcode } = await env.rp.loginStatus(nonce);  // what the login page shows
  expect(offered.codeLength).toBe(2);
  expect(offered).not.toHaveProperty('codeChoices');  // nothing to pick from: a guess wins 1 in 100, not 1 in 3
  expect(matchcode).toMatch(/^[0-9]{2}$/);
  for (const malformed of ['', '7', '123', 'ab']) {
    await expect(session.setAccount(accounts[0], '', { code: malformed })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  }
  expect(session.pseudoState).toBe('WAIT_FOR_CONFIRMATION');  // a malformed code spends no try
  await session.setAccount(accounts[0], '', { code: matchcode });
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);

  const phished = env.rp.newNonce();
  const victim = await auth.startSession(await env.rp.loginQr(phished, undefined, { codematch: 'true' }));
  const offer = await nextEvent(victim, 'confirmlogin');
  const real = (await env.rp.loginStatus(phished)).matchcode;
  await victim.setAccount(offer.accounts[0], '', { code: String((Number(real) + 1) % 100).padStart(2, '0') });
  await victim.finished;
  expect(victim.state).toBe('ERROR');
  expect(victim.error).toMatchObject({ code: 'CODE_MISMATCH', kind: 'security' });
  for (let i = 0; i < 50 && !(await env.rp.loginStatus(phished)).cancelled; i++) await new Promise((r) => setTimeout(r, 20));
  expect(await env.rp.loginStatus(phished)).toMatchObject({ loggedin: false, cancelled: true });
});

test('the server draws match codes uniformly from 00..99', async () => {
  const seen = new Set();
  for (let i = 0; i < 300; i++) {
    const nonce = env.rp.newNonce();
    await env.rp.loginQr(nonce, undefined, { codematch: 'true' });
    seen.add((await env.rp.loginStatus(nonce)).matchcode);
  }
  // 300 draws from 100 codes leave on average 4.9 unseen; fewer than 80 seen would mean a narrower range.
  expect(seen.size).toBeGreaterThan(80);
  expect([...seen].every((c) => /^[0-9]{2}$/.test(c))).toBe(true);
});

test('the relying party origin reaches the device in the announce info', async () => {
  const nonce = env.rp.newNonce();
  const session = await auth.startSession(await env.rp.loginQr(nonce, { announceinfo: { info: { origin: 'https://shop.example' } } }));
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  expect(session.announceInfo.info.origin).toBe('https://shop.example');
  await session.stopSession();
});
