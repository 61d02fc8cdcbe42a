// The device API of protocol.md §5, mounted at /device: start, enrol, login, cancel, logout, pin check.
import type * as http from 'node:http';
import { bytesEqual, fromB64u, hash, randomBytes, toB64u, verify } from './crypto';
import type { AccountRecord, QrSessionRecord, ServerRecord, Store } from './db';
import { checkDeviceRequest, HttpError, parseJsonObject, readRawBody, sendError, sendText } from './http';
import { buildLoginQr, parseQr, SESSION_ID_BYTES } from './qr';
import { qrSessionStatus, type StatusPolicy } from './qr-session-status';
import { accountRateKey, sendRateLimited, type RateLimiter } from './rate-limit';
import type { DeviceMetrics } from './metrics';
import {
  enrolProofMessage,
  enrolPinCheckProofMessage,
  loginProofMessage,
  logoutProofMessage,
  cancelProof,
  pinCheckProofMessage,
  factorChangeProofMessage,
  pinCommitProofMessage,
  FACTOR_CHANGES,
  type FactorChange,
  pingProofMessage,
  messagesProofMessage,
  pushTokenProofMessage,
  deleteProofMessage,
  appLoginProofMessage,
  appTransactionProofMessage,
  REQUIRED_FACTORS,
  type RequiredFactor,
  transactionSigningInput,
  rpSessionBinding,
  seal,
  transcriptAdvance,
  transcriptStart,
} from './transcript';
import { currentRpSession } from './liveness';
import { bindingAllows, loginBinding } from './login-binding';
import { storedUserContext } from './usercontext';
import { serverParams, startResponseBody } from './start-response';
import { ANONYMOUS, clientIp, type AuditDetail, type AuditEvent, type AuditLog, type SecurityEvent } from './audit-log';

export const ERR_ENROL_QR_EXPIRED = 41;
export const ERR_SERVER_AUTHENTICATION_FAILED = 48;
export const ERR_SESSION_NOT_FOUND = 53;
export const ERR_CODE_MISMATCH = 54;
export const ERR_ACCOUNT_NOT_ALLOWED = 55;
/** A start naming a server id this device API does not host: unsigned (no key to sign with), HTTP 404. */
export const ERR_SERVER_PARAMETERS_NO_RESULT = 64;
const PIN_CHALLENGE_LIFETIME_MS = 2 * 60 * 1000;
const APPLOGIN_LIFETIME_MS = 10 * 60 * 1000;
/** How far the signed time of a fresh out-of-session request may be from the server's clock (§5.9, §6.3). */
const FRESHNESS_WINDOW_MS = 5 * 60 * 1000;

const ERROR_HTTP_STATUS: Record<number, number> = {
  [ERR_ENROL_QR_EXPIRED]: 410,
  [ERR_SERVER_AUTHENTICATION_FAILED]: 403,
  [ERR_SESSION_NOT_FOUND]: 404,
  [ERR_CODE_MISMATCH]: 403,
  [ERR_ACCOUNT_NOT_ALLOWED]: 403,
};

/** The security event of each signed error that is one (the others: an expired or unknown session). */
const ERROR_EVENTS: Record<number, SecurityEvent> = {
  [ERR_SERVER_AUTHENTICATION_FAILED]: 'device.proofRefused',
  [ERR_CODE_MISMATCH]: 'device.codeMismatch',
  [ERR_ACCOUNT_NOT_ALLOWED]: 'device.accountNotAllowed',
};

/** The `outcome` label of a refused login or enrolment (metrics.ts), by error code. */
const ERROR_OUTCOMES: Record<number, string> = {
  [ERR_ENROL_QR_EXPIRED]: 'enrol_qr_expired',
  [ERR_SERVER_AUTHENTICATION_FAILED]: 'authentication_failed',
  [ERR_SESSION_NOT_FOUND]: 'session_not_found',
  [ERR_CODE_MISMATCH]: 'code_mismatch',
  [ERR_ACCOUNT_NOT_ALLOWED]: 'account_not_allowed',
};

const ERROR_MESSAGES: Record<number, string> = {
  [ERR_ENROL_QR_EXPIRED]: 'enrol QR expired or already used',
  [ERR_SERVER_AUTHENTICATION_FAILED]: 'the account proof is not accepted',
  [ERR_SESSION_NOT_FOUND]: 'session not found',
  [ERR_CODE_MISMATCH]: 'the code does not match the login page',
  [ERR_ACCOUNT_NOT_ALLOWED]: 'this session belongs to another user',
};

/** A device answer: a signed envelope or a plain JSON text, with its HTTP status. */
interface Answer {
  status: number;
  text: string;
  /** What a login or enrolment came to, for the metrics: the result, lowercased, or the error's outcome. */
  outcome?: string;
}

type Fields = Record<string, unknown>;

function bytesField(j: Fields, key: string, size: number): Uint8Array {
  const v = fromB64u(j[key]);
  if (!v || v.length !== size) throw new HttpError(400, `field "${key}" must be base64url of ${size} bytes`);
  return v;
}

const MAX_TOKEN_CHARS = 4096;
/** userInput (login and enrolment) in UTF-8 bytes: what the relying party reads back as LoginStatus `userinput` (src/limits.hpp). */
const MAX_USER_INPUT_BYTES = 1024;
/** The app's clientAdditionalData of a transaction it starts (§5.12; src/limits.hpp). */
export const MAX_CLIENT_DATA_BYTES = 4096;

/** The app's userInput: a string of at most MAX_USER_INPUT_BYTES; absent at an enrolment is ''. */
function userInputField(j: Fields, optional: boolean): string {
  const v = j.userInput === undefined && optional ? '' : j.userInput;
  if (typeof v !== 'string') throw new HttpError(400, 'field "userInput" must be a string');
  if (Buffer.byteLength(v, 'utf8') > MAX_USER_INPUT_BYTES) throw new HttpError(400, `field "userInput" has more than ${MAX_USER_INPUT_BYTES} bytes`);
  return v;
}

function optionalToken(j: Fields, guards: DeviceGuards): string | null {
  if (j.pushToken === undefined) return null;
  if (typeof j.pushToken !== 'string' || j.pushToken === '' || j.pushToken.length > MAX_TOKEN_CHARS) {
    throw new HttpError(400, 'field "pushToken" must be a string of 1..4096 characters');
  }
  refuseToken(j.pushToken, guards);
  return j.pushToken;
}

