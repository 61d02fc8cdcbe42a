// Tamper suite: a man in the middle between the SDK and a real server process, played by the
// Authenticator's `fetch` option. It flips bytes in every field of every signed response, flips
// signature bytes, strips signatures, replays answers from other sessions and other steps, swaps
// the server key in the enrol QR, rewrites requests and downgrades the protocol version. Each case
// must end in ERROR with a `security` error (or the typed QR error when the QR itself is bad) and
// change nothing the device keeps: no account, no server record, no key; the stored state gains
// only the history entry of the failed session. (Push messages are not covered here yet.)
const { Authenticator } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { PIN, drive, readStoredState, storedBytes } = require('./helpers/drive');

// ------------------------------------------------------------------------------------------------
// The man in the middle

class Mitm {
  constructor() {
    this.reset(null);
    this.fetch = this.fetch.bind(this);
  }

  /** plan: {path, nth = 1, request?(body) → body, response?({status, text, request}) → {status?, text}} */
  reset(plan) {
    this.plan = plan;
    this.applied = false;
    this.seen = {};
    this.log = [];
  }

  async fetch(url, init) {
    const p = new URL(url).pathname.replace(/^\/device/, '');
    const n = (this.seen[p] = (this.seen[p] ?? 0) + 1);
    const mine = this.plan && this.plan.path === p && (this.plan.nth ?? 1) === n;
    let body = init.body;
    if (mine && this.plan.request) {
      body = this.plan.request(body);
      this.applied = true;
    }
    const res = await fetch(url, { ...init, body });
    let status = res.status;
    let text = await res.text();
    this.log.push({ path: p, n, request: body, status, text });
    if (mine && this.plan.response) {
      const out = this.plan.response({ status, text, request: init.body });
      status = out.status ?? status;
      text = out.text;
      this.applied = true;
    }
    return { status, text: async () => text };
  }
}

// ------------------------------------------------------------------------------------------------
// Rewriting helpers

const envelope = (text) => JSON.parse(text);
const seal = (env) => JSON.stringify(env);

/** The body with one byte changed inside the value at `leaf` (a key path); the JSON stays valid. */
function flipValue(bodyText, leaf) {
  const body = JSON.parse(bodyText);
  let parent = body;
  for (const k of leaf.slice(0, -1)) parent = parent?.[k];
  const key = leaf[leaf.length - 1];
  if (!parent || !(key in parent)) throw new Error(`signed body has no ${leaf.join('.')}: ${bodyText}`);
  const v = parent[key];
  if (typeof v === 'number') {
    const s = String(v);
    parent[key] = Number(s.slice(0, -1) + String(Number(s.at(-1)) ^ 1));
  } else if (typeof v === 'string') {
    const i = [...v].findIndex((c) => c.charCodeAt(0) < 0x7f && !'"\\'.includes(String.fromCharCode(c.charCodeAt(0) ^ 1)));
    parent[key] = v.slice(0, i) + String.fromCharCode(v.charCodeAt(i) ^ 1) + v.slice(i + 1);
  } else {
    throw new Error(`no byte flip for ${typeof v} at ${leaf.join('.')}`);
  }
  const out = JSON.stringify(body);
  // One byte differs, nothing else (the server serialises with JSON.stringify too).
  const diff = [...out].filter((c, i) => c !== bodyText[i]).length;
  if (out.length !== bodyText.length || diff !== 1) throw new Error(`flip of ${leaf.join('.')} changed ${diff} bytes`);
  return out;
}

function flipKeyName(bodyText, key) {
  const at = bodyText.indexOf(`"${key}"`);
  if (at < 0) throw new Error(`no key ${key}`);
  return bodyText.slice(0, at + 1) + String.fromCharCode(bodyText.charCodeAt(at + 1) ^ 1) + bodyText.slice(at + 2);
}

function flipSigByte(sig, i) {
  const b = Buffer.from(sig, 'base64url');
  b[i] ^= 0x01;
  return b.toString('base64url');
}

