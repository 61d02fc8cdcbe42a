// The walking skeleton end to end: the WASM core through the public JS API, against a real
// reference-server process, with the relying party checking the outcome through its REST API.
const fs = require('node:fs');
const path = require('node:path');
const { Authenticator, TapgateError } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { relyingParty, nextEvent, reach } = require('./helpers/rp');
const { PIN, enrol } = require('./helpers/flows');

const env = useServer();

async function loginSession(auth, config) {
  const nonce = env.rp.newNonce();
  const qr = await env.rp.loginQr(nonce, { announceinfo: { info: { origin: 'https://shop.example', action: 'Sign in' } } });
  const session = await auth.startSession(qr);
  return { nonce, session };
}

test('enrol with a PIN, then log in with it: the relying party sees the user logged in', async () => {
  const auth = await env.authenticator();
  const { nonce: enrolNonce, session: enrolment, confirm, verdict } = await enrol(auth, env.rp, { finished: true });
  expect(confirm.server.name).toBeTruthy();
  expect(confirm.visualHash).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
  expect(verdict.result).toBe('SUCCESS');
  expect(enrolment.state).toBe('DONE');
  expect(enrolment.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  expect(auth.accounts).toHaveLength(1);
  const [account] = auth.accounts;
  expect(account.userId).toBe('alice');
  expect((await env.rp.loginStatus(enrolNonce)).loggedin).toBe(true);

  const { nonce, session } = await loginSession(auth);
  const factor = await nextEvent(session, 'secondfactor');
  expect(factor).toEqual({ context: 'VERIFY', allowed: ['PIN'] });
  expect(session.pseudoState).toBe('WAIT_FOR_SECOND_FACTOR');
  expect(session.announceInfo.info.origin).toBe('https://shop.example');
  const result = await session.setPinBiometric({ pin: PIN });
  expect(result.result).toBe('SUCCESS');
  await session.finished;
  expect(session.state).toBe('DONE');
  expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');

  const status = await env.rp.loginStatus(nonce);
  expect(status).toMatchObject({ loggedin: true, userid: 'alice', accountid: account.accountId, pk: account.publicKey });
  expect(auth.history.map((h) => h.historyStatus)).toEqual(['LOGGED_IN_ONE_SHOT', 'LOGGED_IN_ONE_SHOT']);
  await auth.close();
});

test('a wrong PIN twice, then the right one', async () => {
  const auth = await env.authenticator();
  await enrol(auth, env.rp, { userid: 'bob', finished: true });
  const { nonce, session } = await loginSession(auth);
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');

  expect(await session.setPinBiometric({ pin: '0000' })).toMatchObject({ result: 'PIN_FAIL', attemptsLeft: 2 });
  expect(session.pseudoState).toBe('WAIT_FOR_SECOND_FACTOR');
  expect(await session.setPinBiometric({ pin: '1111' })).toMatchObject({ result: 'PIN_FAIL', attemptsLeft: 1 });
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(false);
  expect(await session.setPinBiometric({ pin: PIN })).toMatchObject({ result: 'SUCCESS' });
  await session.finished;
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
  await auth.close();
});

test('the PIN is blocked at the server limit, and stays blocked', async () => {
  const auth = await env.authenticator();
  await enrol(auth, env.rp, { userid: 'carol', finished: true });
  const { nonce, session } = await loginSession(auth);
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  await session.setPinBiometric({ pin: '0000' });
  await session.setPinBiometric({ pin: '0000' });
  expect(await session.setPinBiometric({ pin: '0000' })).toMatchObject({ result: 'PIN_BLOCKED' });
  await session.finished;
  expect(session.state).toBe('ERROR');
  expect(session.error).toMatchObject({ code: 'PIN_BLOCKED', kind: 'remote' });
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(false);

  const again = await loginSession(auth);
  await reach(again.session, 'WAIT_FOR_SECOND_FACTOR');
  expect(await again.session.setPinBiometric({ pin: PIN })).toMatchObject({ result: 'PIN_BLOCKED' });
  expect((await env.rp.loginStatus(again.nonce)).loggedin).toBe(false);
  await auth.close();
});

test('stopSession at confirmation: DONE with ABORTED and no login at the relying party', async () => {
  const auth = await env.authenticator({ config: { automaticallySelectSingleAccountWhenSecondFactorNeeded: false } });
  await enrol(auth, env.rp, { userid: 'dave', finished: true });
  const { nonce, session } = await loginSession(auth);
  const { accounts } = await nextEvent(session, 'confirmlogin');
  expect(accounts.map((a) => a.userId)).toEqual(['dave']);
  expect(session.pseudoState).toBe('WAIT_FOR_CONFIRMATION');
  await session.stopSession();
  await session.finished;
  expect(session.state).toBe('DONE');
  expect(session.historyStatus).toBe('ABORTED');
  await expect(session.setAccount(accounts[0])).rejects.toMatchObject({ code: 'WRONG_STATE', kind: 'misuse' });
  // The cancel notice is fire-and-forget: give it a moment to land.
  let status;
  for (let i = 0; i < 50; i++) {
    status = await env.rp.loginStatus(nonce);
    if (status.cancelled) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(status).toMatchObject({ loggedin: false, cancelled: true });
  await auth.close();
});

test('garbage QR data rejects with code 32 and the session ends in ERROR', async () => {
  const auth = await env.authenticator();
  const sessions = [];
  auth.addEventListener('session', (e) => sessions.push(e.detail.session));
  for (const garbage of [new Uint8Array(0), new Uint8Array([0xde, 0xad, 0xbe, 0xef]), 'tapgate:%%%', 'not a qr code']) {
    const err = await auth.startSession(garbage).catch((e) => e);
    expect(err).toBeInstanceOf(TapgateError);
    expect(err).toMatchObject({ code: 'QR_PARSE_ERROR', numericCode: 32, kind: 'remote' });
    const session = sessions.at(-1);
    expect(session.state).toBe('ERROR');
    expect(session.error.code).toBe('QR_PARSE_ERROR');
  }
  await expect(auth.startSession(42)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', kind: 'misuse' });
  await auth.close();
});

test('the server killed mid-flow: ERROR with a network error and no half-created account on either side', async () => {
  const dataDir = env.tempDir('tapgate-kill-');
  const doomed = await env.startServer({ dataDir });
  const doomedRp = relyingParty(doomed);
  const auth = await env.authenticator();
  const session = await auth.startSession(await doomedRp.enrolQr(doomedRp.newNonce(), { userid: 'erin' }));
  await nextEvent(session, 'confirmenrol');
  await session.setAccount();
  await doomed.kill();  // SIGKILL: no goodbye

  const err = await session.setPinBiometric({ pin: PIN }).catch((e) => e);
  expect(err).toBeInstanceOf(TapgateError);
  expect(err).toMatchObject({ code: 'NETWORK_ERROR', kind: 'network' });
  await session.finished;
  expect(session.state).toBe('ERROR');
  expect(session.historyStatus).toBe('ERROR');
  expect(auth.accounts).toEqual([]);

  const revived = await env.startServer({ dataDir, env: { TAPGATE_ROOT_API_KEY: doomed.rootApiKey } });
  expect((await relyingParty(revived).accounts()).accounts).toEqual([]);
  await auth.close();
});

test('a server that is down: starting a login ends in ERROR with a network error', async () => {
  const auth = await env.authenticator({ requestTimeout: 5000 });
  await enrol(auth, env.rp, { userid: 'frank', finished: true });
  const qr = await env.rp.loginQr(env.rp.newNonce());
  await env.server.pause();
  try {
    const session = await auth.startSession(qr);
    await session.finished;
    expect(session.state).toBe('ERROR');
    expect(session.error).toMatchObject({ code: 'NETWORK_ERROR', kind: 'network' });
  } finally {
    await env.server.resume();
  }
  await auth.close();
});

test('accounts and history survive a restart of a file-backed authenticator; the files hold no plaintext', async () => {
  const dir = env.tempDir('tapgate-store-');
  const first = await env.authenticator({ storage: dir });
  await enrol(first, env.rp, { userid: 'grace', finished: true });
  const [account] = first.accounts;
  await first.close();

  const raw = fs.readFileSync(path.join(dir, 'state.bin'));
  expect(raw.includes(Buffer.from('grace'))).toBe(false);
  expect(raw.includes(Buffer.from('signSk'))).toBe(false);
  expect(fs.statSync(path.join(dir, 'state.key')).mode & 0o777).toBe(0o600);

  const second = await env.authenticator({ storage: dir });
  expect(second.accounts).toEqual([account]);
  expect(second.history).toHaveLength(1);
  const { nonce, session } = await loginSession(second);
  await reach(session, 'WAIT_FOR_SECOND_FACTOR');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect((await env.rp.loginStatus(nonce)).userid).toBe('grace');
  await second.close();

  fs.writeFileSync(path.join(dir, 'state.bin'), Buffer.concat([raw.subarray(0, 20), Buffer.from([raw[20] ^ 1]), raw.subarray(21)]));
  await expect(Authenticator.create({ storage: dir })).rejects.toMatchObject({ code: 'STATE_CORRUPT', kind: 'storage' });
});

/** A fetch for the Authenticator that records each device request as "<server port> <path>". */
function recordingFetch() {
  const seen = [];
  const recording = async (url, init) => {
    const u = new URL(url);
    seen.push(`${u.port} ${u.pathname.replace(/^\/device/, '')}`);
    const res = await fetch(url, init);
    const text = await res.text();
    return { status: res.status, text: async () => text };
  };
  return { fetch: recording, seen };
}

test('one PIN per app: a second enrolment verifies the PIN with the server that knows it', async () => {
  const requests = recordingFetch();
  const auth = await env.authenticator({ fetch: requests.fetch });
  await enrol(auth, env.rp, { userid: 'heidi', finished: true });
  requests.seen.length = 0;
  const session = await auth.startSession(await env.rp.enrolQr(env.rp.newNonce(), { userid: 'heidi-2' }));
  const confirm = await nextEvent(session, 'confirmenrol');
  expect(confirm.existingAccounts.map((a) => a.userId)).toEqual(['heidi']);
  const prompt = nextEvent(session, 'secondfactor');
  await session.setAccount();
  expect(await prompt).toEqual({ context: 'VERIFY', allowed: ['PIN'] });
  expect(await session.setPinBiometric({ pin: '9999' })).toMatchObject({ result: 'PIN_FAIL', attemptsLeft: 2 });
  expect(auth.accounts).toHaveLength(1);
  expect(await session.setPinBiometric({ pin: PIN })).toMatchObject({ result: 'SUCCESS' });
  await session.finished;
  expect(auth.accounts.map((a) => a.userId)).toEqual(['heidi', 'heidi-2']);
  // The account is at the same server, so the PIN proof rode inside each enrol request (§5.2).
  const port = new URL(env.server.url).port;
  expect(requests.seen).toEqual([`${port} /v1/start`, `${port} /v1/enrol`, `${port} /v1/enrol`]);

  // Both accounts now answer to the same PIN: pick the new one at the login confirmation.
  const { nonce, session: login } = await loginSession(auth);
  const { accounts } = await nextEvent(login, 'confirmlogin');
  await login.setAccount(accounts.find((a) => a.userId === 'heidi-2'), 'second device');
  expect((await login.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'heidi-2', userinput: 'second device' });
  await auth.close();
});

test('a later enrolment at a server the app has no account on proves the PIN at one it has', async () => {
  const other = await env.startServer();
  const requests = recordingFetch();
  const auth = await env.authenticator({ fetch: requests.fetch });
  await enrol(auth, env.rp, { userid: 'ivan', finished: true });
  requests.seen.length = 0;
  const rpOther = relyingParty(other);
  const session = await auth.startSession(await rpOther.enrolQr(rpOther.newNonce(), { userid: 'ivan-elsewhere' }));
  await nextEvent(session, 'confirmenrol');
  await session.setAccount();
  expect(await session.setPinBiometric({ pin: '0000' })).toMatchObject({ result: 'PIN_FAIL', attemptsLeft: 2 });
  expect(await session.setPinBiometric({ pin: PIN })).toMatchObject({ result: 'SUCCESS' });
  await session.finished;
  expect(auth.accounts.map((a) => a.userId)).toEqual(['ivan', 'ivan-elsewhere']);
  const here = new URL(env.server.url).port;
  const there = new URL(other.url).port;
  expect(requests.seen).toEqual([
    `${there} /v1/start`,
    `${here} /v1/pincheck/challenge`, `${here} /v1/pincheck`,  // the wrong PIN, counted where the PIN is known
    `${here} /v1/pincheck/challenge`, `${here} /v1/pincheck`,
    `${there} /v1/enrol`,
  ]);
});

test('the server QR as a PNG: scanQr reads it and the enrolment runs from the picture', async () => {
  const auth = await env.authenticator();
  const nonce = env.rp.newNonce();
  const res = await fetch(`${env.server.url}/servers/${env.server.serverId}/sessions/qr/enrol?userid=ivan&img=png`, {
    headers: { 'X-apikey': env.server.rootApiKey, 'X-nonce': nonce },
  });
  expect(res.headers.get('content-type')).toBe('image/png');
  const payload = await auth.scanQr(new Uint8Array(await res.arrayBuffer()));
  expect(payload[0]).toBe(1);
  expect(payload[1]).toBe(2);
  const session = await auth.startSession(payload);
  await nextEvent(session, 'confirmenrol');
  await session.setAccount();
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'ivan' });
  await auth.close();
});
