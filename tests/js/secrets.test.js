// Secrets: PIN guessing is capped by the server's attempt limit — across sessions, in parallel and
// across the login and PIN-check paths, which share one counter; nothing secret reaches the
// server's logs or the SDK's console; the server's database holds no device secret and no PIN.
// (SecretBytes wiping is checked natively: tests/native/secret_wipe_test.cpp. Constant-time
// comparisons are reviewed in docs/security.md.)
const fs = require('node:fs');
const path = require('node:path');
const Database = require('better-sqlite3');
const sodium = require('libsodium-wrappers');
const { TestBiometricProvider } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { reach } = require('./helpers/rp');
const { startEnrolment, driveEnrol, driveLogin } = require('./helpers/flows');
const { readStoredState } = require('./helpers/drive');

const PIN = 'Secret-PIN-9371';  // distinctive, so a search for it can't hit a port or a timestamp

async function enrolled(env, { userid, storage } = {}) {
  const auth = await env.authenticator(storage ? { storage } : {});
  const { session } = await driveEnrol(auth, env.rp, userid, { pins: [PIN] });
  expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  return auth;
}

async function pinFailures(rp, accountId) {
  return (await rp.accounts()).accounts.find((a) => a.id === accountId).pinfailures;
}

describe('PIN guessing is capped by the server', () => {
  const env = useServer();

  test('guesses across sessions: the third wrong PIN blocks, and the right one no longer helps', async () => {
    const auth = await enrolled(env, { userid: 'guess-serial' });
    const [account] = auth.accounts;
    const first = await driveLogin(auth, env.rp, { pins: ['0000', '1111'] });  // then gives up
    expect(first.verdicts).toEqual(['PIN_FAIL', 'PIN_FAIL']);
    expect(first.session.historyStatus).toBe('ABORTED');
    expect(await pinFailures(env.rp, account.accountId)).toBe(2);
    // A new session does not reset the count.
    const second = await driveLogin(auth, env.rp, { pins: ['2222'] });
    expect(second.verdicts).toEqual(['PIN_BLOCKED']);
    expect(second.session.error).toMatchObject({ code: 'PIN_BLOCKED' });
    const third = await driveLogin(auth, env.rp, { pins: [PIN] });
    expect(third.verdicts).toEqual(['PIN_BLOCKED']);
    expect((await env.rp.loginStatus(third.nonce)).loggedin).toBe(false);
    expect(await pinFailures(env.rp, account.accountId)).toBe(3);
    await auth.close();
  });

  test('guesses in parallel sessions are counted one by one: exactly the limit is ever evaluated', async () => {
    const auth = await enrolled(env, { userid: 'guess-parallel' });
    const [account] = auth.accounts;
    const qrs = await Promise.all(Array.from({ length: 6 }, () => env.rp.loginQr(env.rp.newNonce())));
    const sessions = await Promise.all(qrs.map((qr) => auth.startSession(qr)));
    await Promise.all(sessions.map((s) => reach(s, 'WAIT_FOR_SECOND_FACTOR')));
    // A session whose request fails on the way (a network error on a loaded machine) gives no
    // verdict; the cap must hold whatever the transport did.
    const verdicts = await Promise.all(sessions.map((s, i) => s.setPinBiometric({ pin: `000${i}` }).then((v) => v.result, (e) => e.code)));
    expect(verdicts.filter((v) => v === 'PIN_FAIL').length).toBeLessThanOrEqual(2);
    expect(verdicts).not.toContain('SUCCESS');
    expect(verdicts.every((v) => ['PIN_FAIL', 'PIN_BLOCKED', 'NETWORK_ERROR'].includes(v))).toBe(true);
    if (verdicts.filter((v) => v !== 'NETWORK_ERROR').length === 6) {
      expect(verdicts.filter((v) => v === 'PIN_FAIL')).toHaveLength(2);
      expect(verdicts.filter((v) => v === 'PIN_BLOCKED')).toHaveLength(4);
    }
    // More wrong guesses, one at a time, until the server blocks: never more than the limit fail.
    let failed = verdicts.filter((v) => v === 'PIN_FAIL').length;
    for (let i = 0; i < 4 && (await pinFailures(env.rp, account.accountId)) < 3; i++) {
      const more = await driveLogin(auth, env.rp, { pins: [`111${i}`] });
      failed += more.verdicts.filter((v) => v === 'PIN_FAIL').length;
    }
    expect(failed).toBeLessThanOrEqual(2);
    expect(await pinFailures(env.rp, account.accountId)).toBe(3);
    const right = await driveLogin(auth, env.rp, { pins: [PIN] });
    expect(right.verdicts).toEqual(['PIN_BLOCKED']);
    expect((await env.rp.loginStatus(right.nonce)).loggedin).toBe(false);
    await auth.close();
  });

  test('the PIN check of a later enrolment and logins share one counter', async () => {
    const auth = await enrolled(env, { userid: 'guess-mixed' });
    const [account] = auth.accounts;
    // 1 wrong PIN at a later enrolment (PIN check), then cancelled …
    const enrolment = await driveEnrol(auth, env.rp, 'guess-mixed-2', { pins: ['0000'] });
    expect(enrolment.verdicts).toEqual(['PIN_FAIL']);
    // … 1 wrong PIN at a login …
    const login = await driveLogin(auth, env.rp, { pins: ['1111'] });
    expect(login.verdicts).toEqual(['PIN_FAIL']);
    expect(await pinFailures(env.rp, account.accountId)).toBe(2);
    // … and the third, at a PIN check again, blocks.
    const last = await driveEnrol(auth, env.rp, 'guess-mixed-3', { pins: ['2222'] });
    expect(last.verdicts).toEqual(['PIN_BLOCKED']);
    expect(auth.accounts).toHaveLength(1);
    expect(await pinFailures(env.rp, account.accountId)).toBe(3);
    await auth.close();
  });

  // Regression: a biometric login used to reset the PIN failure counter and was accepted on a
  // PIN-blocked account, so whoever could pass the device's biometric could guess the PIN without
  // limit, two guesses at a time (server/src/device-api.ts, fixed).
  test('biometric logins in between do not lift the cap on wrong PINs', async () => {
    const auth = await env.authenticator({ biometric: new TestBiometricProvider() });
    const { session } = await startEnrolment(auth, env.rp, { userid: 'guess-bio' });
    expect((await session.setPinBiometric({ pin: PIN, biometric: true })).result).toBe('SUCCESS');
    const { accountId } = auth.accounts[0];
    const verdicts = [];
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 2; k++) {
        const login = await driveLogin(auth, env.rp, { pins: [`${round}${k}00`] });
        verdicts.push(...login.verdicts);
      }
      const s = await auth.startSession(await env.rp.loginQr(env.rp.newNonce()));
      await reach(s, 'WAIT_FOR_SECOND_FACTOR');
      await s.setPinBiometric({ biometric: true }).catch(() => {});
      await s.finished;
    }
    await auth.close();
    // Six wrong PINs were tried: the third must have blocked, whatever happened in between.
    expect(verdicts.filter((v) => v === 'PIN_FAIL').length).toBeLessThanOrEqual(2);
    expect(await pinFailures(env.rp, accountId)).toBe(3);
  });

  test('the cap follows the server\'s pinAttemptLimit', async () => {
    await env.rp.updateServer({ pinAttemptLimit: 5 });
    try {
      const auth = await enrolled(env, { userid: 'guess-five' });
      const { verdicts } = await driveLogin(auth, env.rp, { pins: ['0', '1', '2', '3', '4', '5'].map((d) => d.repeat(4)) });
      expect(verdicts).toEqual(['PIN_FAIL', 'PIN_FAIL', 'PIN_FAIL', 'PIN_FAIL', 'PIN_BLOCKED']);
      await auth.close();
    } finally {
      await env.rp.updateServer({ pinAttemptLimit: 3 });
    }
  });
});