const tamperBody = (fn) => ({ status, text }) => {
  const env = envelope(text);
  return { status, text: seal({ ...env, body: fn(env.body) }) };
};
const tamperSig = (i) => ({ status, text }) => {
  const env = envelope(text);
  return { status, text: seal({ ...env, sig: flipSigByte(env.sig, i) }) };
};
const stripSignature = ({ text }) => ({ status: 200, text: envelope(text).body });

// ------------------------------------------------------------------------------------------------
// Fixture: one real server; a fresh authenticator (no account: first enrolments) and one with an
// account (logins and later enrolments), both file-backed and both behind the same man in the middle.
// A second server ("elsewhere") takes later enrolments whose PIN is proved at the first one (§5.6–5.7).

const mitm = new Mitm();
const env = useServer();
const elsewhere = useServer();
let fresh;
let enrolled;

/** Opened in a test it is closed (and its folder removed) after that test, in beforeAll after the file. */
async function openAuthenticator(label) {
  const dir = env.tempDir(`tapgate-tamper-${label}-`);
  const auth = await env.authenticator({ storage: dir, fetch: mitm.fetch, requestTimeout: 5000 });
  return { auth, dir };
}

const LOGIN_CONTEXT = {
  announceinfo: { info: { origin: 'https://shop.example', action: 'Sign in' } },
  sessioninfo: { info: { welcome: 'Hello' } },
};

async function enrolQr(userid = 'mallory-target') {
  const nonce = env.rp.newNonce();
  return { nonce, qr: await env.rp.enrolQr(nonce, { userid, name: `${userid}@example` }) };
}
/** An enrol QR of the second server: the enrolled app proves its PIN at the first (pincheck). */
async function enrolQrElsewhere(userid = 'mallory-target') {
  const nonce = elsewhere.rp.newNonce();
  return { nonce, qr: await elsewhere.rp.enrolQr(nonce, { userid, name: `${userid}@example` }) };
}
async function loginQr() {
  const nonce = env.rp.newNonce();
  return { nonce, qr: await env.rp.loginQr(nonce, LOGIN_CONTEXT) };
}

beforeAll(async () => {
  fresh = await openAuthenticator('fresh');
  enrolled = await openAuthenticator('enrolled');
  mitm.reset(null);
  const { qr } = await enrolQr('victim');
  const { session } = await drive(enrolled.auth, qr);
  expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  expect(enrolled.auth.accounts).toHaveLength(1);
});

// ------------------------------------------------------------------------------------------------
// The check every case ends with

const BOOKKEEPING = ['history', 'lastSecondFactorAt'];  // may change with any session
const EMPTY_APP = { v: 1, pinSet: false, servers: [], accounts: [] };
/**
 * What a session must not change. `afterGenuineStart`: the tampered answer came after a genuine,
 * verified start answer, which legitimately refreshes the server's parameters and clock offset.
 */
function kept(st, afterGenuineStart = false) {
  const out = Object.fromEntries(Object.entries(st ?? EMPTY_APP).filter(([k]) => !BOOKKEEPING.includes(k)));
  if (afterGenuineStart) out.servers = out.servers?.map(({ clockOffset, ...rest }) => rest);
  for (const k of Object.keys(EMPTY_APP)) out[k] ??= EMPTY_APP[k];
  return out;
}
const withoutBookkeeping = (st) => kept(st, true);

let casesRun = 0;

/**
 * Runs `flow` against `target` with `plan` installed and checks the verdict and that nothing the
 * device keeps changed. Returns what it saw for extra assertions.
 */
