// The biometric through the BiometricProvider (the deterministic Node provider here), and the rules
// that send the user back to the PIN.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Authenticator, TestBiometricProvider } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { nextEvent, reach } = require('./helpers/rp');
const { PIN, startEnrolment } = require('./helpers/flows');

const env = useServer();

async function device({ config, biometric = new TestBiometricProvider(), storage } = {}) {
  const auth = await env.authenticator({ config, biometric, storage });
  return { auth, biometric };
}

async function enrolWithBiometric(auth, userid) {
  const { session, prompt } = await startEnrolment(auth, env.rp, { userid });
  expect(prompt).toEqual({ context: 'FIRST_SET', allowed: ['PIN', 'BIOMETRIC'] });
  expect((await session.setPinBiometric({ pin: PIN, biometric: true })).result).toBe('SUCCESS');
  expect(auth.accounts[0].biometric).toBe(true);
}

async function loginPrompt(auth) {
  const nonce = env.rp.newNonce();
  const session = await auth.startSession(await env.rp.loginQr(nonce));
  const prompt = await nextEvent(session, 'secondfactor');
  return { nonce, session, prompt };
}

test('set beside the PIN at the first enrolment, then logs in alone', async () => {
  const { auth } = await device();
  await enrolWithBiometric(auth, 'bio-ann');
  const { nonce, session, prompt } = await loginPrompt(auth);
  expect(prompt.allowed).toEqual(['PIN', 'BIOMETRIC']);
  expect((await session.setPinBiometric({ biometric: true })).result).toBe('SUCCESS');
  expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'bio-ann' });
});

test('a cancelled or unrecognised biometric is a BIOMETRIC_FAIL verdict; the PIN still works', async () => {
  const { auth, biometric } = await device();
  await enrolWithBiometric(auth, 'bio-ben');
  const { nonce, session } = await loginPrompt(auth);
  biometric.approve = false;
  expect((await session.setPinBiometric({ biometric: true })).result).toBe('BIOMETRIC_FAIL');
  expect(session.pseudoState).toBe('WAIT_FOR_SECOND_FACTOR');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
});

test('a changed biometric set (another secret): BIOMETRICS_REMOVED, the biometric off for the account, the PIN not counted', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-bio-'));
  const first = await Authenticator.create({ storage: dir, biometric: new TestBiometricProvider() });
  await enrolWithBiometric(first, 'bio-cleo');
  await first.close();
  const { auth } = await device({ storage: dir, biometric: new TestBiometricProvider() });
  const { session } = await loginPrompt(auth);
  const updated = nextEvent(auth, 'accountupdate');
  const verdict = await session.setPinBiometric({ biometric: true });
  expect(verdict).toEqual({ context: 'VERIFY', allowed: ['PIN'], result: 'BIOMETRICS_REMOVED' });
  expect((await updated).account).toMatchObject({ userId: 'bio-cleo', biometric: false });
  expect(auth.accounts[0].biometric).toBe(false);
  await expect(session.setPinBiometric({ biometric: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect((await env.rp.accounts()).accounts.find((a) => a.userid === 'bio-cleo').pinfailures).toBe(0);
  expect((await loginPrompt(auth)).prompt.allowed).toEqual(['PIN']);
  await auth.close();
  const reopened = await env.authenticator({ storage: dir, biometric: new TestBiometricProvider() });
  expect(reopened.accounts[0].biometric).toBe(false);  // stored: off for good, until addBiometric
});

test('maxNumberSecondFactorWithoutPIN: after N biometric logins the PIN is asked', async () => {
  const { auth } = await device({ config: { maxNumberSecondFactorWithoutPIN: 1 } });
  await enrolWithBiometric(auth, 'bio-dora');
  let { session, prompt } = await loginPrompt(auth);
  expect(prompt.allowed).toEqual(['PIN', 'BIOMETRIC']);
  await session.setPinBiometric({ biometric: true });
  ({ session, prompt } = await loginPrompt(auth));
  expect(prompt.allowed).toEqual(['PIN']);
  await expect(session.setPinBiometric({ biometric: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', kind: 'misuse' });
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  ({ prompt } = await loginPrompt(auth));
  expect(prompt.allowed).toEqual(['PIN', 'BIOMETRIC']);
});

test('maxTimeSecondFactorWithoutPIN: long after the last PIN, the PIN is asked', async () => {
  let offset = 0;
  const auth = await env.authenticator({ config: { maxTimeSecondFactorWithoutPIN: '1h' }, biometric: new TestBiometricProvider(), clock: () => Date.now() + offset });
  await enrolWithBiometric(auth, 'bio-emil');
  expect((await loginPrompt(auth)).prompt.allowed).toEqual(['PIN', 'BIOMETRIC']);
  offset = 2 * 3_600_000;
  expect((await loginPrompt(auth)).prompt.allowed).toEqual(['PIN']);
});

test('biometricsDisabled: only the PIN is offered, even with a provider', async () => {
  const { auth } = await device({ config: { biometricsDisabled: true } });
  const { prompt } = await startEnrolment(auth, env.rp, { userid: 'bio-fay' });
  expect(prompt.allowed).toEqual(['PIN']);
});

test('blockSecondFactorOnPINBlocked: a blocked PIN blocks the biometric too', async () => {
  const { auth } = await device({ config: { blockSecondFactorOnPINBlocked: true } });
  await enrolWithBiometric(auth, 'bio-gus');
  const { session } = await loginPrompt(auth);
  for (let i = 0; i < 3; i++) await session.setPinBiometric({ pin: '0000' });
  expect(session.error).toMatchObject({ code: 'PIN_BLOCKED' });
  const next = await auth.startSession(await env.rp.loginQr(env.rp.newNonce()));
  await next.finished;
  expect(next.state).toBe('ERROR');
  expect(next.error).toMatchObject({ code: 'PIN_BLOCKED' });
});

test('the server: a biometric login does not reset the PIN count, and a blocked PIN refuses the biometric (device rule off)', async () => {
  const { auth } = await device();
  await enrolWithBiometric(auth, 'bio-hal');
  const first = await loginPrompt(auth);
  expect(await first.session.setPinBiometric({ pin: '0000' })).toMatchObject({ result: 'PIN_FAIL', attemptsLeft: 2 });
  expect(await first.session.setPinBiometric({ pin: '1111' })).toMatchObject({ result: 'PIN_FAIL', attemptsLeft: 1 });
  expect((await first.session.setPinBiometric({ biometric: true })).result).toBe('SUCCESS');
  // Two failures are still counted: the next wrong PIN blocks.
  const second = await loginPrompt(auth);
  expect((await second.session.setPinBiometric({ pin: '2222' })).result).toBe('PIN_BLOCKED');
  // blockSecondFactorOnPINBlocked is off, so the device offers and sends the biometric: the server refuses it.
  const third = await loginPrompt(auth);
  expect(third.prompt.allowed).toContain('BIOMETRIC');
  const verdict = await third.session.setPinBiometric({ biometric: true }).catch((e) => e);
  await third.session.finished.catch(() => {});
  expect(verdict).toMatchObject({ result: 'PIN_BLOCKED' });
  expect(third.session.state).toBe('ERROR');
  expect(third.session.error).toMatchObject({ code: 'PIN_BLOCKED' });
  expect(await env.rp.loginStatus(third.nonce)).toMatchObject({ loggedin: false });
});
