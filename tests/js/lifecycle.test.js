// Lifecycle rules through the public API: start sources (QR bytes and every link form), candidate
// accounts across servers, singleAccount, the session timeout, restarts and a skewed device clock.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Authenticator, MemoryStorage } = require('@tapgate/authenticator/node');
const { startServer } = require('./helpers/server-process');
const { relyingParty, nextEvent, reach } = require('./helpers/rp');
const { PIN, enrol, login, eventually } = require('./helpers/flows');

let bank;
let shop;
const open = [];
beforeAll(async () => {
  [bank, shop] = await Promise.all([startServer(), startServer()]);
  bank.rp = relyingParty(bank);
  shop.rp = relyingParty(shop);
});
afterEach(async () => {
  while (open.length) await open.pop().close();
});
afterAll(async () => Promise.all([bank?.stop(), shop?.stop()]));

async function authenticator(options) {
  const auth = await Authenticator.create(options);
  open.push(auth);
  return auth;
}

test('a session starts from QR bytes, a tapgate: link, an https link and bare base64url', async () => {
  const auth = await authenticator();
  await enrol(auth, bank.rp, { userid: 'linda' });
  const forms = [
    (qr) => qr,
    (qr) => `tapgate:${Buffer.from(qr).toString('base64url')}`,
    (qr) => `https://login.bank.example/tapgate#${Buffer.from(qr).toString('base64url')}`,
    (qr) => Buffer.from(qr).toString('base64url'),
  ];
  for (const form of forms) {
    const nonce = bank.rp.newNonce();
    const session = await auth.startSession(form(await bank.rp.loginQr(nonce)));
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
    expect((await bank.rp.loginStatus(nonce)).userid).toBe('linda');
  }
});

test('candidates: only the accounts on the QR’s server, several per server; the chosen one logs in', async () => {
  const auth = await authenticator();
  await enrol(auth, bank.rp, { userid: 'mia-personal' });
  await enrol(auth, bank.rp, { userid: 'mia-business' });
  await enrol(auth, shop.rp, { userid: 'mia-shopper' });
  expect(new Set(auth.accounts.map((a) => a.serverId)).size).toBe(2);
  const nonce = bank.rp.newNonce();
  const session = await auth.startSession(await bank.rp.loginQr(nonce));
  const { accounts } = await nextEvent(session, 'confirmlogin');
  expect(accounts.map((a) => a.userId).sort()).toEqual(['mia-business', 'mia-personal']);
  await session.setAccount(accounts.find((a) => a.userId === 'mia-business'), 'picked on the phone');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect(await bank.rp.loginStatus(nonce)).toMatchObject({ userid: 'mia-business', userinput: 'picked on the phone' });
  // The same app PIN works on the other server.
  const other = await login(auth, shop.rp);
  expect(other.verdict.result).toBe('SUCCESS');
});

test('singleAccount refuses a second enrolment with error 40', async () => {
  const auth = await authenticator({ config: { singleAccount: true } });
  await enrol(auth, bank.rp, { userid: 'nina' });
  await expect(auth.startSession(await shop.rp.enrolQr(shop.rp.newNonce()))).rejects.toMatchObject({ numericCode: 40, code: 'SINGLE_ACCOUNT' });
  expect(auth.accounts).toHaveLength(1);
});

test('an unfinished session ends DONE / ABORTED after sessionTimeout, and the relying party sees it cancelled', async () => {
  // Enrolled with the default timeout (an Argon2id derivation on a loaded machine may take a
  // second), then reopened with a short one.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-timeout-'));
  const enrolling = await Authenticator.create({ storage: dir });
  await enrol(enrolling, bank.rp, { userid: 'otto' });
  await enrolling.close();
  const auth = await authenticator({ storage: dir, config: { sessionTimeout: '1s' } });
  const nonce = bank.rp.newNonce();
  const session = await auth.startSession(await bank.rp.loginQr(nonce));
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  await session.finished;
  expect(session.state).toBe('DONE');
  expect(session.historyStatus).toBe('ABORTED');
  expect(session.error).toMatchObject({ code: 'SESSION_TIMEOUT' });
  await eventually(async () => (await bank.rp.loginStatus(nonce)).cancelled);
  await expect(session.setPinBiometric({ pin: PIN })).rejects.toMatchObject({ code: 'WRONG_STATE', kind: 'misuse' });
});

test('a sessionTimeout beyond what setTimeout can hold (30 days) does not end sessions at once', async () => {
  const auth = await authenticator({ config: { sessionTimeout: '720h' } });
  await enrol(auth, bank.rp, { userid: 'otto-long' });
  const session = await auth.startSession(await bank.rp.loginQr(bank.rp.newNonce()));
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  await new Promise((r) => setTimeout(r, 200));
  expect(session.pseudoState).toBe('WAIT_FOR_SECOND_FACTOR');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
});

test('a restart in the middle of a login: the session ends ABORTED and the relying party sees it cancelled', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-restart-'));
  const before = await Authenticator.create({ storage: dir });
  await enrol(before, bank.rp, { userid: 'pia' });
  const nonce = bank.rp.newNonce();
  const session = await before.startSession(await bank.rp.loginQr(nonce));
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  await before.close();  // the app is killed while the PIN pad is shown

  const after = await authenticator({ storage: dir });
  expect(after.accounts.map((a) => a.userId)).toEqual(['pia']);
  expect(after.history.map((h) => h.historyStatus)).toEqual(['LOGGED_IN_ONE_SHOT', 'ABORTED']);
  await eventually(async () => (await bank.rp.loginStatus(nonce)).cancelled);
});

test('a restart during a continuous login: LOGGED_OUT in the history and at the relying party', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-restart-'));
  const before = await Authenticator.create({ storage: dir });
  await enrol(before, shop.rp, { userid: 'quinn' });
  await shop.rp.updateServer({ pingTime: 120 });
  try {
    const { nonce, session } = await login(before, shop.rp);
    expect(session.state).toBe('ACTIVE');
    await before.close();
    const after = await authenticator({ storage: dir });
    expect(after.history.at(-1)).toMatchObject({ kind: 'login', historyStatus: 'LOGGED_OUT' });
    await eventually(async () => !(await shop.rp.loginStatus(nonce)).loggedin);
  } finally {
    await shop.rp.updateServer({ pingTime: 0 });
  }
});

test('a device clock hours off still works: expiries use the signed server time', async () => {
  for (const skew of [-5, 7]) {
    const auth = await authenticator({ clock: () => Date.now() + skew * 3_600_000 });
    await enrol(auth, bank.rp, { userid: `skew${skew}` });
    const [account] = auth.accounts;
    const { nonce } = await login(auth, bank.rp);
    await bank.rp.sendMessage(account.accountId, `clock ${skew}h`);
    const notes = [];
    auth.addEventListener('message', (e) => notes.push(e.detail.message.text));
    expect(await auth.retrieveMessages()).toBe(1);
    expect(notes).toEqual([`clock ${skew}h`]);
    expect((await bank.rp.loginStatus(nonce)).loggedin).toBe(true);
  }
});