async function expectTamperRejected(target, plan, flow, expected = {}) {
  const { code = 'SERVER_AUTHENTICATION_ERROR', kind = 'security', historyEntry = true } = expected;
  const { auth, dir } = target;
  const accountsBefore = auth.accounts;
  const stateBefore = await readStoredState(dir);
  const bytesBefore = storedBytes(dir);
  const serverAccountsBefore = (await env.rp.accounts()).accounts.length;
  const historyBefore = auth.history.length;

  mitm.reset(plan);
  const { qr, nonce } = await flow();
  const { session, startError } = await drive(auth, qr);
  casesRun += 1;

  expect(mitm.applied || plan === null).toBe(true);  // the tampering really happened
  expect(session.state).toBe('ERROR');
  expect(session.error).toMatchObject({ code, kind });
  if (startError) expect(startError).toMatchObject({ code, kind });
  expect(auth.accounts).toEqual(accountsBefore);

  const stateAfter = await readStoredState(dir);
  const afterGenuineStart = plan !== null && plan.path !== '/v1/start';
  // Before the first write there is no file: then what matters is what an empty app holds.
  const keys = stateBefore ? new Set([...Object.keys(kept(stateBefore)), ...Object.keys(kept(stateAfter))]) : Object.keys(EMPTY_APP);
  const pick = (st) => {
    const k = kept(st, afterGenuineStart);
    return Object.fromEntries([...keys].map((key) => [key, k[key]]));
  };
  expect(pick(stateAfter)).toEqual(pick(stateBefore));
  if (historyEntry) {
    expect(stateAfter.history).toEqual([...(stateBefore?.history ?? []), expect.objectContaining({ status: 'ERROR' })]);
    expect(auth.history).toHaveLength(historyBefore + 1);
  } else {
    // Nothing at all was written: the stored bytes are the same.
    expect(storedBytes(dir)).toEqual(bytesBefore);
    expect(auth.history).toHaveLength(historyBefore);
  }
  const serverAccountsAfter = (await env.rp.accounts()).accounts.length;
  return { session, nonce, serverAccountsAdded: serverAccountsAfter - serverAccountsBefore };
}

// ------------------------------------------------------------------------------------------------
// 1. A flipped byte in each field of each signed response, and in each signature

const STEPS = [
  {
    name: 'first enrolment, start answer',
    target: () => fresh,
    flow: () => enrolQr(),
    path: '/v1/start',
    leaves: [['kind'], ['server', 'name'], ['server', 'pingTime'], ['server', 'pinTimeout'], ['server', 'pinTransTimeout'], ['server', 'pinAttemptLimit'], ['time'], ['userId'], ['name']],
    key: 'kind',
  },
  {
    name: 'first enrolment, enrol answer',
    target: () => fresh,
    flow: () => enrolQr(),
    path: '/v1/enrol',
    leaves: [['result'], ['accountId'], ['userId'], ['pingTime']],
    key: 'accountId',
    serverCommitted: true,  // the server stored the account before the device saw the answer
  },
  {
    name: 'later enrolment elsewhere, PIN-check verdict',
    target: () => enrolled,
    flow: () => enrolQrElsewhere(),
    path: '/v1/pincheck',
    leaves: [['result']],
    key: 'result',
  },
  {
    name: 'later enrolment, enrol answer',
    target: () => enrolled,
    flow: () => enrolQr(),
    path: '/v1/enrol',
    leaves: [['accountId'], ['userId']],
    key: 'result',
    serverCommitted: true,
  },
  {
    name: 'login, start answer',
    target: () => enrolled,
    flow: () => loginQr(),
    path: '/v1/start',
    leaves: [['kind'], ['server', 'name'], ['server', 'pingTime'], ['server', 'pinTimeout'], ['server', 'pinTransTimeout'], ['server', 'pinAttemptLimit'], ['time'], ['announceInfo', 'info', 'origin']],
    key: 'server',
  },
  {
    name: 'login, verdict',
    target: () => enrolled,
    flow: () => loginQr(),
    path: '/v1/login',
    leaves: [['result'], ['pingTime'], ['sessionInfo', 'info', 'welcome']],
    key: 'result',
    serverCommitted: true,  // the relying party is logged in before the device sees the answer
  },
];

describe.each(STEPS)('$name', (step) => {
  test.each(step.leaves.map((l) => [l.join('.')]))('a flipped byte in the signed field %s', async (leafName) => {
    const leaf = leafName.split('.');
    const r = await expectTamperRejected(step.target(), { path: step.path, response: tamperBody((b) => flipValue(b, leaf)) }, step.flow);
    expect(r.serverAccountsAdded).toBe(step.serverCommitted && step.path === '/v1/enrol' ? 1 : 0);
  });

  test(`a flipped byte in the key name "${step.key}"`, async () => {
    await expectTamperRejected(step.target(), { path: step.path, response: tamperBody((b) => flipKeyName(b, step.key)) }, step.flow);
  });

  test.each([[0], [31], [32], [63]])('a flipped bit in signature byte %i', async (i) => {
    await expectTamperRejected(step.target(), { path: step.path, response: tamperSig(i) }, step.flow);
  });

  test('the signature stripped (the bare body as a 200 answer)', async () => {
    await expectTamperRejected(step.target(), { path: step.path, response: stripSignature }, step.flow, { code: 'BAD_RESPONSE' });
  });
});

