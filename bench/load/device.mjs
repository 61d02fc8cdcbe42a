// One simulated device speaking the real device protocol (docs/protocol.md §2–§5) plus the
// relying party's QR fetch, as cheaply as the protocol allows: Ed25519 through node:crypto with
// KeyObjects made once per key (sign 39 µs against libsodium-wrappers' 47 µs on this machine),
// BLAKE2b-256 through libsodium-wrappers-sumo (node:crypto has BLAKE2b only with a 64-byte
// output, a different function), constant hashes computed once. It does what a real device does
// on the wire: checks the QR payload, verifies every signed answer with the pinned server key
// before reading it (unless `verify` is off, for the floor server that cannot sign), and advances
// the transcript exactly as src/wire.cpp does. Request bodies carry the fields in the order the
// core writes them (nlohmann::json sorts keys), so they are the same bytes in size.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign as edSign, verify as edVerify } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const sodium = require('libsodium-wrappers-sumo');
await sodium.ready;

/** Why a login or enrolment failed; `code` names the device error it corresponds to. */
export class LoadLoginError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

const utf8 = (s) => Buffer.from(s, 'utf8');
const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const unb64u = (text) => Buffer.from(text, 'base64url');
/** H(x) of protocol.md: BLAKE2b with a 32-byte output, no key. */
const H = (...parts) => sodium.crypto_generichash(32, parts.length === 1 ? parts[0] : Buffer.concat(parts), null);

const TRANSCRIPT = utf8('tapgate/v1/transcript');
const RESPONSE = utf8('tapgate/v1/response');
const ENROL = utf8('tapgate/v1/enrol');
const LOGIN = utf8('tapgate/v1/login');
const FACTOR_NONE = Uint8Array.of(0);
const EMPTY_HASH = H(new Uint8Array(0)); // H(userInput) and H(code): both "" in these logins

// DER prefixes that turn raw Ed25519 key bytes into KeyObjects (RFC 8410).
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const publicKeyObject = (raw) => createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
const rawPublicKey = (keyObject) => unb64u(keyObject.export({ format: 'jwk' }).x);

const QR_VERSION = 1;
const QR_LOGIN = 1;
const QR_ENROL = 2;

/** Parses a QR payload (§2) far enough to run the session; throws BAD_RESPONSE otherwise. */
function parseQr(payload, expectedType) {
  const p = Buffer.from(payload);
  if (p.length < 34 || p[0] !== QR_VERSION || p[1] !== expectedType) throw new LoadLoginError('QR_PARSE_ERROR', `not a ${expectedType === QR_LOGIN ? 'login' : 'enrol'} QR payload`);
  const qr = { payload: p, serverId: p.subarray(2, 18), sessionId: p.subarray(18, 34) };
  if (expectedType === QR_LOGIN) {
    if (p.length !== 34) throw new LoadLoginError('QR_PARSE_ERROR', 'trailing bytes after a login payload');
    return qr;
  }
  const len = p[66];
  if (p.length !== 67 + len) throw new LoadLoginError('QR_PARSE_ERROR', 'enrol payload length does not match its URL');
  return { ...qr, serverPk: p.subarray(34, 66), url: p.subarray(67).toString('latin1') };
}

/**
 * The device's half of one signed exchange (§3–§4): checks the envelope against transcript `t`
 * and the exact request bytes, and returns the parsed body and the next transcript.
 */
