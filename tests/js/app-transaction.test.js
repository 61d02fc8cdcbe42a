// Transactions the app starts (create(transaction, account), docs/protocol.md §5.12) through the
// public SDK against the reference server: the required factor on both ends, the relying party
// reading the signed result, and the attacker's side (replay, another account, a blocked one).
const sodium = require('libsodium-wrappers');
const { TestBiometricProvider } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { relyingParty, nextEvent } = require('./helpers/rp');
const { PIN, enrol, startEnrolment } = require('./helpers/flows');

const env = useServer();

/** A fetch that keeps each device request's path and body, so a test can send one again. */
function recordingFetch() {
  const requests = [];
  const recording = async (url, init) => {
    requests.push({ url, path: new URL(url).pathname.replace(/^\/device/, ''), body: init.body });  // the exact bytes sent
    const res = await fetch(url, init);
    const text = await res.text();
    return { status: res.status, text: async () => text };
  };
  return { fetch: recording, requests };
}

const rpGet = async (path) => {
  const res = await fetch(`${env.server.url}/servers/${env.server.serverId}${path}`, { headers: { 'X-apikey': env.server.rootApiKey } });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return res.json();
};

const post = (url, body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

/** An authenticator with the PIN and the biometric on one account of `userid`. */
async function withBiometric(userid) {
  const auth = await env.authenticator({ biometric: new TestBiometricProvider() });
  const { session } = await startEnrolment(auth, env.rp, { userid });
  expect((await session.setPinBiometric({ pin: PIN, biometric: true })).result).toBe('SUCCESS');
  await session.finished;
  return auth;
}

beforeAll(() => sodium.ready);

test('PIN required: STARTING → WAIT_FOR_SECOND_FACTOR (PIN only) → DONE; the relying party reads the data and verifies the signature', async () => {
  const auth = await env.enrolled({ userid: 'tx-app-pin' });
  const [account] = auth.accounts;
  const data = JSON.stringify({ order: 'A-17', amount: 'EUR 12.50' });
  const session = await auth.startTransaction(account, { clientAdditionalData: data, secondFactor: 'PIN' });
  expect(session.state).toBe('STARTING');
  const prompt = await nextEvent(session, 'secondfactor');
  expect(prompt).toEqual({ context: 'VERIFY', allowed: ['PIN'] });
  expect(session.pseudoState).toBe('WAIT_FOR_SECOND_FACTOR');
  expect(session.transaction).toEqual({ tid: expect.any(String), clientAdditionalData: data, secondFactor: 'PIN' });
  const { tid } = session.transaction;
  expect((await rpGet(`/transactions/${tid}`)).tstatus).toBe('PENDING');
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  await session.finished;
  expect(session.state).toBe('DONE');
  expect(auth.history.find((h) => h.kind === 'transaction')).toMatchObject({ historyStatus: 'LOGGED_IN_ONE_SHOT' });

  const result = await rpGet(`/transactions/${tid}`);
  expect(result).toMatchObject({ tstatus: 'SIGNED', origin: 'app', clientadditionaldata: data, secondfactor: 'PIN', accountid: account.accountId, creator: account.accountId });
  const ok = sodium.crypto_sign_verify_detached(Buffer.from(result.signature, 'base64url'), Buffer.from(result.signeddata, 'base64url'),
    Buffer.from(account.publicKey, 'base64url'));  // the key the relying party knows for the account, not the pk it reports
  expect(ok).toBe(true);
  expect(Buffer.from(result.signeddata, 'base64url').toString()).toContain(data);
  const { transactions } = await rpGet('/transactions?status=SIGNED');
  expect(transactions.map((t) => t.tid)).toContain(tid);
  expect(transactions.every((t) => t.origin === 'app' && t.tstatus === 'SIGNED')).toBe(true);
});

test('the required factor is enforced on the device: PIN refuses the biometric, BIOMETRIC offers and takes only the biometric', async () => {
  const auth = await withBiometric('tx-app-bio');
  const [account] = auth.accounts;

  const pinOnly = await auth.startTransaction(account, { clientAdditionalData: 'pin-only', secondFactor: 'PIN' });
  expect((await nextEvent(pinOnly, 'secondfactor')).allowed).toEqual(['PIN']);
  await expect(pinOnly.setPinBiometric({ biometric: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  expect(pinOnly.pseudoState).toBe('WAIT_FOR_SECOND_FACTOR');  // nothing changed: the PIN may still come
  expect((await pinOnly.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');

  const bioOnly = await auth.startTransaction(account, { clientAdditionalData: 'bio-only', secondFactor: 'BIOMETRIC' });
  expect((await nextEvent(bioOnly, 'secondfactor')).allowed).toEqual(['BIOMETRIC']);
  await expect(bioOnly.setPinBiometric({ pin: PIN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  expect((await bioOnly.setPinBiometric({ biometric: true })).result).toBe('SUCCESS');
  expect((await rpGet(`/transactions/${bioOnly.transaction.tid}`))).toMatchObject({ tstatus: 'SIGNED', secondfactor: 'BIOMETRIC' });

});

// The server on its own, with a device written by hand: a proof of another factor than the one the
// transaction requires is refused (SECOND_FACTOR_REQUIRED) before that proof is even checked, so a
// PIN proof costs no PIN attempt and a biometric one is no BIOMETRIC_FAIL.
test('the server refuses a proof of a factor the transaction does not require', async () => {
  const { enrolRaw } = require('./helpers/raw-device');
  const { sign, toB64u, utf8 } = require('@tapgate/server/dist/crypto');
  const { appTransactionProofMessage, loginProofMessage, transactionSigningInput, transcriptAdvance, transcriptStart } =
    require('@tapgate/server/dist/transcript');
  const account = await enrolRaw(env.server);
  const device = `${env.server.url}/device`;
  const create = async (secondFactor) => {
    const nonce = sodium.randombytes_buf(32);
    const time = Date.now();
    const raw = utf8(JSON.stringify({ v: 1, accountId: account.id, time, nonce: toB64u(nonce), secondFactor, clientAdditionalData: secondFactor,
      sigAccount: toB64u(sign(account.sk, appTransactionProofMessage(account.id, time, nonce, secondFactor, secondFactor))) }));
    const res = await post(`${device}/v1/transaction`, raw);
    expect(res.status).toBe(200);
    const envelope = await res.json();
    return { body: JSON.parse(envelope.body), t1: transcriptAdvance(transcriptStart(nonce), raw, utf8(envelope.body)) };
  };
  const login = async ({ body, t1 }, factor) => {
    const proof = loginProofMessage(t1, factor, '', '');
    const tx = body.transaction;
    const res = await post(`${device}/v1/login`, JSON.stringify({
      v: 1, session: body.session, accountId: account.id, userInput: '', factor, sigAccount: toB64u(sign(account.sk, proof)),
      [factor === 'PIN' ? 'sigPin' : 'sigBio']: toB64u(sign(account.sk, proof)),  // not the factor's key: never looked at
      sigTransaction: toB64u(sign(account.sk, transactionSigningInput(tx.tid, Buffer.from(tx.rpSession, 'base64url'), tx.text))),
    }));
    return JSON.parse((await res.json()).body);
  };
  const pinTx = await create('PIN');
  expect(await login(pinTx, 'BIOMETRIC')).toEqual({ result: 'SECOND_FACTOR_REQUIRED' });
  const bioTx = await create('BIOMETRIC');
  expect(await login(bioTx, 'PIN')).toEqual({ result: 'SECOND_FACTOR_REQUIRED' });
  for (const { body } of [pinTx, bioTx]) expect((await rpGet(`/transactions/${body.transaction.tid}`)).tstatus).toBe('PENDING');
  // The PIN proof above was not counted: a wrong PIN now still has every attempt but one left.
  const anyTx = await create('ANY');
  expect(await login(anyTx, 'PIN')).toMatchObject({ result: 'PIN_FAIL', attemptsLeft: (await env.rp.server()).pinAttemptLimit - 1 });
});

test('a replayed create, another account under this key, and a blocked account create nothing', async () => {
  const rec = recordingFetch();
  const auth = await env.authenticator({ fetch: rec.fetch });
  await enrol(auth, env.rp, { userid: 'tx-app-attack', finished: true });
  const other = await env.enrolled({ userid: 'tx-app-victim' });
  const [account] = auth.accounts;
  const session = await auth.startTransaction(account, { clientAdditionalData: 'once', secondFactor: 'ANY' });
  await nextEvent(session, 'secondfactor');
  const create = rec.requests.filter((r) => r.path === '/v1/transaction').at(-1);
  const before = (await rpGet('/transactions')).transactions.length;

  // The same request again, byte for byte: refused (signed error 48), nothing created.
  const replay = await post(create.url, create.body);
  expect(replay.status).toBe(403);
  expect(JSON.parse((await replay.json()).body)).toMatchObject({ error: { code: 48 } });
  // This account's signature presented for another account: refused alike.
  const moved = await post(create.url, JSON.stringify({ ...JSON.parse(create.body), accountId: other.accounts[0].accountId }));
  expect(moved.status).toBe(403);
  expect((await rpGet('/transactions')).transactions.length).toBe(before);
  await session.stopSession();
  expect((await rpGet(`/transactions/${session.transaction.tid}`)).tstatus).toBe('REJECTED');

  // Blocked by the administrator: the app's transaction ends in ERROR with the server's error 48.
  const block = (blocked) => fetch(`${env.server.url}/servers/${env.server.serverId}/accounts/${account.accountId}?blocked=${blocked}`,
    { method: 'PUT', headers: { 'X-apikey': env.server.rootApiKey } });
  expect((await block(true)).ok).toBe(true);
  const refused = await auth.startTransaction(account, { clientAdditionalData: 'blocked', secondFactor: 'PIN' });
  await refused.finished;
  expect(refused.state).toBe('ERROR');
  expect(refused.error).toMatchObject({ code: 'SERVER_AUTHENTICATION_FAILED', numericCode: 48 });
  expect((await rpGet('/transactions')).transactions.length).toBe(before);
  await block(false);
});

test('bad arguments are typed errors with the session in ERROR; oversized data is refused by the server too', async () => {
  const auth = await env.enrolled({ userid: 'tx-app-args' });
  const [account] = auth.accounts;
  const oversized = auth.startTransaction(account, { clientAdditionalData: 'x'.repeat(4097) });
  await expect(oversized).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', kind: 'misuse' });
  const err = await oversized.catch((e) => e);
  expect(err.session.state).toBe('ERROR');
  await expect(auth.startTransaction(account, { secondFactor: 'RETINA' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  await expect(auth.startTransaction({ serverId: account.serverId, accountId: 999999 })).rejects.toMatchObject({ code: 'UNKNOWN_ACCOUNT' });
  await expect(auth.startTransaction(account, { secondFactor: 'BIOMETRIC' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });  // no biometric here
  const atLimit = await auth.startTransaction(account, { clientAdditionalData: 'é'.repeat(2048) });  // 4096 bytes
  expect((await nextEvent(atLimit, 'secondfactor')).allowed).toEqual(['PIN']);
  await atLimit.stopSession();

  const res = await post(`${env.server.url}/device/v1/transaction`, JSON.stringify({
    v: 1, accountId: account.accountId, time: Date.now(), nonce: Buffer.alloc(32).toString('base64url'), secondFactor: 'PIN',
    clientAdditionalData: 'x'.repeat(4097), sigAccount: Buffer.alloc(64).toString('base64url'),
  }));
  expect(res.status).toBe(400);
  expect(await res.text()).toContain('clientAdditionalData');
});

test('server down: NETWORK_ERROR, the session in ERROR, nothing left running', async () => {
  const down = await env.startServer();
  const rp = relyingParty(down);
  const auth = await env.authenticator();
  await enrol(auth, rp, { userid: 'tx-app-down', finished: true });
  await down.stop();
  const session = await auth.startTransaction(auth.accounts[0], { clientAdditionalData: 'offline', secondFactor: 'PIN' });
  await session.finished;
  expect(session.state).toBe('ERROR');
  expect(session.error).toMatchObject({ code: 'NETWORK_ERROR', kind: 'network' });
  expect(auth.sessions.filter((s) => !s.isFinal)).toEqual([]);
});