test('a wrong-PIN verdict: flipped attemptsLeft and result bytes are rejected too', async () => {
  for (const leaf of [['attemptsLeft'], ['result']]) {
    const plan = { path: '/v1/login', nth: 1, response: tamperBody((b) => flipValue(b, leaf)) };
    const { auth, dir } = enrolled;
    const before = await readStoredState(dir);
    mitm.reset(plan);
    const { qr } = await loginQr();
    const { session, verdicts } = await drive(auth, qr, { pins: ['0000', PIN] });
    casesRun += 1;
    expect(mitm.applied).toBe(true);
    expect(JSON.parse(envelope(mitm.log.find((l) => l.path === '/v1/login').text).body)).toMatchObject({ result: 'PIN_FAIL' });
    expect(verdicts).toEqual([]);  // the forged verdict never reached the app
    expect(session.error).toMatchObject({ code: 'SERVER_AUTHENTICATION_ERROR', kind: 'security' });
    expect(withoutBookkeeping(await readStoredState(dir))).toEqual(withoutBookkeeping(before));
  }
  // The server counted the wrong PIN; the right one resets the counter.
  mitm.reset(null);
  const { session } = await drive(enrolled.auth, (await loginQr()).qr);
  expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
});

// ------------------------------------------------------------------------------------------------
// 2. Replays: an answer from another session, and from another step of the same session

/** Runs a genuine flow and returns the raw answers the man in the middle saw, by path. */
async function recordGenuine(target, flow) {
  mitm.reset(null);
  const { qr } = await flow();
  const { session } = await drive(target.auth, qr);
  expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  return Object.fromEntries(mitm.log.map((l) => [l.path, l]));
}

describe('replayed answers', () => {
  test('a login verdict (SUCCESS) from an earlier session, replayed into a new login', async () => {
    const earlier = await recordGenuine(enrolled, loginQr);
    const replay = { path: '/v1/login', response: () => ({ status: 200, text: earlier['/v1/login'].text }) };
    const { nonce } = await expectTamperRejected(enrolled, replay, loginQr);
    // The genuine verdict of *this* session was SUCCESS at the server as well, so the relying party
    // is logged in; what the device refused is only the foreign answer.
    expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
  });

  test('a start answer from an earlier login session, replayed into a new one', async () => {
    const earlier = await recordGenuine(enrolled, loginQr);
    await expectTamperRejected(enrolled, { path: '/v1/start', response: () => ({ status: 200, text: earlier['/v1/start'].text }) }, loginQr);
  });

  test('an enrol answer from another enrolment, replayed into a first enrolment', async () => {
    const other = await openAuthenticator('replay-source');
    mitm.reset(null);
    const { session } = await drive(other.auth, (await enrolQr('someone-else')).qr);
    expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
    const recorded = mitm.log.find((l) => l.path === '/v1/enrol');
    await expectTamperRejected(fresh, { path: '/v1/enrol', response: () => ({ status: 200, text: recorded.text }) }, () => enrolQr());
  });

  test('the same session\'s start answer, replayed as the answer to its login request', async () => {
    const plan = {
      path: '/v1/login',
      response: () => ({ status: 200, text: mitm.log.find((l) => l.path === '/v1/start').text }),
    };
    await expectTamperRejected(enrolled, plan, loginQr);
  });

  test('a PIN-check challenge answer from an earlier enrolment, replayed', async () => {
    // A genuine PIN check whose enrolment never reaches the second server: the app stays without
    // an account there, so the next enrolment there proves its PIN at the first server again.
    mitm.reset({ path: '/v1/enrol', request: () => { throw new Error('dropped on the way'); } });
    await drive(enrolled.auth, (await enrolQrElsewhere('second-account')).qr);
    const earlier = Object.fromEntries(mitm.log.map((l) => [l.path, l]));
    expect(earlier['/v1/pincheck'].text).toContain('SUCCESS');
    const plan = { path: '/v1/pincheck/challenge', response: () => ({ status: 200, text: earlier['/v1/pincheck/challenge'].text }) };
    // The challenge is not signed (§5.6): the server refuses the PIN check over a used one.
    await expectTamperRejected(enrolled, plan, () => enrolQrElsewhere(), { code: 'SERVER_UNKNOWN_ERROR', kind: 'remote' });
  });

  test('a PIN-check challenge swapped on the way (it is not signed): the PIN check over it is refused', async () => {
    const plan = {
      path: '/v1/pincheck/challenge',
      response: () => ({ status: 200, text: JSON.stringify({ challenge: Buffer.alloc(32, 7).toString('base64url') }) }),
    };
    await expectTamperRejected(enrolled, plan, () => enrolQrElsewhere(), { code: 'SERVER_UNKNOWN_ERROR', kind: 'remote' });
  });

  test('a signed server error from another session, replayed (it must not be believed either)', async () => {
    // A genuine signed error: start a login with a QR whose session the server no longer knows.
    mitm.reset(null);
    const stale = await loginQr();
    await drive(enrolled.auth, stale.qr);  // uses the QR
    mitm.reset(null);
    const again = await drive(enrolled.auth, stale.qr);  // the server answers a signed error 53
    expect(again.session.error).toMatchObject({ code: 'SESSION_NOT_FOUND', kind: 'remote' });
    const signedError = mitm.log.find((l) => l.path === '/v1/start');
    await expectTamperRejected(enrolled, { path: '/v1/start', response: () => ({ status: signedError.status, text: signedError.text }) }, loginQr);
  });
});