/** What the device API checks beyond each request's own fields. */
export interface DeviceGuards {
  /** Origins whose browser requests are accepted (normalised, see http.ts checkDeviceRequest). */
  origins: ReadonlySet<string>;
  /** Why a push token may not be stored (a Web Push endpoint the server must not call), or null. */
  pushTokenRefusal(token: string): string | null;
}

function refuseToken(token: string, guards: DeviceGuards): void {
  const refusal = guards.pushTokenRefusal(token);
  if (refusal) throw new HttpError(400, `push token refused: ${refusal}`);
}


interface Route {
  /**
   * The fields the request may carry besides `v`: any other is refused (a misspelt or injected
   * field must not pass silently, as nothing would check it).
   */
  fields: readonly string[];
  /**
   * The field naming the account whose per-account bucket a PIN-trying request draws from
   * (rate-limit.ts), counted whatever address it comes from; none: no per-account limit.
   */
  accountBucket?: 'accountId' | 'checkAccountId';
  /** Its answers are counted by outcome (metrics.ts tapgate_logins_total, tapgate_enrolments_total). */
  counted?: 'login' | 'enrol';
  handle(api: DeviceApi, j: Fields, raw: Uint8Array): Promise<Answer>;
}



/** The `outcome` label of a signed result (`SUCCESS` → `success`, `PIN_FAIL` → `pin_fail`, …). */
function resultOutcome(body: Fields): string {
  return typeof body.result === 'string' && /^[A-Z_]{1,40}$/.test(body.result) ? body.result.toLowerCase() : 'other';
}

/** Refuses a field the route does not name (see DeviceApi.route). */
function allowOnly(j: Fields, allowed: readonly string[]): void {
  for (const key of Object.keys(j)) {
    if (key === 'v' || allowed.includes(key)) continue;
    throw new HttpError(400, `unknown field "${key.length > 40 ? `${key.slice(0, 40)}…` : key}"`);
  }
}

/** The signed `time` of a fresh request: ms since the epoch, an integer. */
function timeField(j: Fields): number {
  const v = j.time;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new HttpError(400, 'field "time" must be a non-negative integer');
  return v;
}

/**
 * What every account-proved call without a session or challenge answers when the account is
 * unknown or its proof fails: the same unsigned 403, so the answer tells nobody which ids exist.
 */
function refused(): HttpError {
  return new HttpError(403, 'the account proof is not accepted');
}

/** What /v1/pincheck and /v1/factors answer for a challenge not issued to that account, known or not. */
function unknownChallenge(): HttpError {
  return new HttpError(404, 'unknown challenge');
}

function accountIdField(j: Fields, key = 'accountId'): number {
  const v = j[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new HttpError(400, `field "${key}" must be a positive integer`);
  }
  return v;
}

// Which QR session statuses each step accepts (qr-session-status.ts), and the error of the others.
const NOT_FOUND = ERR_SESSION_NOT_FOUND;
/** /v1/start: a fresh session, or a started one (the same start again gets the same answer). */
const START_LOGIN: StatusPolicy = { fresh: null, started: null, used: NOT_FOUND, expired: NOT_FOUND, cancelled: NOT_FOUND };
const START_ENROL: StatusPolicy = { ...START_LOGIN, used: ERR_ENROL_QR_EXPIRED, expired: ERR_ENROL_QR_EXPIRED };
/** /v1/enrol and /v1/login: a started session only. */
const ENROL: StatusPolicy = { fresh: NOT_FOUND, started: null, used: ERR_ENROL_QR_EXPIRED, expired: ERR_ENROL_QR_EXPIRED, cancelled: NOT_FOUND };
const LOGIN: StatusPolicy = { fresh: NOT_FOUND, started: null, used: NOT_FOUND, expired: NOT_FOUND, cancelled: NOT_FOUND };