// ------------------------------------------------------------------------------------------------

/** The ways a secret could be written: hex, base64, base64url (and the text itself). */
function encodings(label, bytesOrText) {
  if (typeof bytesOrText === 'string') return [{ label, text: bytesOrText }];
  const b = Buffer.from(bytesOrText);
  return [
    { label: `${label} (hex)`, text: b.toString('hex') },
    { label: `${label} (base64)`, text: b.toString('base64').replace(/=+$/, '') },
    { label: `${label} (base64url)`, text: b.toString('base64url') },
  ];
}

function leaks(haystack, secrets) {
  return secrets.filter((s) => haystack.includes(s.text)).map((s) => s.label);
}

describe('nothing secret is logged or kept where it should not be', () => {
  const quiet = useServer();  // a server of its own: its logs and database hold this test's run only
  test('server logs, SDK console output and the server database, across enrolment, logins, wrong PINs, a PIN check, a cancel and bad requests', async () => {
    const { server } = quiet;
    const dir = quiet.tempDir('tapgate-secrets-');
    const consoleOutput = [];
    const spies = ['log', 'info', 'warn', 'error', 'debug'].map((m) =>
      jest.spyOn(console, m).mockImplementation((...args) => consoleOutput.push(args.map(String).join(' '))),
    );
    const writes = [];
    const stdoutWrite = jest.spyOn(process.stdout, 'write').mockImplementation((chunk, ...rest) => (writes.push(String(chunk)), true));
    const stderrWrite = jest.spyOn(process.stderr, 'write').mockImplementation((chunk, ...rest) => (writes.push(String(chunk)), true));
    let auth;
    try {
      auth = await enrolled(quiet, { userid: 'quiet', storage: dir });
      await driveLogin(auth, quiet.rp, { pins: ['0000', PIN] });
      await driveEnrol(auth, quiet.rp, 'quiet-2', { pins: ['1111', PIN] });
      await driveLogin(auth, quiet.rp, { pins: [] });  // cancelled at the prompt
      // Malformed device requests carrying secret-looking content must not be echoed into logs.
      for (const body of [`{"v":1,"qr":"${PIN}"`, JSON.stringify({ v: 1, session: PIN, accountPk: PIN }), 'x'.repeat(70 * 1024)]) {
        await fetch(`${server.url}/device/v1/enrol`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).catch(() => {});
      }
      expect(auth.accounts).toHaveLength(2);
    } finally {
      for (const s of [...spies, stdoutWrite, stderrWrite]) s.mockRestore();
    }

    // The secrets: the PIN; every account's signing and box keys (from the decrypted device state);
    // the server's signing key (from its database).
    const state = await readStoredState(dir);
    const secrets = encodings('PIN', PIN);
    for (const a of state.accounts) {
      const sign = Buffer.from(a.signSk, 'base64url');
      secrets.push(...encodings(`account ${a.accountId} signing key`, sign), ...encodings(`account ${a.accountId} signing seed`, sign.subarray(0, 32)));
      secrets.push(...encodings(`account ${a.accountId} box key`, Buffer.from(a.boxSk, 'base64url')));
    }
    const dbFile = path.join(server.dataDir, 'tapgate.sqlite');
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    // The signing keys are stored wrapped under the key file (server-keys.ts): unwrapped here to look for them.
    await sodium.ready;
    const wrapKey = fs.readFileSync(path.join(server.dataDir, 'tapgate.key'));
    const serverSk = db.prepare('SELECT id, sk FROM servers').all()
      .map((r) => Buffer.from(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, r.sk.subarray(24), r.id, r.sk.subarray(0, 24), wrapKey)));
    const pinPks = db.prepare('SELECT pin_pk FROM accounts').all().map((r) => r.pin_pk);
    db.close();
    expect(serverSk.length).toBeGreaterThanOrEqual(1);
    serverSk.forEach((sk, i) => secrets.push(...encodings(`server ${i} signing key`, sk), ...encodings(`server ${i} signing seed`, sk.subarray(0, 32))));
    await auth.close();
    const dbBytes = Buffer.concat(['tapgate.sqlite', 'tapgate.sqlite-wal'].map((f) => path.join(server.dataDir, f)).filter(fs.existsSync).map((f) => fs.readFileSync(f)));
    const { stdout, stderr } = server.output();
    await server.stop();

    // 1. The server's own output. The root API key is printed once, by design, in the listening line
    //    a supervisor reads (docs/security.md): it must appear there and nowhere else.
    const lines = `${stdout}\n${stderr}`.split('\n');
    const listening = lines.filter((l) => l.includes('"event":"listening"'));
    expect(listening).toHaveLength(1);
    expect(leaks(lines.filter((l) => !l.includes('"event":"listening"')).join('\n'), [...secrets, { label: 'root API key', text: server.rootApiKey }])).toEqual([]);
    expect(leaks(listening[0], secrets)).toEqual([]);

    // 2. The SDK wrote nothing secret to the console or the process streams.
    expect(leaks([...consoleOutput, ...writes].join('\n'), secrets)).toEqual([]);

    // 3. The server's database (and its WAL) holds no device secret and no PIN — only public keys.
    expect(dbBytes.length).toBeGreaterThan(0);
    const deviceSecrets = secrets.filter((s) => !s.label.startsWith('server'));
    const rawDeviceKeys = state.accounts.flatMap((a) => [Buffer.from(a.signSk, 'base64url').subarray(0, 32), Buffer.from(a.boxSk, 'base64url')]);
    expect(leaks(dbBytes.toString('latin1'), deviceSecrets)).toEqual([]);
    expect(rawDeviceKeys.filter((k) => dbBytes.includes(k))).toEqual([]);
    // 4. Nor the server's own signing keys (encrypted at rest) nor the root API key (a digest only).
    expect(leaks(dbBytes.toString('latin1'), [...secrets.filter((s) => s.label.startsWith('server')), { label: 'root API key', text: server.rootApiKey }])).toEqual([]);
    expect(serverSk.filter((k) => dbBytes.includes(k.subarray(0, 32)))).toEqual([]);
    expect(pinPks).toHaveLength(2);  // the server holds the PIN's public key only
  });
});
