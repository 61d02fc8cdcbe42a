// The server's PIN windows through the REST server parameters and the SDK: pinTimeout -1 (once a
// second factor was verified, a login never asks again) and pinTransTimeout (a transaction's own
// window, 0 by default: always asked). The server applies the windows itself: a device that skips
// the factor outside them is refused.
const { useServer } = require('./helpers/fixture');
const { nextEvent } = require('./helpers/rp');
const { PIN, login } = require('./helpers/flows');
const { enrolRaw, loginRaw } = require('./helpers/raw-device');

const env = useServer();
let auth;
beforeAll(async () => {
  auth = await env.enrolled({ userid: 'win' });
});
afterEach(async () => {
  await env.rp.updateServer({ pinTimeout: 0, pinTransTimeout: 0 });
});

const transfer = { amount: 'EUR 3.50', benificiary: 'BE71 0961 2345 6769 (Café)', description: 'Coffee' };

/** A login (or a transaction's approval from `qr`) the user confirms; resolves with whether the PIN was asked. */
async function asksPin(qr, nonce) {
  const session = await auth.startSession(qr);
  const first = await Promise.race([
    nextEvent(session, 'confirmlogin').then((d) => ({ kind: 'confirm', d })),
    nextEvent(session, 'secondfactor').then((d) => ({ kind: 'factor', d })),
  ]);
  let asked = first.kind === 'factor';
  if (!asked) {
    const prompt = nextEvent(session, 'secondfactor').then(() => true);
    await session.setAccount(first.d.accounts[0]);
    asked = await Promise.race([prompt, session.finished.then(() => false)]);
  }
  if (asked) expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  await session.finished;
  expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  if (nonce) expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'win' });
  return asked;
}

async function loginQr() {
  const nonce = env.rp.newNonce();
  return { qr: await env.rp.loginQr(nonce), nonce };
}

test('the relying party sets both windows through the server parameters; GET shows them', async () => {
  const updated = await env.rp.updateServer({ pinTimeout: -1, pinTransTimeout: 15 });
  expect(updated).toMatchObject({ pinTimeout: -1, pinTransTimeout: 15 });
  expect(await env.rp.server()).toMatchObject({ pinTimeout: -1, pinTransTimeout: 15 });
});

test('out-of-range windows are refused and change nothing', async () => {
  await env.rp.updateServer({ pinTimeout: 5, pinTransTimeout: 5 });
  for (const body of [{ pinTimeout: -2 }, { pinTransTimeout: -1 }, { pinTransTimeout: 1441 }, { pinTransTimeout: '5' }]) {
    await expect(env.rp.updateServer(body)).rejects.toThrow(/HTTP 400/);
  }
  expect(await env.rp.server()).toMatchObject({ pinTimeout: 5, pinTransTimeout: 5 });
});

test('pinTimeout -1: after the PIN once, logins only ask for a confirmation', async () => {
  await login(auth, env.rp);  // the PIN, now
  await env.rp.updateServer({ pinTimeout: -1 });
  const { qr, nonce } = await loginQr();
  expect(await asksPin(qr, nonce)).toBe(false);
  expect(await asksPin((await loginQr()).qr)).toBe(false);  // and again: no window to close
});

test('pinTimeout -1 does not reach transactions: their approval asks for the PIN (pinTransTimeout 0)', async () => {
  const { nonce } = await login(auth, env.rp);
  await env.rp.updateServer({ pinTimeout: -1 });
  const { tid, qrdata } = await env.rp.createTransaction(nonce, transfer);
  expect(await asksPin(`tapgate:${qrdata}`)).toBe(true);
  expect((await env.rp.transaction(tid)).tstatus).toBe('SIGNED');
});

test('pinTransTimeout: a transaction right after a PIN entry is approved by confirmation alone, and still signed', async () => {
  const { nonce } = await login(auth, env.rp);
  await env.rp.updateServer({ pinTransTimeout: 10 });
  const { tid, qrdata } = await env.rp.createTransaction(nonce, transfer);
  expect(await asksPin(`tapgate:${qrdata}`)).toBe(false);
  const result = await env.rp.transaction(tid);
  expect(result).toMatchObject({ tstatus: 'SIGNED', amount: transfer.amount });
  // The transaction window is not the login window: a plain login still asks (pinTimeout 0).
  expect(await asksPin((await loginQr()).qr)).toBe(true);
});

test('the server applies the windows itself: a device skipping the PIN outside them is refused', async () => {
  const account = await enrolRaw(env.server);  // its enrolment verified a second factor just now
  const nonce = env.rp.newNonce();
  expect(await loginRaw(env.server, account, { nonce })).toMatchObject({ result: 'SECOND_FACTOR_REQUIRED' });  // pinTimeout 0
  await env.rp.updateServer({ pinTimeout: -1 });
  expect(await loginRaw(env.server, account, { nonce })).toMatchObject({ result: 'SUCCESS' });
  // A transaction with pinTimeout -1 but pinTransTimeout 0: the PIN, whatever the device says.
  const tx = await env.rp.createTransaction(nonce, transfer);
  const qr = Buffer.from(tx.qrdata, 'base64url');
  expect(await loginRaw(env.server, account, { qr })).toMatchObject({ result: 'SECOND_FACTOR_REQUIRED' });
  expect((await env.rp.transaction(tx.tid)).tstatus).toBe('PENDING');
  await env.rp.updateServer({ pinTransTimeout: 10 });
  const tx2 = await env.rp.createTransaction(nonce, transfer);
  expect(await loginRaw(env.server, account, { qr: Buffer.from(tx2.qrdata, 'base64url') })).toMatchObject({ result: 'SUCCESS' });
  expect((await env.rp.transaction(tx2.tid)).tstatus).toBe('SIGNED');
});
