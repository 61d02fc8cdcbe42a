// Issue 12, item 8: a malicious enrol server must not plant state the app can't manage. The
// attacker here IS the server: this file plays one (a small HTTP server that signs its answers with
// the key its own enrol QR pins, as docs/protocol.md §3–§5 say), so every answer verifies and only
// the core's bounds (src/limits.hpp, docs/protocol.md "Limits") stand in the way. Each oversized or
// out-of-range field must end the session in ERROR with BAD_RESPONSE (kind security) and store no
// account, no server and none of the field: the state file stays small. An honest answer from the
// same fake enrols, so the refusals come from the bounds, not from the fake.
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const sodium = require('libsodium-wrappers');
const { Authenticator } = require('@tapgate/authenticator/node');
const { drive, readStoredState, storedBytes } = require('./helpers/drive');

const enc = new TextEncoder();
const concat = (...parts) => Buffer.concat(parts.map((p) => Buffer.from(p)));
const H = (...parts) => sodium.crypto_generichash(32, concat(...parts));

/** The malicious server: answers /v1/start and /v1/enrol with what `plan` says, signed. */
class EvilServer {
  constructor() {
    this.keys = sodium.crypto_sign_keypair();
    this.plan = {};
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const text = this.answer(req.url, body);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(text);
      });
    });
  }

  async listen() {
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${this.server.address().port}/device`;
  }

  close() {
    return new Promise((r) => this.server.close(r));
  }

  /** A fresh enrol QR naming this server (id, pinned key, device API URL). */
  enrolQr() {
    const url = Buffer.from(this.url);
    return concat([1, 2], Buffer.alloc(16, 0xee), sodium.randombytes_buf(16), this.keys.publicKey, [url.length], url);
  }

  answer(path, request) {
    const req = JSON.parse(request);
    let body;
    if (path === '/device/v1/start') {
      this.t = H(enc.encode('tapgate/v1/transcript'), Buffer.from(req.qr, 'base64url'));
      const start = {
        kind: 'enrol',
        server: { name: 'Evil Bank', pingTime: 0, pinTimeout: 0, pinTransTimeout: 0, pinAttemptLimit: 3 },
        time: Date.now(),
        announceInfo: { origin: 'https://evil.example' },
        userId: 'victim',
        name: 'victim@evil.example',
      };
      body = this.plan.start ? this.plan.start(start) : JSON.stringify(start);
    } else {
      body = this.plan.enrol ?? JSON.stringify({ result: 'SUCCESS', accountId: 7, userId: 'victim', pingTime: 0 });
    }
    const sig = sodium.crypto_sign_detached(concat(enc.encode('tapgate/v1/response'), this.t, H(enc.encode(request)), enc.encode(body)), this.keys.privateKey);
    this.t = H(this.t, H(enc.encode(request)), H(enc.encode(body)));
    return JSON.stringify({ body, sig: Buffer.from(sig).toString('base64url') });
  }
}

/** A start answer with `edit` applied to its object. */
const start = (edit) => (s) => JSON.stringify(edit(s) ?? s);
const deep = (n) => { let v = 'x'; for (let i = 0; i < n; i++) v = { k: v }; return v; };

const CASES = [
  ['an account id above 2^53 - 1', { enrol: '{"result":"SUCCESS","accountId":9007199254740993,"userId":"victim","pingTime":0}' }],
  ['an account id of 2^53', { enrol: '{"result":"SUCCESS","accountId":9007199254740992,"userId":"victim","pingTime":0}' }],
  ['an account id of 2^64', { enrol: '{"result":"SUCCESS","accountId":18446744073709551616,"userId":"victim","pingTime":0}' }],
  ['an account id of 0', { enrol: '{"result":"SUCCESS","accountId":0,"userId":"victim","pingTime":0}' }],
  ['a negative account id', { enrol: '{"result":"SUCCESS","accountId":-5,"userId":"victim","pingTime":0}' }],
  ['a 2 KB userId in the enrol answer', { enrol: JSON.stringify({ result: 'SUCCESS', accountId: 7, userId: 'u'.repeat(2000), pingTime: 0 }) }],
  ['an enrol answer pingTime of 10^15 s', { enrol: JSON.stringify({ result: 'SUCCESS', accountId: 7, userId: 'victim', pingTime: 1e15 }) }],
  ['a 100 KB sessionInfo', { enrol: JSON.stringify({ result: 'SUCCESS', accountId: 7, pingTime: 0, sessionInfo: { a: 'x'.repeat(100_000) } }) }],
  ['a 20 MB server name', { start: start((s) => { s.server.name = 'n'.repeat(20 * 1024 * 1024); }) }],
  ['a 2 KB proposed account name', { start: start((s) => { s.name = 'é'.repeat(1000); }) }],
  ['a 2 KB userId in the start answer', { start: start((s) => { s.userId = 'u'.repeat(2000); }) }],
  ['an announceInfo 20 levels deep', { start: start((s) => { s.announceInfo = deep(20); }) }],
  ['a 100 KB announceInfo', { start: start((s) => { s.announceInfo = { a: 'x'.repeat(100_000) }; }) }],
  ['a pingTime of 10^12 s', { start: start((s) => { s.server.pingTime = 1e12; }) }],
  ['a PIN attempt limit of 10^6', { start: start((s) => { s.server.pinAttemptLimit = 1e6; }) }],
  ['a pinTimeout below -1 (never ask)', { start: start((s) => { s.server.pinTimeout = -2; }) }],
  ['a pinTransTimeout of -1: a transaction has no "never ask"', { start: start((s) => { s.server.pinTransTimeout = -1; }) }],
  ['a server time before the epoch', { start: start((s) => { s.time = -1; }) }],
  ['a server time beyond 2^53', { start: start((s) => { s.time = 2 ** 60; }) }],
  ['an http: logo', { start: start((s) => { s.server.logo = 'http://evil.example/logo.png'; }) }],
  ['a javascript: logo', { start: start((s) => { s.server.logo = 'javascript:alert(1)'; }) }],
  ['returnOrigins that are not an array', { start: start((s) => { s.returnOrigins = 'https://evil.example'; }) }],
  ['a return origin with a path', { start: start((s) => { s.returnOrigins = ['https://evil.example/x']; }) }],
  ['a javascript: return origin', { start: start((s) => { s.returnOrigins = ['javascript:alert(1)']; }) }],
  ['17 return origins', { start: start((s) => { s.returnOrigins = Array.from({ length: 17 }, (_, i) => `https://s${i}.example`); }) }],
  ['an http: siteUrl to another host', { start: start((s) => { s.server.siteUrl = 'http://evil.example/'; }) }],
  ['a javascript: appUrl', { start: start((s) => { s.server.appUrl = 'javascript:alert(1)'; }) }],
  ['a 5 KB appAndroid link', { start: start((s) => { s.server.appAndroid = `https://evil.example/${'a'.repeat(5000)}`; }) }],
  ['an appIos that is no string', { start: start((s) => { s.server.appIos = { href: 'https://evil.example/' }; }) }],
  ['a 2 KB owner', { start: start((s) => { s.server.owner = 'o'.repeat(2000); }) }],
  ['serverFlags that are no array', { start: start((s) => { s.server.serverFlags = 'uniqueDisplayNames'; }) }],
  ['a thousand serverFlags', { start: start((s) => { s.server.serverFlags = Array(1000).fill('uniqueDisplayNames'); }) }],
  ['an enrol answer lastLogin beyond 2^53', { enrol: JSON.stringify({ result: 'SUCCESS', accountId: 7, userId: 'victim', pingTime: 0, lastLogin: 2 ** 60 }) }],
];

