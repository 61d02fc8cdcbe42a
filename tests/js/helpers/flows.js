// Enrolment and login as an app would drive them, for tests that need an account to start from.
const { nextEvent, reach } = require('./rp');
const { drive } = require('./drive');

const PIN = '4711';

/** Enrols `userid` by QR and sets the PIN; with `finished`, also waits for the session to end. */
async function enrol(auth, rp, { userid = 'alice', name = `${userid}@example`, pin = PIN, finished = false } = {}) {
  const nonce = rp.newNonce();
  const session = await auth.startSession(await rp.enrolQr(nonce, { userid, name }));
  const confirm = await nextEvent(session, 'confirmenrol');
  await session.setAccount();
  const verdict = await session.setPinBiometric({ pin });
  if (finished) await session.finished;
  return { nonce, session, confirm, verdict };
}

/**
 * Starts an enrolment of `userid` and confirms it; resolves once the app is asked for the second
 * factor, with the session, the confirmenrol detail and that prompt (FIRST_SET, or VERIFY).
 */
async function startEnrolment(auth, rp, { userid = 'alice', name } = {}) {
  const nonce = rp.newNonce();
  const session = await auth.startSession(await rp.enrolQr(nonce, { userid, name }));
  const confirm = await nextEvent(session, 'confirmenrol');
  const prompt = nextEvent(session, 'secondfactor');
  await session.setAccount();
  return { nonce, session, confirm, prompt: await prompt };
}

/** Starts a login and answers the PIN prompt (picking `account` when asked to confirm). */
async function login(auth, rp, { pin = PIN, account, usercontext } = {}) {
  const nonce = rp.newNonce();
  const session = await auth.startSession(await rp.loginQr(nonce, usercontext));
  if (account) {
    await reach(session, 'WAIT_FOR_CONFIRMATION');
    await session.setAccount(account);
  }
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  const verdict = await session.setPinBiometric({ pin });
  return { nonce, session, verdict };
}

/** drive() (helpers/drive.js) through an enrolment of `userid`; resolves with drive's result and the nonce. */
async function driveEnrol(auth, rp, userid, driveOptions) {
  const nonce = rp.newNonce();
  return { nonce, ...(await drive(auth, await rp.enrolQr(nonce, { userid }), driveOptions)) };
}

/** drive() through a login; resolves with drive's result and the nonce. */
async function driveLogin(auth, rp, driveOptions, usercontext) {
  const nonce = rp.newNonce();
  return { nonce, ...(await drive(auth, await rp.loginQr(nonce, usercontext), driveOptions)) };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy, or fails after `timeoutMs`. */
async function eventually(probe, timeoutMs = 10_000, stepMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(stepMs);
  }
}

module.exports = { PIN, enrol, startEnrolment, login, driveEnrol, driveLogin, sleep, eventually };