// ------------------------------------------------------------------------------------------------
// 3. A swapped server key at enrolment, request rewriting, and protocol downgrades

const ATTACKER_KEY = Buffer.alloc(32, 0x42);  // any 32 bytes: the attacker's "server key"

function swapKey(qr) {
  const out = Uint8Array.from(qr);
  out.set(ATTACKER_KEY, 34);  // bytes 34..65: the server key the device pins (protocol.md §2)
  return out;
}

describe('enrol QR with a swapped server key', () => {
  test('the device pins the attacker key: the real server\'s answer does not verify', async () => {
    const r = await expectTamperRejected(fresh, null, async () => {
      const e = await enrolQr();
      return { ...e, qr: swapKey(e.qr) };
    });
    expect(r.serverAccountsAdded).toBe(0);
  });

  test('… also when the man in the middle restores the original QR in the start request', async () => {
    let original;
    const plan = {
      path: '/v1/start',
      request: (body) => JSON.stringify({ ...JSON.parse(body), qr: Buffer.from(original).toString('base64url') }),
    };
    await expectTamperRejected(fresh, plan, async () => {
      const e = await enrolQr();
      original = e.qr;
      return { ...e, qr: swapKey(e.qr) };
    });
  });

  test('an enrol QR for a server the device knows, with another key: refused before any request', async () => {
    const r = await expectTamperRejected(enrolled, null, async () => {
      const e = await enrolQr();
      return { ...e, qr: swapKey(e.qr) };
    });
    expect(r.session.error.message).toMatch(/different key/);
    expect(mitm.log).toEqual([]);  // nothing left the device
  });
});

