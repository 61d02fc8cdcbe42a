// The start response (§5.1): what a device learns about a QR session before it asks the user.
// Answered to /v1/start, and carried inside a login message (§6.1) so a push login skips that request.
import { randomBytes, toB64u } from './crypto';
import type { QrSessionRow, ServerRow, Store } from './db';
import { codeCommitment, transcriptAdvance, transcriptStart } from './transcript';
import { storedUserContext } from './usercontext';

/** The right code among two decoys, in random order. */
function codeChoices(code: string): string[] {
  const choices = new Set([code]);
  while (choices.size < 3) choices.add(String(randomBytes(1)[0] % 90 + 10));
  const list = [...choices];
  for (let i = list.length - 1; i > 0; i--) {
    const k = randomBytes(1)[0] % (i + 1);
    [list[i], list[k]] = [list[k], list[i]];
  }
  return list;
}

/** The server parameters every session start announces (§5.1, §5.9). */
export function serverParams(server: ServerRow): Record<string, unknown> {
  const params: Record<string, unknown> = { name: server.name, pingTime: server.ping_time, pinTimeout: server.pin_timeout, pinAttemptLimit: server.pin_attempt_limit };
  if (server.logo) params.logo = server.logo;  // the app shows it while the user confirms
  return params;
}

export async function startResponseBody(store: Store, server: ServerRow, qs: QrSessionRow, now: number): Promise<Record<string, unknown>> {
  const ctx = storedUserContext(qs.usercontext);
  const body: Record<string, unknown> = {
    kind: qs.kind,
    server: serverParams(server),
    time: now,
    announceInfo: ctx.announceinfo,
  };
  if (qs.require_2f) body.secondFactor = 'required';
  if (qs.tid) {
    const tx = await store.getTransaction(qs.tid, server.id);
    if (tx) body.transaction = { tid: tx.tid, text: tx.text };
  }
  if (qs.match_code) {
    body.codeChoices = codeChoices(qs.match_code);
    body.codeCommitment = toB64u(codeCommitment(qs.id, qs.match_code));
  }
  if (qs.kind === 'enrol') {
    if (qs.userid !== null) body.userId = qs.userid;
    if (qs.name !== null) body.name = qs.name;
  }
  return body;
}

/**
 * Starts a login QR session on the server's side for a login message: the transcript moves to
 * T1 as if the device had sent /v1/start with an empty request. Returns the body to carry.
 */
export async function startForPush(store: Store, server: ServerRow, qs: QrSessionRow, now: number): Promise<string> {
  const text = JSON.stringify(await startResponseBody(store, server, qs, now));
  await store.setQrStarted(qs.id, transcriptAdvance(transcriptStart(qs.payload), new Uint8Array(0), new TextEncoder().encode(text)));
  return text;
}
