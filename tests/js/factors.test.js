// Managing the second factor through the public API: change the PIN (one PIN for accounts on two
// servers, never half-changed), add and remove the biometric.
const { TestBiometricProvider } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { nextEvent } = require('./helpers/rp');
const { PIN, enrol, login } = require('./helpers/flows');

const NEW_PIN = '8086';
const A = useServer();
const B = useServer();

/** An authenticator with one account at each server, both under PIN. */
async function deviceOnTwoServers(options = {}) {
  const auth = await A.authenticator({ requestTimeout: 2000, ...options });
  expect((await enrol(auth, A.rp, { userid: 'ann-a' })).verdict.result).toBe('SUCCESS');
  expect((await enrol(auth, B.rp, { userid: 'ann-b' })).verdict.result).toBe('SUCCESS');
  return auth;
}

async function loginResult(auth, rp, pin) {
  const { session, verdict } = await login(auth, rp, { pin });
  if (session.pseudoState === 'WAIT_FOR_SECOND_FACTOR') await session.inputCancel();
  return verdict.result;
}

test('the new PIN takes effect on every server; the old one stops working; it survives a restart', async () => {
  const dir = A.tempDir('tapgate-factors-');
  const auth = await deviceOnTwoServers({ storage: dir });
  expect(await auth.changePin({ pin: PIN, newPin: NEW_PIN })).toEqual({ result: 'SUCCESS' });
  expect(await loginResult(auth, A.rp, NEW_PIN)).toBe('SUCCESS');
  expect(await loginResult(auth, B.rp, NEW_PIN)).toBe('SUCCESS');
  expect(await loginResult(auth, B.rp, PIN)).toBe('PIN_FAIL');
  await auth.close();

  const again = await A.authenticator({ storage: dir });
  expect(await loginResult(again, A.rp, NEW_PIN)).toBe('SUCCESS');
});

test('a wrong current PIN is a PIN_FAIL verdict (counted by the server) and changes nothing', async () => {
  const auth = await deviceOnTwoServers();
  expect(await auth.changePin({ pin: '0000', newPin: NEW_PIN })).toEqual({ result: 'PIN_FAIL', attemptsLeft: 2 });
  expect(await loginResult(auth, A.rp, PIN)).toBe('SUCCESS');
  expect(await loginResult(auth, B.rp, PIN)).toBe('SUCCESS');
});

test('a server that does not answer part-way: the change rejects and the old PIN stays valid on both servers', async () => {
  const auth = await deviceOnTwoServers();
  await B.server.pause();
  try {
    await expect(auth.changePin({ pin: PIN, newPin: NEW_PIN })).rejects.toMatchObject({ kind: 'network' });
  } finally {
    await B.server.resume();
  }
  expect(await loginResult(auth, A.rp, PIN)).toBe('SUCCESS');  // A had prepared the new PIN; the device never switched
  expect(await loginResult(auth, B.rp, PIN)).toBe('SUCCESS');
  expect(await loginResult(auth, A.rp, NEW_PIN)).toBe('PIN_FAIL');
});

test('misuse: bad arguments, nothing to change, a second change at once', async () => {
  const empty = await A.authenticator();
  await expect(empty.changePin({ pin: PIN, newPin: NEW_PIN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', kind: 'misuse' });
  const auth = await deviceOnTwoServers();
  await expect(auth.changePin({ pin: PIN, newPin: '12' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  await expect(auth.changePin({ newPin: NEW_PIN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  await expect(auth.addBiometric({ pin: PIN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });  // no BiometricProvider
  const first = auth.changePin({ pin: PIN, newPin: NEW_PIN });
  await expect(auth.changePin({ pin: PIN, newPin: '9999' })).rejects.toMatchObject({ code: 'WRONG_STATE', kind: 'misuse' });
  expect(await first).toEqual({ result: 'SUCCESS' });
});

describe('biometric', () => {
  test('added with the PIN, it logs in; removed, only the PIN is offered', async () => {
    const auth = await deviceOnTwoServers({ biometric: new TestBiometricProvider() });
    const updates = [];
    auth.addEventListener('accountupdate', (e) => updates.push(e.detail.account));
    expect(await auth.addBiometric({ pin: PIN })).toEqual({ result: 'SUCCESS' });
    expect(auth.accounts.map((a) => a.biometric)).toEqual([true, true]);
    expect(updates.filter((a) => a.biometric)).toHaveLength(2);

    const nonce = B.rp.newNonce();
    let session = await auth.startSession(await B.rp.loginQr(nonce));
    expect((await nextEvent(session, 'secondfactor')).allowed).toEqual(['PIN', 'BIOMETRIC']);
    expect((await session.setPinBiometric({ biometric: true })).result).toBe('SUCCESS');
    expect((await B.rp.loginStatus(nonce)).loggedin).toBe(true);

    await auth.removeBiometric();
    expect(auth.accounts.map((a) => a.biometric)).toEqual([false, false]);
    session = await auth.startSession(await A.rp.loginQr(A.rp.newNonce()));
    expect((await nextEvent(session, 'secondfactor')).allowed).toEqual(['PIN']);
    await expect(session.setPinBiometric({ biometric: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await session.stopSession();
  });

  test('a wrong PIN adds no biometric', async () => {
    const auth = await deviceOnTwoServers({ biometric: new TestBiometricProvider() });
    expect(await auth.addBiometric({ pin: '0000' })).toEqual({ result: 'PIN_FAIL', attemptsLeft: 2 });
    expect(auth.accounts.map((a) => a.biometric)).toEqual([false, false]);
  });

  test('a PIN change may be authorised by the biometric, unless disallowPinChangeWithBiometric', async () => {
    const biometric = new TestBiometricProvider();
    const auth = await deviceOnTwoServers({ biometric });
    expect(await auth.addBiometric({ pin: PIN })).toEqual({ result: 'SUCCESS' });
    biometric.approve = false;
    expect(await auth.changePin({ biometric: true, newPin: NEW_PIN })).toEqual({ result: 'BIOMETRIC_FAIL' });
    biometric.approve = true;
    expect(await auth.changePin({ biometric: true, newPin: NEW_PIN })).toEqual({ result: 'SUCCESS' });
    expect(await loginResult(auth, A.rp, NEW_PIN)).toBe('SUCCESS');

    const strict = await A.authenticator({ biometric, config: { disallowPinChangeWithBiometric: true } });
    expect((await enrol(strict, A.rp, { userid: 'strict' })).verdict.result).toBe('SUCCESS');
    expect(await strict.addBiometric({ pin: PIN })).toEqual({ result: 'SUCCESS' });
    await expect(strict.changePin({ biometric: true, newPin: NEW_PIN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', kind: 'misuse' });
  });
});