function openEnvelope(res, what, serverKey, t, request) {
  let envelope;
  try {
    envelope = JSON.parse(res.body);
  } catch {
    envelope = null;
  }
  if (typeof envelope?.body !== 'string' || typeof envelope.sig !== 'string') {
    if (res.status < 200 || res.status >= 300) throw new LoadLoginError('SERVER_UNKNOWN_ERROR', `${what}: HTTP ${res.status} ${res.body.toString('utf8', 0, 200)}`);
    throw new LoadLoginError('BAD_RESPONSE', `${what}: not a signed envelope`);
  }
  const bodyBytes = utf8(envelope.body);
  const requestHash = H(request);
  if (serverKey) {
    const message = Buffer.concat([RESPONSE, t, requestHash, bodyBytes]);
    const ok = [envelope.sig, envelope.sigPrev].some((s) => typeof s === 'string' && edVerify(null, message, serverKey, unb64u(s)));
    if (!ok) throw new LoadLoginError('SERVER_AUTHENTICATION_ERROR', `${what}: the server signature does not verify with the pinned key`);
  }
  let body;
  try {
    body = JSON.parse(envelope.body);
  } catch {
    throw new LoadLoginError('BAD_RESPONSE', `${what}: the signed body is not JSON`);
  }
  if (body?.error) throw new LoadLoginError('SERVER_ERROR', `${what}: signed error ${body.error.code} ${body.error.message}`);
  return { body, next: H(t, requestHash, H(bodyBytes)) };
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

/**
 * A relying party (REST API key on `rpUrl`) and a device on one server, each with its own
 * keep-alive connection (`connect(origin)`, raw-http.mjs): the device API's origin comes from the
 * enrol QR. `verify` false skips the signature checks (the floor server answers canned
 * envelopes); everything else stays the same work.
 */
export function loadDevice({ connect, rpUrl, serverId, apiKey, verify = true }) {
  const rp = connect(rpUrl);
  const connections = [rp];
  const base = `/servers/${serverId}`;
  const rpHeaders = (nonce) => ({ 'X-apikey': apiKey, 'X-nonce': nonce });
  let account = null; // {id, key (KeyObject), serverKey (KeyObject, null: not verified), client, basePath}

  async function fetchQr(kind, query = '') {
    const res = await rp.request('GET', `${base}/sessions/qr/${kind}${query}`, rpHeaders(randomBytes(16).toString('base64url')));
    if (res.status !== 200) throw new LoadLoginError('RP_QR_FAILED', `qr/${kind}: HTTP ${res.status} ${res.body.toString('utf8', 0, 200)}`);
    return res.body;
  }

  /** POST `text` (the JSON body, keys in the core's order) to `path` of the device API. */
  async function post(client, basePath, path, text) {
    const request = utf8(text);
    return { request, res: await client.request('POST', `${basePath}${path}`, JSON_HEADERS, request) };
  }

  async function startSession(client, basePath, qr, serverKey, kind) {
    const t0 = H(TRANSCRIPT, qr.payload);
    const text = `{"nonce":"${b64u(randomBytes(32))}","qr":"${b64u(qr.payload)}","v":1}`;
    const { request, res } = await post(client, basePath, '/v1/start', text);
    const { body, next } = openEnvelope(res, 'start', serverKey, t0, request);
    if (body.kind !== kind) throw new LoadLoginError('BAD_RESPONSE', `start: kind ${body.kind}, expected ${kind}`);
    return next;
  }

  /**
   * Enrols the account this device logs in with (§5.1–5.2). The PIN key is an Ed25519 key whose
   * seed a real device derives with Argon2id from the PIN; `pinSeed` is that seed, derived once
   * per client process by the caller (the server only ever sees the public half and signatures).
   */
  async function enrol(userid, pinSeed) {
    const qr = parseQr(await fetchQr('enrol', `?userid=${encodeURIComponent(userid)}`), QR_ENROL);
    if (b64u(qr.serverId) !== serverId) throw new LoadLoginError('BAD_RESPONSE', 'enrol QR names another server');
    const url = new URL(qr.url);
    const client = connect(url.origin);
    connections.push(client);
    const basePath = url.pathname.replace(/\/$/, '');
    const serverKey = verify ? publicKeyObject(qr.serverPk) : null;
    const t1 = await startSession(client, basePath, qr, serverKey, 'enrol');
    const proof = Buffer.concat([ENROL, t1, H(new Uint8Array(0))]);  // H(userInput): no userInput (protocol.md §5.2)
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pin = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, pinSeed]), format: 'der', type: 'pkcs8' });
    const box = generateKeyPairSync('x25519').publicKey;
    const text = `{"accountPk":"${b64u(rawPublicKey(publicKey))}","boxPk":"${box.export({ format: 'jwk' }).x}",` +
      `"pinPk":"${b64u(rawPublicKey(createPublicKey(pin)))}","session":"${b64u(qr.sessionId)}",` +
      `"sigAccount":"${b64u(edSign(null, proof, privateKey))}","sigPin":"${b64u(edSign(null, proof, pin))}","v":1}`;
    const { request, res } = await post(client, basePath, '/v1/enrol', text);
    const { body } = openEnvelope(res, 'enrol', serverKey, t1, request);
    if (body.result !== 'SUCCESS' || !Number.isSafeInteger(body.accountId)) throw new LoadLoginError('BAD_RESPONSE', `enrol: ${JSON.stringify(body)}`);
    account = { id: body.accountId, key: privateKey, serverKey, client, basePath };
    return body.accountId;
  }

  /**
   * One complete QR login: the relying party fetches a login QR, the device starts the session
   * and logs in without the second factor (inside the server's pinTimeout, §5.3 `NONE`).
   */
  async function login() {
    if (!account) throw new Error('enrol first');
    const qr = parseQr(await fetchQr('login'), QR_LOGIN);
    if (b64u(qr.serverId) !== serverId) throw new LoadLoginError('BAD_RESPONSE', 'login QR names another server');
    const t1 = await startSession(account.client, account.basePath, qr, account.serverKey, 'login');
    const proof = Buffer.concat([LOGIN, t1, FACTOR_NONE, EMPTY_HASH, EMPTY_HASH]);
    const text = `{"accountId":${account.id},"factor":"NONE","session":"${b64u(qr.sessionId)}",` +
      `"sigAccount":"${b64u(edSign(null, proof, account.key))}","userInput":"","v":1}`;
    const { request, res } = await post(account.client, account.basePath, '/v1/login', text);
    const { body } = openEnvelope(res, 'login', account.serverKey, t1, request);
    if (body.result !== 'SUCCESS') throw new LoadLoginError('LOGIN_REFUSED', `login: ${JSON.stringify(body)}`);
  }

  const close = () => connections.forEach((c) => c.close());
  return { enrol, login, close };
}

/** The PIN key's seed as a device derives it (§1): Argon2id(PIN, salt), interactive limits. */
export function derivePinSeed(pin, salt = randomBytes(sodium.crypto_pwhash_SALTBYTES)) {
  return Buffer.from(sodium.crypto_pwhash(32, pin, salt, sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE, sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE, sodium.crypto_pwhash_ALG_ARGON2ID13));
}
