// A device speaking the protocol by hand (no SDK): enrols an account and runs complete QR logins
// with the second factor skipped inside pinTimeout. Cheap enough to drive a server at its limit
// and small enough that a test can count what one login costs the server. It does not check the
// server's signatures: the SDK's tests do; here the server under test is the subject.
'use strict';
const { randomBytes } = require('node:crypto');
const { cryptoReady, sign, signKeyPair, toB64u, utf8 } = require('@tapgate/server/dist/crypto');
const { transcriptStart, transcriptAdvance, loginProofMessage, enrolProofMessage } = require('@tapgate/server/dist/transcript');
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

/** /v1/start on a QR: resolves with the session id and T1. `device` is the device API's origin. */
async function start(device, qrBytes) {
  const raw = utf8(JSON.stringify({ v: 1, qr: toB64u(qrBytes), nonce: toB64u(randomBytes(32)) }));
  const answer = await post(`${device}/device/v1/start`, raw);
  return { sessionId: parseQr(qrBytes).sessionId, t1: transcriptAdvance(transcriptStart(qrBytes), raw, utf8(answer.bodyText)) };
}

/** Enrols an account on `server` ({url, serverId, rootApiKey}); resolves with {id, sk}. */
async function enrolRaw(server) {
  await cryptoReady();
  const { sessionId, t1 } = await start(server.url, await qrOf(server, 'enrol', randomBytes(16).toString('base64url')));
  const account = signKeyPair();
  const pin = signKeyPair();
  const proof = enrolProofMessage(t1);
  const raw = utf8(JSON.stringify({
    v: 1, session: toB64u(sessionId), accountPk: toB64u(account.publicKey), boxPk: toB64u(signKeyPair().publicKey),
    pinPk: toB64u(pin.publicKey), sigAccount: toB64u(sign(account.secretKey, proof)), sigPin: toB64u(sign(pin.secretKey, proof)),
  }));
  const { body } = await post(`${server.url}/device/v1/enrol`, raw);
  if (body.result !== 'SUCCESS') throw new Error(`enrol: ${JSON.stringify(body)}`);
  return { id: body.accountId, sk: account.secretKey };
}

/**
 * One complete QR login of `account` on nonce `nonce`: the relying party's QR fetch (from `server`),
 * /v1/start and /v1/login without a second factor (at `device`, default the same server).
 * Resolves with the login answer's body.
 */
async function loginRaw(server, account, { nonce = randomBytes(16).toString('base64url'), device = server.url } = {}) {
  const { sessionId, t1 } = await start(device, await qrOf(server, 'login', nonce));
  const raw = utf8(JSON.stringify({
    v: 1, session: toB64u(sessionId), accountId: account.id, userInput: '', factor: 'NONE',
    sigAccount: toB64u(sign(account.sk, loginProofMessage(t1, 'NONE', '', ''))),
  }));
  return (await post(`${device}/device/v1/login`, raw)).body;
}

module.exports = { enrolRaw, loginRaw };
