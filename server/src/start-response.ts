// The start response (§5.1): what a device learns about a QR session before it asks the user.
// Answered to /v1/start, and carried inside a login message (§6.1) so a push login skips that request.
import { randomBytes, toB64u } from './crypto';
import type { QrSessionRecord, ServerRecord, Store } from './db';
import { codeCommitment, rpSessionBinding, transcriptAdvance, transcriptStart } from './transcript';
import { storedUserContext } from './usercontext';
import { profileForDevice } from './server-profile';

/** Code matching: the code a login page shows and the user types on the device, 2 digits (a guess wins 1 in 100). */
const MATCH_CODE_DIGITS = 2;

/** A uniformly drawn code of MATCH_CODE_DIGITS digits (rejection sampling: no modulo bias). */
export function drawMatchCode(): string {
  const range = 10 ** MATCH_CODE_DIGITS;
  const limit = Math.floor(0x10000 / range) * range;
  for (;;) {
    const r = randomBytes(2);
    const v = r[0] * 256 + r[1];
    if (v < limit) return String(v % range).padStart(MATCH_CODE_DIGITS, '0');
  }
}

/** The server parameters every session start announces (§5.1, §5.9). */
export function serverParams(server: ServerRecord): Record<string, unknown> {
  const params: Record<string, unknown> = { name: server.name, pingTime: server.pingTime, pinTimeout: server.pinTimeout, pinTransTimeout: server.pinTransTimeout, pinAttemptLimit: server.pinAttemptLimit };
  if (server.logo) params.logo = server.logo;  // the app shows it while the user confirms
  return { ...params, ...profileForDevice(server.profile) };
}

export async function startResponseBody(store: Store, server: ServerRecord, qs: QrSessionRecord, now: number): Promise<Record<string, unknown>> {
  const ctx = storedUserContext(qs.userContext);
  const body: Record<string, unknown> = {
    kind: qs.kind,
    server: serverParams(server),
    time: now,
    announceInfo: ctx.announceinfo,
  };
  // Signed with the rest: the device sends the user back from an app-to-app login only to these.
  if (server.returnOrigins.length > 0) body.returnOrigins = server.returnOrigins;
  if (qs.requireSecondFactor) body.secondFactor = 'required';
  if (qs.tid) {
    const tx = await store.getTransaction(qs.tid, server.id);
    if (tx) body.transaction = { tid: tx.tid, rpSession: toB64u(rpSessionBinding(server.id, qs.nonce)), text: tx.text };
  }
  if (qs.matchCode) {
    body.codeLength = qs.matchCode.length;
    body.codeCommitment = toB64u(codeCommitment(qs.id, qs.matchCode));
  }
  if (qs.kind === 'enrol') {
    if (qs.userId !== null) body.userId = qs.userId;
    if (qs.name !== null) body.name = qs.name;
  }
  return body;
}

/**
 * Starts a login QR session on the server's side for a login message: the transcript moves to
 * T1 as if the device had sent /v1/start with an empty request. Returns the body to carry.
 */
export async function startForPush(store: Store, server: ServerRecord, qs: QrSessionRecord, now: number): Promise<string> {
  const text = JSON.stringify(await startResponseBody(store, server, qs, now));
  await store.setQrStarted(qs.id, transcriptAdvance(transcriptStart(qs.payload), new Uint8Array(0), new TextEncoder().encode(text)));
  return text;
}
