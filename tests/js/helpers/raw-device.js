// A device speaking the protocol by hand (no SDK): enrols an account and runs complete QR logins
// with the second factor skipped inside pinTimeout. Cheap enough to drive a server at its limit
// and small enough that a test can count what one login costs the server. It does not check the
// server's signatures: the SDK's tests do; here the server under test is the subject.
'use strict';
const { randomBytes } = require('node:crypto');
const { cryptoReady, sign, signKeyPair, toB64u, utf8 } = require('@tapgate/server/dist/crypto');
const { transcriptStart, transcriptAdvance, loginProofMessage, enrolProofMessage, transactionSigningInput } = require('@tapgate/server/dist/transcript');
const { parseQr } = require('@tapgate/server/dist/qr');

async function post(url, raw) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${text}`);
  const envelope = JSON.parse(text);
  return { bodyText: envelope.body, body: JSON.parse(envelope.body) };
}

async function qrOf(server, kind, nonce) {
  const res = await fetch(`${server.url}/servers/${server.serverId}/sessions/qr/${kind}`, { headers: { 'X-apikey': server.rootApiKey, 'X-nonce': nonce } });
  if (res.status !== 200) throw new Error(`QR: HTTP ${res.status} ${await res.text()}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** /v1/start on a QR: resolves with the session id, T1 and the answer. `device` is the device API's origin. */
async function start(device, qrBytes) {
  const raw = utf8(JSON.stringify({ v: 1, qr: toB64u(qrBytes), nonce: toB64u(randomBytes(32)) }));
  const answer = await post(`${device}/device/v1/start`, raw);
  return { sessionId: parseQr(qrBytes).sessionId, t1: transcriptAdvance(transcriptStart(qrBytes), raw, utf8(answer.bodyText)), body: answer.body };
}

/**
 * Enrols an account on `server` ({url, serverId, rootApiKey}); resolves with {id, sk, nonce}.
 * `userInput`: sent as the enrolment's userInput (absent when undefined, which the server takes as '');
 * `signedUserInput`: the one the proof covers instead (a rewritten request).
 */
async function enrolRaw(server, { userInput, signedUserInput = userInput ?? '', nonce = randomBytes(16).toString('base64url') } = {}) {
  await cryptoReady();
  const { sessionId, t1 } = await start(server.url, await qrOf(server, 'enrol', nonce));
  const account = signKeyPair();
  const pin = signKeyPair();
  const proof = enrolProofMessage(t1, String(signedUserInput));
  const raw = utf8(JSON.stringify({
    v: 1, session: toB64u(sessionId), accountPk: toB64u(account.publicKey), boxPk: toB64u(signKeyPair().publicKey),
    pinPk: toB64u(pin.publicKey), sigAccount: toB64u(sign(account.secretKey, proof)), sigPin: toB64u(sign(pin.secretKey, proof)),
    ...(userInput === undefined ? {} : { userInput }),
  }));
  const { body } = await post(`${server.url}/device/v1/enrol`, raw);
  if (body.result !== 'SUCCESS') throw new Error(`enrol: ${JSON.stringify(body)}`);
  return { id: body.accountId, sk: account.secretKey, nonce };
}

/**
 * One complete QR login of `account` on nonce `nonce`: the relying party's QR fetch (from `server`),
 * /v1/start and /v1/login without a second factor (at `device`, default the same server).
 * `qr`: another login QR instead (a transaction's, whose text the account then signs).
 * Resolves with the login answer's body.
 */
async function loginRaw(server, account, { nonce = randomBytes(16).toString('base64url'), device = server.url, qr } = {}) {
  const { sessionId, t1, body } = await start(device, qr ?? await qrOf(server, 'login', nonce));
  const tx = body.transaction;
  const raw = utf8(JSON.stringify({
    v: 1, session: toB64u(sessionId), accountId: account.id, userInput: '', factor: 'NONE',
    sigAccount: toB64u(sign(account.sk, loginProofMessage(t1, 'NONE', '', ''))),
    ...(tx ? { sigTransaction: toB64u(sign(account.sk, transactionSigningInput(tx.tid, Buffer.from(tx.rpSession, 'base64url'), tx.text))) } : {}),
  }));
  return (await post(`${device}/device/v1/login`, raw)).body;
}

module.exports = { enrolRaw, loginRaw };
