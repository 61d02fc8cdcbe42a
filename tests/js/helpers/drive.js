// Drives a session the way an app would, whatever the network does: confirms enrolments and logins,
// answers each PIN prompt (and each PIN_FAIL) with the next PIN of `pins`, and resolves once the
// session is final. Session errors are outcomes here, not exceptions. User actions are deferred
// with setImmediate so they never run inside the engine's own event dispatch.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const PIN = '4711';

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]);
}

/**
 * Starts a session from `qr` and drives it to its end.
 * @returns {Promise<{session, startError, verdicts: string[]}>}
 */
async function drive(auth, qr, { pins = [PIN], account, finishWithinMs = 30_000, onSession } = {}) {
  let session;
  let startError = null;
  try {
    session = await auth.startSession(qr);
  } catch (err) {
    if (!err.session) throw err;
    startError = err;
    session = err.session;
  }
  onSession?.(session);
  const verdicts = [];
  let next = 0;
  const later = (fn) => setImmediate(() => fn().catch(() => {}));
  const enterPin = () => {
    if (session.isFinal) return;
    if (next >= pins.length) {
      later(() => session.inputCancel());
      return;
    }
    const pin = pins[next++];
    later(() => session.setPinBiometric({ pin }));
  };
  session.addEventListener('confirmenrol', () => later(() => session.setAccount()));
  session.addEventListener('confirmlogin', (e) => later(() => session.setAccount(account ?? e.detail.accounts[0])));
  session.addEventListener('secondfactor', (e) => {
    if (e.detail.result) verdicts.push(e.detail.result);
    if (!e.detail.result || e.detail.result === 'PIN_FAIL') enterPin();
  });
  // Events that fired before the listeners were attached (none today: the first answer needs a
  // round trip) would show as a pseudo-state; pick them up.
  if (session.pseudoState === 'WAIT_FOR_CONFIRMATION') later(() => session.setAccount(session.isRegistration ? undefined : account ?? session.candidateAccounts[0]));
  if (session.pseudoState === 'WAIT_FOR_SECOND_FACTOR') enterPin();
  await withTimeout(session.finished, finishWithinMs, `session ${session.id}`);
  return { session, startError, verdicts };
}

/** The decrypted persisted state of a FileStorage folder (the format of js/src/file-storage.ts). */
async function readStoredState(dir) {
  const statePath = path.join(dir, 'state.bin');
  if (!fs.existsSync(statePath)) return null;
  const raw = new Uint8Array(fs.readFileSync(path.join(dir, 'state.key')));
  const sealed = new Uint8Array(fs.readFileSync(statePath));
  const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['decrypt']);
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.subarray(0, 12) }, key, sealed.subarray(12));
  return JSON.parse(new TextDecoder().decode(plain));
}

/** The raw bytes of a FileStorage's state file (or null). */
function storedBytes(dir) {
  const p = path.join(dir, 'state.bin');
  return fs.existsSync(p) ? fs.readFileSync(p) : null;
}

module.exports = { PIN, drive, withTimeout, readStoredState, storedBytes };