describe('rewritten requests', () => {
  test('the start request re-serialised (same meaning, other bytes): the request hash does not match', async () => {
    const plan = { path: '/v1/start', request: (body) => JSON.stringify(JSON.parse(body), null, 1) };
    await expectTamperRejected(fresh, plan, () => enrolQr());
  });

  test('the account key in the enrol request replaced: the server refuses, the device rejects its answer', async () => {
    const plan = {
      path: '/v1/enrol',
      request: (body) => JSON.stringify({ ...JSON.parse(body), accountPk: Buffer.alloc(32, 7).toString('base64url') }),
    };
    const r = await expectTamperRejected(fresh, plan, () => enrolQr());
    expect(r.serverAccountsAdded).toBe(0);
    expect(JSON.parse(envelope(mitm.log.find((l) => l.path === '/v1/enrol').text).body)).toMatchObject({ error: { code: 48 } });
  });

  test('the account id in the login request changed', async () => {
    const plan = { path: '/v1/login', request: (body) => JSON.stringify({ ...JSON.parse(body), accountId: JSON.parse(body).accountId + 1000 }) };
    await expectTamperRejected(enrolled, plan, loginQr);
  });

  // Issue 12: the login proof covers the factor, the user input and the matched code, so a man in
  // the middle who rewrites any of them breaks the proof: the server refuses before it logs anyone
  // in, and the relying party never stores text the device did not sign.
  test('userInput rewritten in the login request: the server refuses it, the relying party stores nothing', async () => {
    const plan = { path: '/v1/login', request: (body) => JSON.stringify({ ...JSON.parse(body), userInput: 'pay 1000 EUR to mallory' }) };
    const { nonce } = await expectTamperRejected(enrolled, plan, loginQr);
    const answer = mitm.log.find((l) => l.path === '/v1/login');
    expect(answer.status).toBe(403);  // signed error 48: the account proof does not cover this text
    expect(JSON.parse(JSON.parse(answer.text).body).error.code).toBe(48);
    expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: false, userinput: null });
  });
});

describe('protocol downgrades', () => {
  test.each([[0x00], [0x02], [0xff]])('QR version byte 0x01 → 0x%s: the typed QR error, no request, nothing stored', async (v) => {
    await expectTamperRejected(
      fresh,
      null,
      async () => {
        const e = await enrolQr();
        const qr = Uint8Array.from(e.qr);
        qr[0] = v;
        return { ...e, qr };
      },
      { code: 'QR_PARSE_ERROR', kind: 'remote', historyEntry: false },
    );
    expect(mitm.log).toEqual([]);
  });

  test('a "v":0 field injected into the signed start answer', async () => {
    const plan = { path: '/v1/start', response: tamperBody((b) => JSON.stringify({ v: 0, ...JSON.parse(b) })) };
    await expectTamperRejected(fresh, plan, () => enrolQr());
  });

  test('request "v":1 rewritten to 0 and the refusal replaced by an unsigned old-style success', async () => {
    const plan = {
      path: '/v1/start',
      request: (body) => JSON.stringify({ ...JSON.parse(body), v: 0 }),
      response: () => ({ status: 200, text: JSON.stringify({ kind: 'enrol', server: { name: 'x', pingTime: 0, pinTimeout: 0, pinTransTimeout: 0, pinAttemptLimit: 99 }, time: 0 }) }),
    };
    await expectTamperRejected(fresh, plan, () => enrolQr(), { code: 'BAD_RESPONSE' });
  });

  // The server refuses any version but 1 with an unsigned 400. The device cannot tell a man in the
  // middle from a broken server here, so this is a `remote` error, not `security`; what matters is
  // that nothing weaker is ever accepted and nothing changes.
  test('request "v":1 rewritten to 0, the server\'s refusal passed through: ERROR, nothing accepted', async () => {
    const plan = { path: '/v1/login', request: (body) => JSON.stringify({ ...JSON.parse(body), v: 0 }) };
    await expectTamperRejected(enrolled, plan, loginQr, { code: 'SERVER_UNKNOWN_ERROR', kind: 'remote' });
    expect(mitm.log.find((l) => l.path === '/v1/login').status).toBe(400);
  });
});

test('the tampered sessions left the app usable: a genuine login and enrolment still work', async () => {
  mitm.reset(null);
  const login = await drive(enrolled.auth, (await loginQr()).qr);
  expect(login.session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  const enrolment = await drive(fresh.auth, (await enrolQr('finally')).qr);
  expect(enrolment.session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  expect(fresh.auth.accounts.map((a) => a.userId)).toEqual(['finally']);
  // Reopening the stored state gives the same accounts.
  const reopened = await Authenticator.create({ storage: fresh.dir });
  expect(reopened.accounts).toEqual(fresh.auth.accounts);
  await reopened.close();
  // eslint-disable-next-line no-console
  console.log(`tamper suite: ${casesRun} tampered sessions, each ended in ERROR with nothing changed on the device`);
});