export class DeviceApi {
  /** The device API, one row per path under /device (each is POST). */
  private static readonly ROUTES: Readonly<Record<string, Route>> = {
    '/v1/start': { fields: ['qr', 'nonce'], handle: (api, j, raw) => api.start(j, raw) },
    '/v1/enrol': {
      fields: ['session', 'accountPk', 'boxPk', 'pinPk', 'sigAccount', 'sigPin', 'pushToken', 'bioPk', 'sigBio', 'checkAccountId', 'sigCheckAccount', 'sigCheckPin', 'userInput'],
      // An enrolment tries a PIN only when it proves it with an existing account (§5.2).
      accountBucket: 'checkAccountId',
      counted: 'enrol',
      handle: (api, j, raw) => api.enrol(j, raw),
    },
    '/v1/login': {
      fields: ['session', 'accountId', 'userInput', 'factor', 'sigAccount', 'sigPin', 'sigBio', 'code', 'sigTransaction'],
      accountBucket: 'accountId',
      counted: 'login',
      handle: (api, j, raw) => api.login(j, raw),
    },
    '/v1/cancel': { fields: ['session', 'proof'], handle: (api, j) => api.cancel(j) },
    '/v1/logout': { fields: ['session', 'accountId', 'sigAccount'], handle: (api, j) => api.logout(j) },
    '/v1/applogin': { fields: ['accountId', 'time', 'nonce', 'sigAccount'], handle: (api, j, raw) => api.appLogin(j, raw) },
    '/v1/transaction': {
      fields: ['accountId', 'time', 'nonce', 'secondFactor', 'clientAdditionalData', 'sigAccount'],
      accountBucket: 'accountId',
      handle: (api, j, raw) => api.appTransaction(j, raw),
    },
    '/v1/messages': { fields: ['accountId', 'nonce', 'sigAccount'], handle: (api, j, raw) => api.messages(j, raw) },
    '/v1/pushtoken': { fields: ['accountId', 'token', 'time', 'nonce', 'sigAccount'], handle: (api, j) => api.pushToken(j) },
    '/v1/account/delete': { fields: ['accountId', 'nonce', 'sigAccount'], handle: (api, j) => api.deleteAccount(j) },
    '/v1/ping': { fields: ['session', 'accountId', 'sigAccount'], handle: (api, j, raw) => api.ping(j, raw) },
    '/v1/pincheck/challenge': { fields: ['accountId'], accountBucket: 'accountId', handle: (api, j) => api.pinChallenge(j) },
    '/v1/pincheck': { fields: ['accountId', 'challenge', 'sigAccount', 'sigPin'], accountBucket: 'accountId', handle: (api, j, raw) => api.pinCheck(j, raw) },
    '/v1/factors': {
      fields: ['accountId', 'challenge', 'change', 'newPk', 'sigAccount', 'sigPin', 'sigBio', 'sigNew'],
      accountBucket: 'accountId',
      handle: (api, j, raw) => api.factorChange(j, raw),
    },
    '/v1/factors/commit': { fields: ['accountId', 'pinPk', 'sigAccount'], handle: (api, j) => api.pinCommit(j) },
  };

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    private readonly guards: DeviceGuards,
    /** Token buckets per account for the PIN-trying paths (rate-limit.ts accountRateKey); none: no limit. */
    private readonly accountBuckets?: RateLimiter,
    /** Counts outcomes and PIN failures when the server has metrics (metrics.ts). */
    private readonly metrics?: DeviceMetrics,
    /** Where the security events go (audit-log.ts); none: not recorded. */
    private readonly audit?: AuditLog,
  ) {}

  /** The paths under /device (the metrics' route labels). */
  static readonly PATHS: readonly string[] = Object.keys(DeviceApi.ROUTES);

  /** Notes a security event of the current request (written when it ends: DeviceApi.handle). */
  private note(e: AuditEvent): void {
    void this.audit?.note(e);
  }

  /** A PIN verdict's event: the account's key proved the request, so the device is the actor. */
  private notePin(account: AccountRecord, verdict: Fields): void {
    const action = verdict.result === 'PIN_FAIL' ? 'device.pinFailed' : verdict.result === 'PIN_BLOCKED' ? 'device.pinBlocked' : null;
    const detail: AuditDetail = verdict.result === 'PIN_FAIL' ? { attemptsLeft: Number(verdict.attemptsLeft) } : {};
    if (action) this.note({ action, outcome: 'refused', server: account.server, account: account.id, actor: { kind: 'device', id: String(account.id) }, detail });
  }

  /** Handles `subpath` (the part after /device); always answers. Its security events are recorded once it has. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, subpath: string): Promise<void> {
    if (!this.audit) return this.dispatch(req, res, subpath);
    await this.audit.within({ ip: clientIp(req), actor: ANONYMOUS }, () => this.dispatch(req, res, subpath));
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse, subpath: string): Promise<void> {
    const route = Object.hasOwn(DeviceApi.ROUTES, subpath) ? DeviceApi.ROUTES[subpath] : undefined;
    // Counted here, once per request, after the transaction (a retried transaction counts once).
    const count = (outcome: string) => {
      if (route?.counted) this.metrics?.outcome(route.counted, outcome);
    };
    try {
      if (!route) throw new HttpError(404, 'not found');
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        throw new HttpError(405, 'method not allowed');
      }
      checkDeviceRequest(req, this.guards.origins);
      const raw = new Uint8Array(await readRawBody(req));
      const j = parseJsonObject(Buffer.from(raw));
      if (j.v !== 1) throw new HttpError(400, 'unsupported protocol version');
      allowOnly(j, route.fields);
      const context = this.audit?.context();
      if (context) {
        // The account and session the request names (unproven until a handler says otherwise).
        const named = j.accountId ?? j.checkAccountId;
        context.account = typeof named === 'number' && Number.isSafeInteger(named) && named > 0 ? named : null;
        const session = fromB64u(j.session);
        context.session = session && session.length === SESSION_ID_BYTES ? session : null;
      }
      const accountKey = this.accountBuckets?.enabled && route.accountBucket ? accountRateKey(j[route.accountBucket]) : null;
      const retryAfter = accountKey ? await this.accountBuckets!.take(accountKey) : 0;
      if (retryAfter > 0) {
        this.note({ action: 'rateLimited', outcome: 'refused', server: null, detail: { limit: 'account', path: subpath } });
        count('rate_limited');
        sendRateLimited(req, res, retryAfter);
        return;
      }
      // Each request's database work is one transaction, and the rows it decides on (the QR
      // session, the account) are read locked: concurrent requests on one session or account
      // (a replayed login, parallel PIN guesses) are decided one after the other.
      const answer = await this.store.transaction(() => route.handle(this, j, raw));
      count(answer.outcome ?? 'other');
      sendText(req, res, answer.status, answer.text, 'application/json; charset=utf-8');
    } catch (err) {
      // The unsigned refusals (refused(), a wrong cancel proof, a foreign origin), unless the handler noted why.
      // The server is the named account's, so its relying party sees who is trying its accounts.
      if (err instanceof HttpError && err.status === 403 && this.audit?.notedHere() === 0) {
        const named = this.audit.context()?.account;
        const server = named ? (await this.store.getAccountOrTombstone(named))?.server ?? null : null;
        this.note({ action: 'device.proofRefused', outcome: 'refused', server, detail: { path: subpath, error: err.message } });
      }
      // Unsigned refusals (a malformed request, an unknown session) are `rejected`; failures `error`.
      count(err instanceof HttpError && err.status < 500 ? 'rejected' : 'error');
      sendError(req, res, err);
    }
  }

  /** A signed error; `event`: the security event it answers, when not the code's own (ERROR_EVENTS). */
  private signedError(server: ServerRecord, t: Uint8Array, raw: Uint8Array, code: number, event: SecurityEvent | null = ERROR_EVENTS[code] ?? null): Answer {
    if (event) this.note({ action: event, outcome: 'refused', server: server.id, detail: { code } });
    const sealed = seal(server.sk, t, raw, { error: { code, message: ERROR_MESSAGES[code] ?? 'error' } });
    return { status: ERROR_HTTP_STATUS[code] ?? 400, text: sealed.envelope, outcome: ERROR_OUTCOMES[code] ?? 'error' };
  }

  /** The QR session named by `session`, with its server; unsigned 404 when unknown (no transcript to sign with). */
  private async session(j: Fields): Promise<{ qs: QrSessionRecord; server: ServerRecord; id: Uint8Array }> {
    const id = bytesField(j, 'session', SESSION_ID_BYTES);
    const qs = await this.store.lockQrSession(id);
    const server = qs && await this.store.getServer(qs.server);
    if (!qs || !server) throw new HttpError(404, 'unknown session');
    return { qs, server, id };
  }

  // §5.1
  private async start(j: Fields, raw: Uint8Array): Promise<Answer> {
    const qrBytes = fromB64u(j.qr);
    const qr = qrBytes && parseQr(qrBytes);
    if (!qrBytes || !qr) throw new HttpError(400, 'field "qr" is not a valid QR payload');
    bytesField(j, 'nonce', 32);
    const server = await this.store.getServer(qr.serverId);
    if (!server) throw new HttpError(404, 'unknown server', { code: ERR_SERVER_PARAMETERS_NO_RESULT });
    const t0 = transcriptStart(qrBytes);
    const qs = await this.store.lockQrSession(qr.sessionId);
    // The stored payload must be the scanned one byte for byte (same server, kind, key and URL).
    if (!qs || !bytesEqual(qs.server, server.id) || !bytesEqual(qs.payload, qrBytes)) {
      return this.signedError(server, t0, raw, ERR_SESSION_NOT_FOUND);
    }
    const status = qrSessionStatus(qs, this.now());
    const refused = (qs.kind === 'enrol' ? START_ENROL : START_LOGIN)[status];
    if (refused !== null) return this.signedError(server, t0, raw, refused);
    if (status === 'started') {
      // A session starts once. The same request again (a retry whose answer was lost) gets the
      // same answer, so both ends stay at the same T1; any other start is someone else's, who
      // saw the QR: refused, and the device's session goes on undisturbed. A session its login
      // message started (§6.1) or an AppLogin has no start request: every /v1/start is refused.
      const requestHash = hash(raw);
      if (qs.startRequest && qs.startAnswer !== null && bytesEqual(qs.startRequest, requestHash)) {
        return { status: 200, text: qs.startAnswer };
      }
      return this.signedError(server, t0, raw, ERR_SESSION_NOT_FOUND, 'device.replay');
    }

    const body = await startResponseBody(this.store, server, qs, this.now());
    const sealed = seal(server.sk, t0, raw, body);
    const t1 = transcriptAdvance(t0, raw, sealed.bodyBytes);
    await this.store.setQrStarted(qs.id, t1, { requestHash: hash(raw), answer: sealed.envelope });
    await this.store.markScanned(qs.server, qs.nonce, this.now());
    return { status: 200, text: sealed.envelope };
  }

  // §5.2
  private async enrol(j: Fields, raw: Uint8Array): Promise<Answer> {
    const { qs, server, id } = await this.session(j);
    const accountPk = bytesField(j, 'accountPk', 32);
    const boxPk = bytesField(j, 'boxPk', 32);
    const pinPk = bytesField(j, 'pinPk', 32);
    const sigAccount = bytesField(j, 'sigAccount', 64);
    const sigPin = bytesField(j, 'sigPin', 64);
    const pushToken = optionalToken(j, this.guards);
    const bioPk = j.bioPk === undefined ? null : bytesField(j, 'bioPk', 32);
    const sigBio = bioPk ? bytesField(j, 'sigBio', 64) : null;
    const checkAccountId = j.checkAccountId === undefined ? null : accountIdField(j, 'checkAccountId');
    const sigCheckAccount = checkAccountId !== null ? bytesField(j, 'sigCheckAccount', 64) : null;
    const sigCheckPin = checkAccountId !== null ? bytesField(j, 'sigCheckPin', 64) : null;
    const userInput = userInputField(j, true);
    const t = qs.transcript;
    const status = qrSessionStatus(qs, this.now());
    const refused = qs.kind === 'enrol' ? ENROL[status] : ERR_SESSION_NOT_FOUND;
    if (refused !== null) return this.signedError(server, t, raw, refused, qs.kind === 'enrol' && status === 'used' ? 'device.replay' : null);
    const rp = await this.store.getRpSession(qs.server, qs.nonce);
    if (!rp || rp.cancelled) return this.signedError(server, t, raw, ERR_SESSION_NOT_FOUND);
    const proof = enrolProofMessage(t, userInput);
    if (!verify(accountPk, proof, sigAccount) || !verify(pinPk, proof, sigPin) || (bioPk && !verify(bioPk, proof, sigBio!))) {
      return this.signedError(server, t, raw, ERR_SERVER_AUTHENTICATION_FAILED);
    }
    if (checkAccountId !== null) {
      // A later enrolment proves the app's PIN with an account it has here (§5.2): counted like a login.
      const ref = await this.store.lockAccount(checkAccountId);
      const checkProof = enrolPinCheckProofMessage(t);
      if (!ref || !bytesEqual(ref.server, server.id) || ref.blocked || !verify(ref.pk, checkProof, sigCheckAccount!)) {
        return this.signedError(server, t, raw, ERR_SERVER_AUTHENTICATION_FAILED);
      }
      const verdict = await this.pinVerdict(ref, server.pinAttemptLimit, checkProof, sigCheckPin!);
      this.notePin(ref, verdict);
      if (verdict.result !== 'SUCCESS') {
        const sealed = seal(server.sk, t, raw, verdict);
        await this.store.setQrTranscript(id, transcriptAdvance(t, raw, sealed.bodyBytes));
        return { status: 200, text: sealed.envelope, outcome: resultOutcome(verdict) };
      }
      await this.store.factorVerified(ref.id, this.now());
    }
    const now = this.now();
    const accountId = await this.store.insertAccount({
      server: server.id,
      userid: qs.userId,
      pk: accountPk,
      boxPk,
      pinPk,
      now,
      description: qs.name,
    });
    if (pushToken) await this.store.setPushToken(accountId, pushToken);
    if (bioPk) await this.store.setBioPk(accountId, bioPk);
    await this.store.factorVerified(accountId, now);
    const sealed = seal(server.sk, t, raw, {
      result: 'SUCCESS',
      accountId,
      userId: qs.userId,
      pingTime: server.pingTime,
    });
    await this.store.setQrUsed(id, transcriptAdvance(t, raw, sealed.bodyBytes));
    // The relying party reads the app's userInput from the enrolment as from a login (LoginStatus userinput).
    await this.store.logIn(qs.server, qs.nonce, id, { accountId, userId: qs.userId, userInput, factor: 'pin' }, now);
    return { status: 200, text: sealed.envelope, outcome: 'success' };
  }

  // §5.3
  private async login(j: Fields, raw: Uint8Array): Promise<Answer> {
    const { qs, server, id } = await this.session(j);
    const accountId = accountIdField(j);
    const userInput = userInputField(j, false);
    const sigAccount = bytesField(j, 'sigAccount', 64);
    const factor = j.factor ?? 'PIN';
    if (factor !== 'PIN' && factor !== 'BIOMETRIC' && factor !== 'NONE') throw new HttpError(400, 'field "factor" must be PIN, BIOMETRIC or NONE');
    const sigPin = factor === 'PIN' ? bytesField(j, 'sigPin', 64) : null;
    const sigBio = factor === 'BIOMETRIC' ? bytesField(j, 'sigBio', 64) : null;
    const t = qs.transcript;
    const rp = await this.store.getRpSession(qs.server, qs.nonce);
    const status = qrSessionStatus(qs, this.now());
    if (
      qs.kind !== 'login' ||
      LOGIN[status] !== null ||
      !rp ||
      rp.cancelled  // a logged-in session may log in again: push logins and transactions do
    ) {
      // A login on a session already logged in on is a captured login sent again.
      return this.signedError(server, t, raw, ERR_SESSION_NOT_FOUND, qs.kind === 'login' && status === 'used' ? 'device.replay' : null);
    }
    const code = j.code === undefined ? '' : j.code;
    if (typeof code !== 'string') throw new HttpError(400, 'field "code" must be a string');
    const account = await this.store.lockAccount(accountId);
    const proof = loginProofMessage(t, factor, userInput, code);
    // 1. the account proof
    if (!account || !bytesEqual(account.server, server.id) || account.blocked || !verify(account.pk, proof, sigAccount)) {
      return this.signedError(server, t, raw, ERR_SERVER_AUTHENTICATION_FAILED);
    }
    // The session's user (or the account a transaction or push login was made for) is the only one
    // who may log in on it: another account never approves its transaction nor takes it over.
    if (!bindingAllows(loginBinding(qs, rp), account)) return this.signedError(server, t, raw, ERR_ACCOUNT_NOT_ALLOWED);
    const limit = server.pinAttemptLimit;
    const answer = async (body: Fields): Promise<Answer> => {
      const sealed = seal(server.sk, t, raw, body);
      const next = transcriptAdvance(t, raw, sealed.bodyBytes);
      if (body.result === 'SUCCESS') await this.store.setQrUsed(id, next);
      else await this.store.setQrTranscript(id, next);
      return { status: 200, text: sealed.envelope, outcome: resultOutcome(body) };
    };
    const now = this.now();
    // A push login skips /v1/start (§6.1): its login request is the first the server hears of it.
    if (!rp.scanned) await this.store.markScanned(qs.server, qs.nonce, now);
    if (qs.matchCode && code !== qs.matchCode) {
      await this.store.setQrCancelled(id);
      await this.store.markCancelled(qs.server, qs.nonce, id, now);
      return this.signedError(server, t, raw, ERR_CODE_MISMATCH);
    }
    const tx = qs.tid ? await this.store.getTransaction(qs.tid, server.id) : undefined;
    const sigTransaction = tx ? fromB64u(j.sigTransaction) : null;
    const txSigned = !!tx && !!sigTransaction &&
      verify(account.pk, transactionSigningInput(tx.tid, rpSessionBinding(server.id, qs.nonce), tx.text), sigTransaction);
    if (tx && !txSigned) return this.signedError(server, t, raw, ERR_SERVER_AUTHENTICATION_FAILED);
    // A transaction the app started takes a proof of the factor it requires and no other (§5.12).
    if (tx?.origin === 'app') {
      const proved = sigPin !== null ? 'PIN' : sigBio !== null ? 'BIOMETRIC' : null;
      const required = tx.requiredFactor ?? 'ANY';
      if (proved === null || (required !== 'ANY' && proved !== required)) {
        this.note({ action: 'device.proofRefused', outcome: 'refused', server: server.id, detail: { factor: proved ?? 'none', required } });
        return answer({ result: 'SECOND_FACTOR_REQUIRED' });
      }
    }
    if (sigBio !== null) {
      // A blocked PIN blocks every second factor: a biometric login on a blocked account would
      // let whoever passes the biometric keep guessing the PIN in between.
      if (account.pinFailures >= limit) {
        this.notePin(account, { result: 'PIN_BLOCKED' });
        return answer({ result: 'PIN_BLOCKED' });
      }
      // The biometric: a high-entropy key, so a mismatch means a changed biometric set, not a
      // guess; it is not counted against the PIN, and its success does not reset the PIN count.
      if (!account.bioPk || !verify(account.bioPk, proof, sigBio)) {
        this.note({ action: 'device.proofRefused', outcome: 'refused', server: server.id, detail: { factor: 'biometric' } });
        return answer({ result: 'BIOMETRIC_FAIL' });
      }
      await this.store.factorVerified(account.id, now);
    } else if (sigPin === null) {
      // A login without the second factor: only within pinTimeout of the last verified one (-1:
      // any time after one), a transaction's approval within pinTransTimeout, and never when the
      // relying party asked for it.
      const minutes = tx ? server.pinTransTimeout : server.pinTimeout;
      const recent = account.lastFactorAt !== null && ((!tx && minutes === -1) || now - account.lastFactorAt < minutes * 60_000);
      if (!recent || qs.requireSecondFactor || account.pinFailures >= limit) return answer({ result: 'SECOND_FACTOR_REQUIRED' });
    } else {
      // 2.–3. blocked, or the PIN proof
      const verdict = await this.pinVerdict(account, limit, proof, sigPin);
      this.notePin(account, verdict);
      if (verdict.result !== 'SUCCESS') return answer(verdict);
      await this.store.factorVerified(account.id, now);
    }
    // 4. success
    await this.store.accountLoggedIn(account.id, now);
    if (tx && sigTransaction) await this.store.signTransaction(tx.tid, account.id, sigTransaction);
    await this.store.logIn(qs.server, qs.nonce, id, { accountId: account.id, userId: account.userId, userInput, factor: sigBio !== null ? 'biometric' : sigPin !== null ? 'pin' : 'none' }, now);
    return answer({
      result: 'SUCCESS',
      pingTime: tx?.origin === 'app' ? 0 : server.pingTime,  // an app's transaction is one-shot
      sessionInfo: storedUserContext(qs.userContext).sessioninfo,
      // The app keeps it as the account's last login (its Account lastlogin at the relying party).
      lastLogin: now,
    });
  }

  /** Rules 2–3 of §5.3, shared by login and the PIN check: blocked, wrong (counted) or right. */
  private async pinVerdict(account: AccountRecord, limit: number, proof: Uint8Array, sigPin: Uint8Array): Promise<Fields> {
    if (account.pinFailures >= limit) return { result: 'PIN_BLOCKED' };
    // A PIN key prepared by a PIN change (§5.10) whose commit never arrived becomes the PIN key
    // when the device first uses it: the device has switched, so the old key is no longer needed.
    if (account.pendingPinPk && verify(account.pendingPinPk, proof, sigPin)) {
      await this.store.promotePinPk(account.id, account.pendingPinPk);
    } else if (!verify(account.pinPk, proof, sigPin)) {
      const failures = account.pinFailures + 1;
      await this.store.setPinFailures(account.id, failures);
      // Once committed: a rolled-back or retried transaction counted nothing.
      this.store.sql.afterCommit(() => this.metrics?.pinFailure(failures >= limit));
      if (failures >= limit) return { result: 'PIN_BLOCKED' };
      return { result: 'PIN_FAIL', attemptsLeft: limit - failures };
    }
    if (account.pinFailures !== 0) await this.store.setPinFailures(account.id, 0);
    return { result: 'SUCCESS' };
  }

  /**
   * Consumes a challenge of §5.6 and returns the account it was issued to, with its server. A
   * challenge not issued to `accountId` (unknown, used, expired, another account's) gets the same
   * unsigned 404 whether the account exists or not: the answer tells nobody which ids exist.
   */
  private async challengedAccount(accountId: number, challenge: Uint8Array): Promise<{ account: AccountRecord; server: ServerRecord }> {
    const issued = await this.store.takePinChallenge(challenge);
    if (!issued || issued.account !== accountId || this.now() > issued.expires) throw unknownChallenge();
    const account = await this.store.lockAccount(accountId);
    const server = account && await this.store.getServer(account.server);
    if (!account || !server) throw unknownChallenge();
    return { account, server };
  }

  // §5.6: a fresh single-use challenge, unsigned (it is only a random value the next request signs).
  // Unknown account ids get a challenge too, stored for none: the answer is the same for both.
  private async pinChallenge(j: Fields): Promise<Answer> {
    const accountId = accountIdField(j);
    const challenge = randomBytes(32);
    const now = this.now();
    const account = await this.store.getAccount(accountId);
    if (account) await this.store.addPinChallenge(challenge, account.id, now + PIN_CHALLENGE_LIFETIME_MS, now);
    return { status: 200, text: JSON.stringify({ challenge: toB64u(challenge) }) };
  }

  // §5.7: the PIN proof over the challenge, with the same counting as a login.
  private async pinCheck(j: Fields, raw: Uint8Array): Promise<Answer> {
    const accountId = accountIdField(j);
    const challenge = bytesField(j, 'challenge', 32);
    const sigAccount = bytesField(j, 'sigAccount', 64);
    const sigPin = bytesField(j, 'sigPin', 64);
    const t = transcriptStart(challenge);
    const { account, server } = await this.challengedAccount(accountId, challenge);
    const proof = pinCheckProofMessage(challenge);
    if (account.blocked || !verify(account.pk, proof, sigAccount)) {
      return this.signedError(server, t, raw, ERR_SERVER_AUTHENTICATION_FAILED);
    }
    const verdict = await this.pinVerdict(account, server.pinAttemptLimit, proof, sigPin);
    this.notePin(account, verdict);
    if (verdict.result === 'SUCCESS') await this.store.factorVerified(account.id, this.now());
    return { status: 200, text: seal(server.sk, t, raw, verdict).envelope };
  }

  // §5.10: change the PIN (prepared, §5.11 commits it), add or remove the biometric, over a
  // single-use challenge of §5.6. Every signature covers the challenge, the change and the new key.
  private async factorChange(j: Fields, raw: Uint8Array): Promise<Answer> {
    const accountId = accountIdField(j);
    const challenge = bytesField(j, 'challenge', 32);
    const change = j.change as FactorChange;
    if (typeof change !== 'string' || !Object.hasOwn(FACTOR_CHANGES, change)) {
      throw new HttpError(400, 'field "change" must be PIN, ADD_BIOMETRIC or REMOVE_BIOMETRIC');
    }
    const newPk = change === 'REMOVE_BIOMETRIC' ? null : bytesField(j, 'newPk', 32);
    const sigAccount = bytesField(j, 'sigAccount', 64);
    const sigNew = newPk ? bytesField(j, 'sigNew', 64) : null;
    const byBiometric = change === 'PIN' && j.sigBio !== undefined;
    const sigFactor = change === 'REMOVE_BIOMETRIC' ? null : bytesField(j, byBiometric ? 'sigBio' : 'sigPin', 64);
    const t = transcriptStart(challenge);
    const { account, server } = await this.challengedAccount(accountId, challenge);
    const proof = factorChangeProofMessage(challenge, change, newPk);
    if (account.blocked || !verify(account.pk, proof, sigAccount) || (newPk && !verify(newPk, proof, sigNew!))) {
      return this.signedError(server, t, raw, ERR_SERVER_AUTHENTICATION_FAILED);
    }
    const limit = server.pinAttemptLimit;
    let verdict: Fields = { result: 'SUCCESS' };
    if (byBiometric) {
      // The biometric may stand in for the old PIN, but never on a blocked PIN: that would
      // make it a way round the attempt limit.
      if (account.pinFailures >= limit) verdict = { result: 'PIN_BLOCKED' };
      else if (!account.bioPk || !verify(account.bioPk, proof, sigFactor!)) {
        verdict = { result: 'BIOMETRIC_FAIL' };
        this.note({ action: 'device.proofRefused', outcome: 'refused', server: server.id, detail: { factor: 'biometric' } });
      }
    } else if (sigFactor) {
      verdict = await this.pinVerdict(account, limit, proof, sigFactor);
    }
    this.notePin(account, verdict);
    if (verdict.result === 'SUCCESS') {
      if (sigFactor) await this.store.factorVerified(account.id, this.now());
      if (change === 'PIN') await this.store.setPendingPinPk(account.id, newPk!);
      else await this.store.setBioPk(account.id, change === 'ADD_BIOMETRIC' ? newPk : null);
    }
    return { status: 200, text: seal(server.sk, t, raw, verdict).envelope };
  }

  // §5.11: the device switched to the prepared PIN key; replays are harmless (same key, no change).
  private async pinCommit(j: Fields): Promise<Answer> {
    const accountId = accountIdField(j);
    const pinPk = bytesField(j, 'pinPk', 32);
    const sig = bytesField(j, 'sigAccount', 64);
    const account = await this.store.lockAccount(accountId);
    if (!account || !verify(account.pk, pinCommitProofMessage(account.id, pinPk), sig)) throw refused();
    const promoted = await this.store.promotePinPk(account.id, pinPk);
    return { status: 200, text: JSON.stringify({ committed: promoted || bytesEqual(account.pinPk, pinPk) }) };
  }

  // §5.8: keep a continuous login alive, or learn that it was logged out.
  private async ping(j: Fields, raw: Uint8Array): Promise<Answer> {
    const { qs, server, id } = await this.session(j);
    const account = await this.store.getAccount(accountIdField(j));
    const sig = bytesField(j, 'sigAccount', 64);
    const t = qs.transcript;
    if (!account || !bytesEqual(account.server, server.id) || !verify(account.pk, pingProofMessage(t), sig)) {
      return this.signedError(server, t, raw, ERR_SERVER_AUTHENTICATION_FAILED);
    }
    const now = this.now();
    const rp = await currentRpSession(this.store, server, qs.nonce, now);
    const alive = !!rp && rp.loggedIn && rp.accountId === account.id && server.pingTime > 0;
    if (alive) await this.store.markSeen(qs.server, qs.nonce, now);
    const sealed = seal(server.sk, t, raw, { status: alive ? 'ACTIVE' : 'LOGGED_OUT' });
    await this.store.setQrTranscript(id, transcriptAdvance(t, raw, sealed.bodyBytes));
    return { status: 200, text: sealed.envelope };
  }

  // §5.9: the app logs in to its own backend. The web nonce is a relying-party session nonce the
  // app's backend checks with getSession; the login continues on a fresh login QR session of it.
  private async appLogin(j: Fields, raw: Uint8Array): Promise<Answer> {
    const account = await this.store.getAccount(accountIdField(j));
    const server = account && await this.store.getServer(account.server);
    if (!account || !server) throw new HttpError(404, 'unknown account');
    const time = timeField(j);
    const nonce = bytesField(j, 'nonce', 32);
    const t0 = transcriptStart(nonce);
    // Fresh and first: a replayed AppLogin (same time and nonce) opens nothing; both refusals answer alike.
    if (!verify(account.pk, appLoginProofMessage(account.id, time, nonce), bytesField(j, 'sigAccount', 64))) {
      return this.signedError(server, t0, raw, ERR_SERVER_AUTHENTICATION_FAILED);
    }
    if (!await this.fresh(account.id, time, nonce)) return this.signedError(server, t0, raw, ERR_SERVER_AUTHENTICATION_FAILED, 'device.replay');
    const id = randomBytes(SESSION_ID_BYTES);
    // `app.`: a nonce relying parties cannot start logins on (rp-api.ts loginNonce).
    const webNonce = `app.${toB64u(randomBytes(24))}`;
    const now = this.now();
    const sealed = seal(server.sk, t0, raw, {
      session: toB64u(id),
      webNonce,
      server: serverParams(server),
      time: now,
    });
    await this.startedAppSession(server, id, webNonce, transcriptAdvance(t0, raw, sealed.bodyBytes), now);
    return { status: 200, text: sealed.envelope };
  }

  /**
   * The login QR session an AppLogin (§5.9) or an app transaction (§5.12) continues on, already
   * started (the app's request was its start). It always asks the second factor: enforced here,
   * not only in the core.
   */
  private async startedAppSession(server: ServerRecord, id: Uint8Array, nonce: string, t1: Uint8Array, now: number,
    bound: { tid: string; boundAccount: number } | Record<string, never> = {}): Promise<void> {
    await this.store.insertQrSession({
      id,
      server: server.id,
      nonce,
      kind: 'login',
      userid: null,
      name: null,
      usercontext: null,
      payload: buildLoginQr(server.id, id),
      created: now,
      expires: now + APPLOGIN_LIFETIME_MS,
      transcript: t1,
      requireSecondFactor: true,
      ...bound,
    });
    await this.store.setQrStarted(id, t1);
  }

  // §5.12: a transaction the app starts for one of its accounts. The server records it (text: the
  // app's clientAdditionalData, the factor the approval requires, the account that alone may sign
  // it) on a relying-party session of its own (`app.tx.…`, on which no relying party can start a
  // login) and answers with a started login session there, like an AppLogin's.
  private async appTransaction(j: Fields, raw: Uint8Array): Promise<Answer> {
    const account = await this.store.getAccount(accountIdField(j));
    const server = account && await this.store.getServer(account.server);
    if (!account || !server) throw new HttpError(404, 'unknown account');
    const time = timeField(j);
    const nonce = bytesField(j, 'nonce', 32);
    const factor = j.secondFactor;
    if (typeof factor !== 'string' || !Object.hasOwn(REQUIRED_FACTORS, factor)) {
      throw new HttpError(400, 'field "secondFactor" must be ANY, PIN or BIOMETRIC');
    }
    const data = j.clientAdditionalData ?? '';
    if (typeof data !== 'string') throw new HttpError(400, 'field "clientAdditionalData" must be a string');
    if (Buffer.byteLength(data, 'utf8') > MAX_CLIENT_DATA_BYTES) {
      throw new HttpError(400, `field "clientAdditionalData" has more than ${MAX_CLIENT_DATA_BYTES} bytes`);
    }
    const t0 = transcriptStart(nonce);
    const proof = appTransactionProofMessage(account.id, time, nonce, factor as RequiredFactor, data);
    // A blocked account starts nothing; a replay (same time and nonce) creates nothing: both answer alike.
    if (account.blocked || !verify(account.pk, proof, bytesField(j, 'sigAccount', 64))) {
      return this.signedError(server, t0, raw, ERR_SERVER_AUTHENTICATION_FAILED);
    }
    if (!await this.fresh(account.id, time, nonce)) return this.signedError(server, t0, raw, ERR_SERVER_AUTHENTICATION_FAILED, 'device.replay');
    const id = randomBytes(SESSION_ID_BYTES);
    const rpNonce = `app.tx.${toB64u(randomBytes(24))}`;
    const tid = toB64u(randomBytes(12));
    const now = this.now();
    await this.store.addAppTransaction({ tid, server: server.id, nonce: rpNonce, text: data, requiredFactor: factor, creator: account.id, now });
    const sealed = seal(server.sk, t0, raw, {
      session: toB64u(id),
      transaction: { tid, rpSession: toB64u(rpSessionBinding(server.id, rpNonce)), text: data },
      server: serverParams(server),
      time: now,
    });
    await this.startedAppSession(server, id, rpNonce, transcriptAdvance(t0, raw, sealed.bodyBytes), now, { tid, boundAccount: account.id });
    return { status: 200, text: sealed.envelope };
  }

  // §6.2: what push may have missed. Deleted accounts can still fetch their deletion message.
  private async messages(j: Fields, raw: Uint8Array): Promise<Answer> {
    const account = await this.store.getAccountOrTombstone(accountIdField(j));
    const server = account && await this.store.getServer(account.server);
    if (!account || !server) throw new HttpError(404, 'unknown account');
    const nonce = bytesField(j, 'nonce', 32);
    const t = transcriptStart(nonce);
    if (!verify(account.pk, messagesProofMessage(nonce), bytesField(j, 'sigAccount', 64))) {
      return this.signedError(server, t, raw, ERR_SERVER_AUTHENTICATION_FAILED);
    }
    const messages = (await this.store.messagesFor(account.id, this.now())).map((m) => toB64u(m));
    return { status: 200, text: seal(server.sk, t, raw, { messages }).envelope };
  }

  // §6.3: fire-and-forget registration of the app's push token.
  private async pushToken(j: Fields): Promise<Answer> {
    const accountId = accountIdField(j);
    if (typeof j.token !== 'string' || j.token === '' || j.token.length > MAX_TOKEN_CHARS) {
      throw new HttpError(400, 'field "token" must be a string of 1..4096 characters');
    }
    refuseToken(j.token, this.guards);
    const time = timeField(j);
    const nonce = bytesField(j, 'nonce', 32);
    const sig = bytesField(j, 'sigAccount', 64);
    const account = await this.store.lockAccount(accountId);
    // A replayed call (an older token put back) is refused like a bad proof.
    if (!account || !verify(account.pk, pushTokenProofMessage(account.id, time, nonce, j.token), sig)) throw refused();
    if (!await this.fresh(account.id, time, nonce)) {
      this.note({ action: 'device.replay', outcome: 'refused', server: account.server, detail: { path: '/v1/pushtoken' } });
      throw refused();
    }
    await this.store.setPushToken(account.id, j.token);
    return { status: 200, text: '{}' };
  }

  // §6.4: the app deleted the account.
  private async deleteAccount(j: Fields): Promise<Answer> {
    const accountId = accountIdField(j);
    const nonce = bytesField(j, 'nonce', 32);
    const sig = bytesField(j, 'sigAccount', 64);
    const account = await this.store.getAccount(accountId);
    if (!account || !verify(account.pk, deleteProofMessage(account.id, nonce), sig)) throw refused();
    await this.store.deleteAccount(account.id, this.now());
    return { status: 200, text: '{}' };
  }

  // §5.4: fire-and-forget, unsigned. Only the device that started the session knows T1, so only
  // it can cancel: whoever merely saw the QR cannot, and a session nobody started cannot be.
  private async cancel(j: Fields): Promise<Answer> {
    const { qs, id } = await this.session(j);
    const proof = bytesField(j, 'proof', 32);
    if (!qs.started || !qs.t1 || !bytesEqual(cancelProof(qs.t1), proof)) throw new HttpError(403, 'the cancel proof is not accepted');
    await this.store.setQrCancelled(id);
    await this.store.markCancelled(qs.server, qs.nonce, id, this.now());
    if (qs.tid) await this.store.rejectTransaction(qs.tid);
    return { status: 200, text: '{}' };
  }

  // §5.5: fire-and-forget, unsigned. The proof is over this session's T1, and only the login this
  // QR session made ends: a replay once that login is over (or a later login, on another QR
  // session, of the same account on the same nonce) changes nothing.
  private async logout(j: Fields): Promise<Answer> {
    const { qs, server, id } = await this.session(j);
    const accountId = accountIdField(j);
    const sig = bytesField(j, 'sigAccount', 64);
    const account = await this.store.getAccount(accountId);
    if (!account || !bytesEqual(account.server, server.id) || !qs.t1 || !verify(account.pk, logoutProofMessage(qs.t1), sig)) {
      throw refused();
    }
    const rp = await this.store.getRpSession(qs.server, qs.nonce);
    if (rp && rp.loggedIn && rp.accountId === account.id && rp.loginQr && bytesEqual(rp.loginQr, id)) {
      await this.store.logOut(qs.server, qs.nonce, this.now());
    }
    return { status: 200, text: '{}' };
  }

  /**
   * A fresh out-of-session request (§5.9, §6.3): its signed time within the window of the
   * server's clock, and its nonce not seen from this account before (kept until the time has
   * left the window, when the time check alone refuses a replay).
   */
  private async fresh(accountId: number, time: number, nonce: Uint8Array): Promise<boolean> {
    if (Math.abs(time - this.now()) > FRESHNESS_WINDOW_MS) return false;
    return this.store.rememberDeviceNonce(accountId, nonce, time + FRESHNESS_WINDOW_MS);
  }
}
