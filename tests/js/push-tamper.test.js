// Tampered push messages through the public API against a real server (issue 5, docs/security.md
// 2.3): a push replayed, expired, sealed to another account, with one flipped byte at several
// offsets, and truncated. Each must reject with a TapgateError of kind `security`, start no session,
// emit no message, and leave auth.accounts, auth.history and the stored state (the file's bytes and
// its decrypted content) as they were. Every case ends with a control: the same device still accepts
// an untampered push, so a refusal is the tamper's doing and not a broken device.
const { TapgateError } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { nextEvent, reach } = require('./helpers/rp');
const { login, eventually } = require('./helpers/flows');
const { readStoredState, storedBytes } = require('./helpers/drive');

const MESSAGE_LIFETIME_MS = 10 * 60 * 1000;  // server/src/messages.ts

const env = useServer();

let devices = 0;

/** An enrolled, file-backed authenticator whose pushes wait at the relay under its own token. */
async function device(userid, { clock } = {}) {
  const dir = env.tempDir('tapgate-push-tamper-');
  const auth = await env.enrolled({ userid }, { storage: dir, clock });
  await auth.updatePushToken(`push-tamper-${++devices}`);
  // updatePushToken resolves on the servers' answers; the state it saved may still be on its way.
  await eventually(async () => (await readStoredState(dir))?.pushToken === `push-tamper-${devices}`);
  const seen = { sessions: 0, messages: [] };
  auth.addEventListener('session', () => seen.sessions++);
  auth.addEventListener('message', (e) => seen.messages.push(e.detail.message.text));
  return { auth, dir, account: auth.accounts[0], token: `push-tamper-${devices}`, seen };
}

/** Takes every payload the relay queued for `token` (it forgets them), oldest first. */
async function relayed(token) {
  return (await (await fetch(`${env.server.url}/relay/v1/${encodeURIComponent(token)}`)).json()).messages;
}

/** Has the server push a note to the device and returns its payload (base64url), undelivered. */
async function note(d, text) {
  await relayed(d.token);  // nothing else queued: what comes next is this note
  await env.rp.sendMessage(d.account.accountId, text);
  const queued = await relayed(d.token);
  expect(queued).toHaveLength(1);
  return queued[0];
}

async function snapshot(d) {
  return {
    accounts: d.auth.accounts,
    history: d.auth.history,
    sessions: d.auth.sessions.length,
    bytes: storedBytes(d.dir),
    stored: await readStoredState(d.dir),
    seen: JSON.parse(JSON.stringify(d.seen)),
  };
}

/** Delivers `payload`; it must be refused as a security error and change nothing. */
async function expectRefused(d, payload, code) {
  const before = await snapshot(d);
  const err = await d.auth.processPush(payload).then(() => null, (e) => e);
  expect(err).toBeInstanceOf(TapgateError);
  expect(err.kind).toBe('security');
  if (code) expect(err.code).toBe(code);
  await new Promise((r) => setImmediate(r));  // anything the engine queued has run
  expect(await snapshot(d)).toEqual(before);
  return err;
}

/** The control: a fresh, untampered note still arrives. */
async function expectStillAccepts(d) {
  const text = `control ${Date.now()}`;
  expect(await d.auth.processPush(await note(d, text))).toBeNull();
  expect(d.seen.messages).toContain(text);
}

test('a replayed note push: PUSH_REPLAYED, no second message event', async () => {
  const d = await device('pt-replay-note');
  const payload = await note(d, 'once only');
  expect(await d.auth.processPush(payload)).toBeNull();
  expect(d.seen.messages).toEqual(['once only']);
  for (const form of [payload, { tapgate: payload }, new Uint8Array(Buffer.from(payload, 'base64url'))]) {
    await expectRefused(d, form, 'PUSH_REPLAYED');
  }
  expect(d.seen.messages).toEqual(['once only']);
  await expectStillAccepts(d);
});

