// The session transcript and the signed-response envelope of protocol.md §3–§4.
import { concat, hash, toB64u, utf8 } from './crypto';
import type { ServerSigner } from './server-keys';

const TRANSCRIPT_DOMAIN = utf8('tapgate/v1/transcript');
const RESPONSE_DOMAIN = utf8('tapgate/v1/response');
const ENROL_DOMAIN = utf8('tapgate/v1/enrol');
const LOGIN_DOMAIN = utf8('tapgate/v1/login');
const LOGOUT_DOMAIN = utf8('tapgate/v1/logout');
const CANCEL_DOMAIN = utf8('tapgate/v1/cancel');
const PINCHECK_DOMAIN = utf8('tapgate/v1/pincheck');
const ENROL_PINCHECK_DOMAIN = utf8('tapgate/v1/enrol-pincheck');
const FACTORS_DOMAIN = utf8('tapgate/v1/factors');
const PINCOMMIT_DOMAIN = utf8('tapgate/v1/pincommit');
const PING_DOMAIN = utf8('tapgate/v1/ping');
const MESSAGES_DOMAIN = utf8('tapgate/v1/messages');
const PUSHTOKEN_DOMAIN = utf8('tapgate/v1/pushtoken');
const DELETE_DOMAIN = utf8('tapgate/v1/delete');
const APPLOGIN_DOMAIN = utf8('tapgate/v1/applogin');
const APP_TRANSACTION_DOMAIN = utf8('tapgate/v1/app-transaction');
const CODE_DOMAIN = utf8('tapgate/v1/code');
const TRANSACTION_DOMAIN = utf8('tapgate/v1/transaction');

/** Code matching: H("tapgate/v1/code" ‖ QR session id ‖ code), the commitment the device checks a pick against. */
export function codeCommitment(sessionId: Uint8Array, code: string): Uint8Array {
  return hash(CODE_DOMAIN, sessionId, utf8(code));
}

const RP_SESSION_DOMAIN = utf8('tapgate/v1/rp-session');

/**
 * The relying-party session a transaction belongs to, as the device signs it:
 * H("tapgate/v1/rp-session" ‖ server id ‖ nonce). The relying party computes it from its own nonce.
 */
export function rpSessionBinding(serverId: Uint8Array, nonce: string): Uint8Array {
  return hash(RP_SESSION_DOMAIN, serverId, utf8(nonce));
}

/**
 * What the account key signs to approve a transaction:
 * "tapgate/v1/transaction" ‖ H(tid) ‖ rpSessionBinding ‖ its exact text — so a signature names one
 * transaction of one relying-party session and can't be presented for another.
 */
export function transactionSigningInput(tid: string, rpSession: Uint8Array, text: string): Uint8Array {
  return concat(TRANSACTION_DOMAIN, hash(utf8(tid)), rpSession, utf8(text));
}

/** 8-byte big-endian account id, as the device signs it. */
function accountIdBytes(accountId: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(accountId));
  return out;
}

export function messagesProofMessage(nonce: Uint8Array): Uint8Array {
  return concat(MESSAGES_DOMAIN, nonce);
}

/** 8-byte big-endian time (ms), as the device signs it in its fresh out-of-session requests. */
function timeBytes(time: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(time));
  return out;
}

export function pushTokenProofMessage(accountId: number, time: number, nonce: Uint8Array, token: string): Uint8Array {
  return concat(PUSHTOKEN_DOMAIN, accountIdBytes(accountId), timeBytes(time), nonce, utf8(token));
}

export function appLoginProofMessage(accountId: number, time: number, nonce: Uint8Array): Uint8Array {
  return concat(APPLOGIN_DOMAIN, accountIdBytes(accountId), timeBytes(time), nonce);
}

/** The second factors an app-started transaction may require, with their byte in its proof (§5.12). */
export const REQUIRED_FACTORS = { ANY: 0, PIN: 1, BIOMETRIC: 2 } as const;
export type RequiredFactor = keyof typeof REQUIRED_FACTORS;

/** §5.12: what the account key signs to start a transaction of the app's. */
export function appTransactionProofMessage(accountId: number, time: number, nonce: Uint8Array, factor: RequiredFactor, clientAdditionalData: string): Uint8Array {
  return concat(APP_TRANSACTION_DOMAIN, accountIdBytes(accountId), timeBytes(time), nonce, Uint8Array.of(REQUIRED_FACTORS[factor]), hash(utf8(clientAdditionalData)));
}

export function deleteProofMessage(accountId: number, nonce: Uint8Array): Uint8Array {
  return concat(DELETE_DOMAIN, accountIdBytes(accountId), nonce);
}