let evil;
let dir;
let auth;

beforeAll(async () => {
  await sodium.ready;
  evil = new EvilServer();
  await evil.listen();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-evil-'));
  auth = await Authenticator.create({ storage: dir, requestTimeout: 10_000 });
});

afterAll(async () => {
  await auth?.close();
  await evil?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the fake signs as a server does: an honest answer from it enrols', async () => {
  const control = await Authenticator.create();
  evil.plan = {};
  const { session } = await drive(control, evil.enrolQr());
  expect(session.error).toBeNull();
  expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  expect(control.accounts).toEqual([expect.objectContaining({ accountId: 7, serverName: 'Evil Bank', userId: 'victim' })]);
  await control.close();
});

test.each(CASES)('%s is BAD_RESPONSE and stores nothing', async (_, plan) => {
  evil.plan = plan;
  const historyBefore = auth.history.length;
  const { session, startError } = await drive(auth, evil.enrolQr());
  expect(startError).toBeNull();
  expect(session.state).toBe('ERROR');
  expect(session.error).toMatchObject({ code: 'BAD_RESPONSE', numericCode: 67, kind: 'security' });
  expect(auth.accounts).toEqual([]);
  expect(auth.history).toHaveLength(historyBefore + 1);
  const stored = await readStoredState(dir);
  expect(stored?.accounts ?? []).toEqual([]);
  expect(stored?.servers ?? []).toEqual([]);
});

test('after every refusal the state did not grow beyond its history entries', async () => {
  const stored = await readStoredState(dir);
  expect(stored.history).toHaveLength(CASES.length);
  expect(stored.history.every((h) => h.status === 'ERROR' && h.accountId === 0)).toBe(true);
  expect(storedBytes(dir).length).toBeLessThan(16 * 1024);  // a 20 MB name would be in it otherwise
  const reopened = await Authenticator.create({ storage: dir });
  expect(reopened.accounts).toEqual([]);
  await reopened.close();
});