test('a replayed login push: PUSH_REPLAYED, no second login session', async () => {
  const d = await device('pt-replay-login');
  const { nonce } = await login(d.auth, env.rp);
  await relayed(d.token);
  expect((await env.rp.provokeLogin(nonce)).status).toBe(200);
  const queued = await relayed(d.token);
  expect(queued).toHaveLength(1);
  const [payload] = queued;
  const first = await d.auth.processPush(payload);
  await reach(first, 'WAIT_FOR_SECOND_FACTOR');
  await first.stopSession();
  await first.finished;
  const sessions = d.seen.sessions;
  await expectRefused(d, payload, 'PUSH_REPLAYED');
  expect(d.seen.sessions).toBe(sessions);
  await expectStillAccepts(d);
});

test('an expired push (the device clock moved past its expiry): PUSH_EXPIRED, kind security', async () => {
  let skew = 0;
  const d = await device('pt-expired', { clock: () => Date.now() + skew });
  const payload = await note(d, 'too late');
  skew = MESSAGE_LIFETIME_MS + 60_000;
  const err = await expectRefused(d, payload, 'PUSH_EXPIRED');
  expect(err.numericCode).toBe(0);
  expect(d.seen.messages).toEqual([]);
  // Control: with the clock back it is accepted, so the refusal was the expiry and spent nothing.
  skew = 0;
  expect(await d.auth.processPush(payload)).toBeNull();
  expect(d.seen.messages).toEqual(['too late']);
});

test('a push sealed to another account (another device on the same server): PUSH_REJECTED', async () => {
  const alice = await device('pt-alice');
  const bob = await device('pt-bob');
  const forAlice = await note(alice, 'for alice only');
  await expectRefused(bob, forAlice, 'PUSH_REJECTED');
  expect(bob.seen.messages).toEqual([]);
  await expectStillAccepts(bob);
  // It was not spent by bob's attempt: alice still gets it.
  expect(await alice.auth.processPush(forAlice)).toBeNull();
  expect(alice.seen.messages).toEqual(['for alice only']);
});

describe('one flipped byte', () => {
  let d;
  let payload;
  beforeAll(async () => {
    d = await device('pt-flip');  // made outside a test: it lives for the whole file
    payload = Buffer.from(await note(d, 'flip me'), 'base64url');
  });

  // Offsets into crypto_box_seal's output: ephemeral key (0–31), MAC (32–47), ciphertext (48–):
  // the signed envelope's start, its body, and the signature near the end.
  const offsets = [0, 17, 31, 32, 40, 47, 48, 60, 100, 200, -40, -1];
  test.each(offsets)('at offset %i: refused, nothing changes', async (offset) => {
    const tampered = Buffer.from(payload);
    const at = offset < 0 ? tampered.length + offset : offset;
    expect(at).toBeLessThan(tampered.length);
    tampered[at] ^= 0x01;
    await expectRefused(d, new Uint8Array(tampered), 'PUSH_REJECTED');
    await expectRefused(d, tampered.toString('base64url'), 'PUSH_REJECTED');
  });

  test('control: the untampered original was never spent, and new pushes arrive', async () => {
    expect(await d.auth.processPush(payload.toString('base64url'))).toBeNull();
    expect(d.seen.messages).toEqual(['flip me']);
    await expectStillAccepts(d);
  });
});

test.each([
  ['to nothing', 0],
  ['to the ephemeral key', 32],
  ['to key and MAC', 48],
  ['by one byte', -1],
  ['by half', 0.5],
])('a truncated push (%s): refused, nothing changes', async (_label, cut) => {
  const d = await device(`pt-cut-${String(cut).replace('.', '')}`);
  const payload = Buffer.from(await note(d, 'cut me'), 'base64url');
  const length = cut < 0 ? payload.length + cut : cut < 1 ? Math.floor(payload.length * cut) : cut;
  const truncated = new Uint8Array(payload.subarray(0, length));
  await expectRefused(d, truncated, 'PUSH_REJECTED');
  if (length > 0) await expectRefused(d, Buffer.from(truncated).toString('base64url'), 'PUSH_REJECTED');
  expect(await d.auth.processPush(payload.toString('base64url'))).toBeNull();
  expect(d.seen.messages).toEqual(['cut me']);
});
