// The test vectors of docs/protocol.md §4.1 against the server's implementation (server/dist):
// the same keys, transcript hashes, sealed answer and login proof, byte for byte.
// tests/native/vectors_test.cpp checks the core against the same block, so neither can drift alone.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const sodium = require('libsodium-wrappers');

const ROOT = path.resolve(__dirname, '..', '..');
const dist = (f) => require(path.join(ROOT, 'server', 'dist', f));

/** name -> value of the vectors block. */
function vectors() {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'protocol.md'), 'utf8');
  const block = /```text tapgate-test-vectors\n([\s\S]*?)```/.exec(doc)[1];
  return Object.fromEntries(block.trim().split('\n').map((line) => {
    const m = /^(\S+)\s+(.*)$/.exec(line);
    return [m[1], m[2]];
  }));
}

test('the server computes the documented vectors', async () => {
  const c = dist('crypto.js');
  const t = dist('transcript.js');
  await c.cryptoReady();
  await sodium.ready;
  const v = vectors();
  const bytes = (h) => Uint8Array.from(Buffer.from(h, 'hex'));
  const hex = (b) => Buffer.from(b).toString('hex');
  const server = sodium.crypto_sign_seed_keypair(bytes(v.server_seed));
  const account = sodium.crypto_sign_seed_keypair(bytes(v.account_seed));
  expect(hex(server.publicKey)).toBe(v.server_pk);
  expect(hex(account.publicKey)).toBe(v.account_pk);

  const t0 = t.transcriptStart(bytes(v.qr_payload));
  expect(hex(t0)).toBe(v.t0);
  const body = JSON.parse(JSON.parse(v.envelope).body);
  const sealed = t.seal({ sign: (m) => ({ sig: c.sign(server.privateKey, m) }) }, t0, c.utf8(v.request), body);
  expect(sealed.envelope).toBe(v.envelope);
  const t1 = t.transcriptAdvance(t0, c.utf8(v.request), sealed.bodyBytes);
  expect(hex(t1)).toBe(v.t1);
  const proof = t.loginProofMessage(t1, 'PIN', v.login_user_input, v.login_code);
  expect(hex(proof)).toBe(v.login_proof);
  expect(hex(c.sign(account.privateKey, proof))).toBe(v.login_sig);
  expect(c.verify(account.publicKey, proof, bytes(v.login_sig))).toBe(true);
});