/** T0 = H("tapgate/v1/transcript" ‖ QR payload bytes) */
export function transcriptStart(qrPayload: Uint8Array): Uint8Array {
  return hash(TRANSCRIPT_DOMAIN, qrPayload);
}

/** Tn+1 = H(Tn ‖ H(request bytes) ‖ H(response body bytes)) */
export function transcriptAdvance(t: Uint8Array, request: Uint8Array, responseBody: Uint8Array): Uint8Array {
  return hash(t, hash(request), hash(responseBody));
}

/** "tapgate/v1/response" ‖ T ‖ H(request body bytes) ‖ body bytes */
export function responseSigningInput(t: Uint8Array, request: Uint8Array, body: Uint8Array): Uint8Array {
  return concat(RESPONSE_DOMAIN, t, hash(request), body);
}

/** "tapgate/v1/enrol" ‖ T1 ‖ H(userInput): the new keys, bound to the session and to what the app passed. */
export function enrolProofMessage(t: Uint8Array, userInput: string): Uint8Array {
  return concat(ENROL_DOMAIN, t, hash(utf8(userInput)));
}

/** What an existing account's keys sign when a later enrolment carries the PIN proof (§5.2). */
export function enrolPinCheckProofMessage(t: Uint8Array): Uint8Array {
  return concat(ENROL_PINCHECK_DOMAIN, t);
}

/** The login factors as the proof names them (§5.3). */
export const LOGIN_FACTORS = { NONE: 0, PIN: 1, BIOMETRIC: 2 } as const;
export type LoginFactor = keyof typeof LOGIN_FACTORS;

/**
 * "tapgate/v1/login" ‖ Tn ‖ factor (1 byte) ‖ H(userInput) ‖ H(code): every login field with
 * meaning is under the device's proof, so nobody on the way can rewrite what the relying party stores.
 */
export function loginProofMessage(t: Uint8Array, factor: LoginFactor, userInput: string, code: string): Uint8Array {
  return concat(LOGIN_DOMAIN, t, Uint8Array.of(LOGIN_FACTORS[factor]), hash(utf8(userInput)), hash(utf8(code)));
}

/** What the account key signs to end the login a QR session made: "tapgate/v1/logout" ‖ T1 of that session. */
export function logoutProofMessage(t1: Uint8Array): Uint8Array {
  return concat(LOGOUT_DOMAIN, t1);
}

/** The cancel proof H("tapgate/v1/cancel" ‖ T1): only the device that started the session knows T1. */
export function cancelProof(t1: Uint8Array): Uint8Array {
  return hash(CANCEL_DOMAIN, t1);
}

export function pingProofMessage(t: Uint8Array): Uint8Array {
  return concat(PING_DOMAIN, t);
}

export function pinCheckProofMessage(challenge: Uint8Array): Uint8Array {
  return concat(PINCHECK_DOMAIN, challenge);
}

/** The second-factor changes of §5.10, with the byte each contributes to the proof. */
export const FACTOR_CHANGES = { PIN: 1, ADD_BIOMETRIC: 2, REMOVE_BIOMETRIC: 3 } as const;
export type FactorChange = keyof typeof FACTOR_CHANGES;

export function factorChangeProofMessage(challenge: Uint8Array, change: FactorChange, newPk: Uint8Array | null): Uint8Array {
  return concat(FACTORS_DOMAIN, challenge, Uint8Array.of(FACTOR_CHANGES[change]), newPk ?? new Uint8Array(0));
}

export function pinCommitProofMessage(accountId: number, pinPk: Uint8Array): Uint8Array {
  return concat(PINCOMMIT_DOMAIN, accountIdBytes(accountId), pinPk);
}

export interface Sealed {
  /** The envelope text sent to the device. */
  envelope: string;
  /** The exact body bytes that were signed (for the transcript). */
  bodyBytes: Uint8Array;
}

/**
 * Signs `body` (serialised once, here) for transcript `t` and the exact request bytes; during a
 * key rotation's overlap the previous key's signature rides along as `sigPrev` (§3).
 */
export function seal(serverSk: ServerSigner, t: Uint8Array, request: Uint8Array, body: unknown): Sealed {
  const text = JSON.stringify(body);
  const bodyBytes = utf8(text);
  const { sig, sigPrev } = serverSk.sign(responseSigningInput(t, request, bodyBytes));
  return { envelope: JSON.stringify({ body: text, sig: toB64u(sig), ...(sigPrev ? { sigPrev: toB64u(sigPrev) } : {}) }), bodyBytes };
}
