import { AppTokenClient } from './app-token.js';
import { TypedEventTarget, type AuthenticatorEventMap } from './events.js';
import type { CoreEngine, CoreLoader, CoreOutput } from './core.js';
import { TapgateError, describe, misuse, networkError, originOf, storageError, type TapgateErrorInfo } from './errors.js';
import { Session, type SessionCall, type SessionHost } from './session.js';
import type {
  Account,
  AppTransactionOptions,
  BiometricProvider,
  ChangePinInput,
  Config,
  FetchLike,
  HistoryItem,
  SecondFactorChangeResult,
  SessionSnapshot,
  StateStorage,
} from './types.js';

export interface AuthenticatorOptions {
  /** Where the (encrypted) state lives. Node: a folder path or a StateStorage. Browser: IndexedDB by default. */
  storage?: StateStorage | string;
  config?: Config;
  /** Replaces the transport (tests use it to observe or disturb traffic). */
  fetch?: FetchLike;
  /** Milliseconds before a request counts as a network failure. Default 15 s. */
  requestTimeout?: number;
  /** The device clock (ms since the epoch). Default `Date.now`; tests use it to skew time. */
  clock?: () => number;
  /**
   * What the sessions' deadlines are kept with: one timer per session, `setTimeout(fn, ms)` and
   * `clearTimeout(handle)`. Default the global ones; tests pass simulated ones (with `clock`) to
   * run timeouts without waiting. Request timeouts (`requestTimeout`) stay on the global timers.
   */
  timers?: TimerFunctions;
  /** The platform biometric; without one only the PIN is offered. */
  biometric?: BiometricProvider;
}

/** The timer functions an Authenticator keeps session deadlines with (the globals by default). */
export interface TimerFunctions {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** @internal Everything a platform entry supplies. */
export interface PlatformDeps {
  loadCore: CoreLoader;
  storage: StateStorage;
  scanQr?: (image: unknown) => Promise<Uint8Array | null>;
  /** The platform's own transport where it is cheaper than `fetch` (Node); `options.fetch` wins. */
  fetch?: FetchLike;
}

/** @internal Each entry point ('.', './node') installs its platform once. */
let platformFor: ((options: AuthenticatorOptions) => PlatformDeps) | undefined;
export function usePlatform(p: (options: AuthenticatorOptions) => PlatformDeps): void {
  platformFor = p;
}

type CoreResult = { ok: true; session?: number } | { ok: false; error: TapgateErrorInfo; session?: number };
type PushOutcome = { ok: true; outcome: 'session' | 'handled' | 'duplicate'; session?: number } | { ok: false; error: TapgateErrorInfo };
type RequestsResult = { ok: true; requests: number[] } | { ok: false; error: TapgateErrorInfo };
type RequestDone = { request: number; ok: boolean; error?: TapgateErrorInfo; processed?: number } & Partial<SecondFactorChangeResult>;

/** setTimeout fires at once for delays above 2^31 − 1 ms (24.8 days): longer timers wait in steps. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
const utf8 = new TextDecoder();

/** What a push payload may arrive as: the bytes, their base64url text, or a push data map. */
export type PushPayload = Uint8Array | string | { tapgate: string };

/**
 * The authenticator: accounts, history and the sessions that run on them. The C++ core decides
 * everything; this class performs its I/O (fetch, timers, storage) and turns its events into DOM events.
 */
export class Authenticator extends TypedEventTarget<AuthenticatorEventMap> {
  #engine: CoreEngine;
  #storage: StateStorage;
  #fetch: FetchLike;
  #requestTimeout: number;
  #sessions = new Map<number, Session>();
  /** Each session's one pending timer, at the core's deadline for it. */
  #deadlines = new Map<number, unknown>();
  #timers: TimerFunctions;
  #writes: Promise<void> = Promise.resolve();
  /** The latest save; rejects with its storage error (the state it carried is not stored). */
  #lastSave: Promise<void> = Promise.resolve();
  /** The save that waits for the one before it to finish; a newer state replaces its state. */
  #queuedSave: { state: string } | null = null;
  #scanQr?: PlatformDeps['scanQr'];
  #host: SessionHost;
  #requests = new Map<number, (done: RequestDone) => void>();
  #closed = false;
  #now: () => number;
  #hasBiometric: boolean;

  /**
   * Opens the authenticator: loads the wasm core and the stored state. Rejects with a `storage`
   * error when the stored state can't be read (it is never replaced by an empty one).
   */
  static async create(options: AuthenticatorOptions = {}): Promise<Authenticator> {
    if (!platformFor) throw misuse('UNSUPPORTED', 'import Authenticator from @tapgate/authenticator or @tapgate/authenticator/node');
    const deps = platformFor(options);
    const [module, stateBlob] = await Promise.all([deps.loadCore(), deps.storage.load()]);
    const core = new module.Engine();
    const now = options.clock ?? Date.now;
    const biometricAvailable = options.biometric ? await options.biometric.isAvailable() : false;
    const config = { ...(options.config ?? {}), biometricAvailable };
    const opened = JSON.parse(core.open(JSON.stringify(config), stateBlob ?? '', now())) as CoreResult;
    if (!opened.ok) {
      core.delete();
      throw new TapgateError(opened.error);
    }
    return new Authenticator(core, deps, options);
  }

  private constructor(core: CoreEngine, deps: PlatformDeps, options: AuthenticatorOptions) {
    super();
    this.#engine = core;
    this.#hasBiometric = options.biometric !== undefined;
    this.#storage = deps.storage;
    this.#scanQr = deps.scanQr;
    const fetchImpl = options.fetch ?? deps.fetch ?? (globalThis.fetch?.bind(globalThis) as FetchLike | undefined);
    if (!fetchImpl) throw misuse('INVALID_ARGUMENT', 'no fetch available: pass options.fetch');
    this.#fetch = fetchImpl;
    this.#requestTimeout = options.requestTimeout ?? 15_000;
    this.#now = options.clock ?? Date.now;
    this.#timers = options.timers ?? {
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    const appTokens = new AppTokenClient(fetchImpl, this.#requestTimeout, this.#now);
    this.#host = {
      call: (fn, session, ...args) => this.#call(fn, session, args),
      snapshot: (id) => JSON.parse(this.#core.session(id)) as SessionSnapshot,
      flushed: () => this.#lastSave,
      exchangeToken: (webNonce, serverUrl, tokenOptions) => {
        void this.#core;  // WRONG_STATE after close(), like every other call
        return appTokens.exchange(webNonce, serverUrl, tokenOptions);
      },
      biometricSecret: async (purpose) => {
        const secret = await options.biometric?.secret(purpose);
        if (secret != null && (!(secret instanceof Uint8Array) || secret.length !== 32)) {
          throw misuse('INVALID_ARGUMENT', 'a BiometricProvider returns 32 bytes');
        }
        return secret ?? null;
      },
    };
    this.#pump();  // what opening produced: notices for sessions a restart cut short
  }

  // Reading accounts, sessions or history counts as user activity (it keeps an AppLogin alive);
  // push-related calls do not.
  get accounts(): Account[] {
    this.#activity();
    return JSON.parse(this.#core.accounts()) as Account[];
  }

  get sessions(): Session[] {
    this.#activity();
    return [...this.#sessions.values()];
  }

  get history(): HistoryItem[] {
    this.#activity();
    return JSON.parse(this.#core.history(this.#now())) as HistoryItem[];
  }

  /**
   * Logs the app itself in to its backend: one account, a server with pingTime > 0, always a
   * second factor (STARTING → WAIT_FOR_SECOND_FACTOR). Once ACTIVE, `session.appLogin.webNonce`
   * is what the backend checks with the relying-party getSession call.
   */
  async startAppLogin(): Promise<Session> {
    this.#noteActivity();
    return this.#started(this.#core.startAppLogin(this.#now()));
  }

  /**
   * Starts a transaction for one of the app's accounts (the reference's create(transaction, account)):
   * the server records `clientAdditionalData` and the second factor required, and the session goes
   * STARTING → WAIT_FOR_SECOND_FACTOR (only the required factor is offered) → DONE once the
   * account key has signed it. Bad arguments reject (INVALID_ARGUMENT, UNKNOWN_ACCOUNT) and the
   * session, in ERROR, is in `sessions`.
   */
  async startTransaction(account: Pick<Account, 'serverId' | 'accountId'>, options: AppTransactionOptions = {}): Promise<Session> {
    this.#noteActivity();
    const ref = JSON.stringify({ serverId: account?.serverId, accountId: account?.accountId });
    return this.#started(this.#core.startTransaction(ref, options.clientAdditionalData ?? '', options.secondFactor ?? 'ANY', this.#now()));
  }

  /**
   * Starts a session from QR bytes, a `tapgate:` or https link, or bare base64url text.
   * Resolves as soon as the session exists (state STARTING); unreadable data rejects with
   * QR_PARSE_ERROR (32) / QR_UNKNOWN_TYPE (33) and the session, in ERROR, is in `sessions`.
   */
  async startSession(data: Uint8Array | string): Promise<Session> {
    if (!(data instanceof Uint8Array) && typeof data !== 'string') {
      this.#activity();
      throw misuse('INVALID_ARGUMENT', 'startSession takes a Uint8Array or a string');
    }
    this.#noteActivity();
    const now = this.#now();
    return this.#started(data instanceof Uint8Array ? this.#core.startSession(data, now) : this.#core.startSessionFromLink(data.trim(), now));
  }

  /** The Session a start call made; a start that failed at once rejects, carrying the session. */
  #started(raw: string): Session {
    const result = JSON.parse(raw) as CoreResult;
    const session = this.#sessionFor(result.session!);
    this.#pump();
    if (!result.ok) {
      const error = new TapgateError(result.error);
      Object.defineProperty(error, 'session', { value: session, enumerable: false });
      throw error;
    }
    return session;
  }

  #activity(): void {
    this.#noteActivity();
    this.#pump();
  }

  /**
   * Activity right before a core call whose outputs are pumped anyway: that one pump takes both
   * batches, in order (an empty takeOutputs round trip and JSON.parse less per user action).
   */
  #noteActivity(): void {
    this.#core.noteUserActivity(this.#now());
  }

  /**
   * Hands a push message to the engine. A login message starts a session (also announced by a
   * `session` event) and resolves with it; logout, deletion and note messages act and resolve with
   * null once the change is saved (a push handler in a service worker or a background task may be
   * stopped as soon as it resolves; a failed save is an `error` event). Messages that are not for
   * this app, forged, expired or already delivered (PUSH_REPLAYED) reject with a `security` error
   * and change nothing. A login session goes on at once: attach its listeners in the `session`
   * event, or read its state.
   */
  async processPush(payload: PushPayload): Promise<Session | null> {
    let raw: string;
    if (payload instanceof Uint8Array) raw = this.#core.processPush(payload, this.#now());
    else if (typeof payload === 'string') raw = this.#core.processPushText(payload.trim(), this.#now());
    else if (payload && typeof payload === 'object' && typeof payload.tapgate === 'string') raw = this.#core.processPushText(payload.tapgate, this.#now());
    else throw misuse('INVALID_ARGUMENT', 'processPush takes bytes, base64url text or { tapgate }');
    const result = JSON.parse(raw) as PushOutcome;
    this.#pump();
    if (!result.ok) throw new TapgateError(result.error);
    if (result.outcome === 'session') return this.#sessionFor(result.session!);
    await this.#lastSave.catch(() => {});  // reported by the `error` event
    return null;
  }

  /**
   * Pulls the messages push may have missed from every account's server; they act exactly like
   * pushed ones (and are deduplicated with them). Resolves with how many were new; rejects with
   * the first failure after all servers answered.
   */
  async retrieveMessages(): Promise<number> {
    const done = await this.#appRequests(this.#core.retrieveMessages());
    const failed = done.find((d) => !d.ok);
    if (failed?.error) throw new TapgateError(failed.error);
    return done.reduce((n, d) => n + (d.processed ?? 0), 0);
  }

  /** Registers the push token with every account's server (and with future enrolments). */
  async updatePushToken(token: string): Promise<void> {
    if (typeof token !== 'string') throw misuse('INVALID_ARGUMENT', 'the push token is a string');
    const failed = (await this.#appRequests(this.#core.updatePushToken(token, this.#now()))).find((d) => !d.ok);
    if (failed?.error) throw new TapgateError(failed.error);
  }

  /** Deletes the account here (at once) and tells its server. */
  async deleteAccount(account: Pick<Account, 'serverId' | 'accountId'>): Promise<void> {
    const raw = this.#core.deleteAccount(JSON.stringify({ serverId: account?.serverId, accountId: account?.accountId }), this.#now());
    const result = JSON.parse(raw) as CoreResult;
    this.#pump();
    if (!result.ok) throw new TapgateError(result.error);
    await this.#lastSave;
  }

  /**
   * Changes the app's PIN for every account, authorised by the current PIN or the biometric.
   * Every server first holds the new PIN as pending; the device switches only once all of them
   * do, so a failure part-way (rejected, with the old PIN still valid everywhere) never leaves
   * accounts with different PINs. A wrong current PIN resolves with `PIN_FAIL`, like a login.
   */
  async changePin(input: ChangePinInput): Promise<SecondFactorChangeResult> {
    if (typeof input?.newPin !== 'string' || (input.pin !== undefined && typeof input.pin !== 'string')) {
      throw misuse('INVALID_ARGUMENT', 'changePin takes { pin | biometric: true, newPin }');
    }
    if (input.pin === undefined && !input.biometric) throw misuse('INVALID_ARGUMENT', 'authorise with the current pin or biometric: true');
    if (input.biometric && !this.#hasBiometric) throw misuse('INVALID_ARGUMENT', 'no BiometricProvider was given');
    this.#activity();
    const secret = input.biometric ? await this.#host.biometricSecret('verify') : new Uint8Array(0);
    if (!secret) return { result: 'BIOMETRIC_FAIL' };  // cancelled or not recognised
    return this.#factorChange(() => this.#core.changePin(input.pin ?? '', secret, input.newPin, this.#now()), secret);
  }

  /** Adds the biometric (from the BiometricProvider) to every account, authorised by the PIN. */
  async addBiometric(input: { pin: string }): Promise<SecondFactorChangeResult> {
    if (typeof input?.pin !== 'string') throw misuse('INVALID_ARGUMENT', 'addBiometric takes { pin }');
    if (!this.#hasBiometric) throw misuse('INVALID_ARGUMENT', 'no BiometricProvider was given');
    this.#activity();
    const secret = await this.#host.biometricSecret('enrol');
    if (!secret) return { result: 'BIOMETRIC_FAIL' };  // cancelled or not recognised
    return this.#factorChange(() => this.#core.addBiometric(input.pin, secret, this.#now()), secret);
  }

  /**
   * Stops using the biometric: at once on this device (it is never offered again), then at every
   * server. Rejects when a server could not be told; the device has let go of it all the same.
   */
  async removeBiometric(): Promise<void> {
    this.#activity();
    await this.#factorChange(() => this.#core.removeBiometric(this.#now()), new Uint8Array(0));
  }

  async #factorChange(start: () => string, secret: Uint8Array): Promise<SecondFactorChangeResult> {
    let pending: Promise<RequestDone[]>;
    try {
      pending = this.#appRequests(start());
    } finally {
      secret.fill(0);  // the core keeps only keys derived from it
    }
    const [done] = await pending;
    await this.#writes;
    if (!done.ok) throw new TapgateError(done.error!);
    return done.attemptsLeft ? { result: done.result!, attemptsLeft: done.attemptsLeft } : { result: done.result! };
  }

  /** Decodes a QR code image (ImageData, Blob, or PNG/JPEG bytes) to its exact payload bytes. */
  async scanQr(image: unknown): Promise<Uint8Array | null> {
    if (!this.#scanQr) throw misuse('UNSUPPORTED', 'QR scanning is not available on this platform');
    return this.#scanQr(image);
  }

  /** Stops every live session and releases the engine. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const session of this.#sessions.values()) session.settle();  // their properties stay readable
    this.#closed = true;  // answers still in flight are dropped from now on
    for (const handle of this.#deadlines.values()) this.#timers.clearTimeout(handle);
    this.#deadlines.clear();
    await this.#writes;
    this.#engine.delete();
  }

  /** The engine; every use after close() is a misuse error rather than a crash. */
  get #core(): CoreEngine {
    if (this.#closed) throw new TapgateError({ code: 'WRONG_STATE', numericCode: 0, kind: 'misuse', message: 'the authenticator is closed' });
    return this.#engine;
  }

  #appRequests(raw: string): Promise<RequestDone[]> {
    const result = JSON.parse(raw) as RequestsResult;
    if (!result.ok) throw new TapgateError(result.error);
    const waits = result.requests.map((id) => new Promise<RequestDone>((resolve) => this.#requests.set(id, resolve)));
    this.#pump();
    return Promise.all(waits);
  }

  /** The Session object for a core session, made on first sight (push logins start in the core). */
  #sessionFor(id: number): Session {
    let session = this.#sessions.get(id);
    if (!session) {
      session = new Session(id, this.#host);
      this.#sessions.set(id, session);
      this.dispatchEvent(new CustomEvent('session', { detail: { session } }));
    }
    return session;
  }

  #call(fn: SessionCall, session: number, args: (string | Uint8Array)[]): void {
    this.#noteActivity();
    const now = this.#now();
    const text = (i: number) => (typeof args[i] === 'string' ? (args[i] as string) : '');
    let raw: string;
    switch (fn) {
      case 'startUserInteraction': raw = this.#core.startUserInteraction(session, now); break;
      case 'setAccount': raw = this.#core.setAccount(session, text(0), text(1), text(2), now); break;
      case 'setPinBiometric': raw = this.#core.setPinBiometric(session, text(0), args[1] as Uint8Array, now); break;
      case 'reportBiometricFailure': raw = this.#core.reportBiometricFailure(session); break;
      case 'inputCancel': raw = this.#core.inputCancel(session, now); break;
      case 'stopSession': raw = this.#core.stopSession(session, now); break;
    }
    const result = JSON.parse(raw) as CoreResult;
    this.#pump();  // also when the call failed: the activity's outputs are in this batch
    if (!result.ok) throw new TapgateError(result.error);
  }

  /** Executes what the core asked for, in order. */
  #pump(): void {
    const outputs = JSON.parse(this.#core.takeOutputs()) as CoreOutput[];
    // Read before anything runs: an event listener below may call into the core, whose next batch
    // replaces the blob.
    const state = outputs.some((o) => o.type === 'persist') ? utf8.decode(this.#core.state()) : '';
    for (const out of outputs) {
      switch (out.type) {
        case 'send': this.#send(out).catch((error: unknown) => this.#reportFault(error)); break;
        case 'deadline': this.#schedule(out.session, out.at); break;
        case 'persist': this.#persist(state); break;
        case 'event': this.#dispatch(out); break;
      }
    }
  }

  /**
   * Performs one request of the core. Whatever the transport does (rejects with anything, answers
   * something that is not a response, a status that is no HTTP status, a body that is no text), the
   * core gets either the answer or a network fault: the session ends typed, never with an exception
   * nobody catches (issue 12: a crafted URL made the old error path throw).
   */
  async #send(out: Extract<CoreOutput, { type: 'send' }>): Promise<void> {
    let status: unknown;
    let body: unknown;
    let failure: string | null = null;
    // Not AbortSignal.timeout: its timer outlives the answer (30 s of them pile up under load) and
    // it costs 15 µs in Node against 0.5 for a controller and a timer cleared with the answer.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException(`no answer within ${this.#requestTimeout} ms`, 'TimeoutError')), this.#requestTimeout);
    (timer as { unref?: () => void }).unref?.();  // Node: like AbortSignal.timeout, it keeps no process alive
    try {
      const res = await this.#fetch(out.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: out.body,
        signal: timeout.signal,
      });
      status = res.status;
      body = await res.text();
      if (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 599) failure = 'the answer has no HTTP status';
      else if (typeof body !== 'string') failure = 'the answer has no text body';
    } catch (err) {
      failure = describe(err);
    } finally {
      clearTimeout(timer);
    }
    if (this.#closed) return;
    if (failure !== null) this.#core.onNetworkError(out.request, `request to ${originOf(out.url)} failed: ${failure}`, this.#now());
    else this.#core.onResponse(out.request, status as number, body as string, this.#now());
    this.#pump();
  }

  /** Something the SDK started on its own failed where no caller waits: an `error` event, never a crash. */
  #reportFault(error: unknown): void {
    const reported = error instanceof TapgateError ? error
      : networkError(describe(error));
    this.dispatchEvent(new CustomEvent('error', { detail: { error: reported } }));
  }

  /**
   * The core owns the session's timers and announces its next deadline: the one timer kept for
   * the session moves there (null: none is left, e.g. at the session's end).
   */
  #schedule(session: number, at: number | null): void {
    const pending = this.#deadlines.get(session);
    if (pending !== undefined) {
      this.#timers.clearTimeout(pending);
      this.#deadlines.delete(session);
    }
    if (at === null) return;
    const delay = at - this.#now();
    const handle = this.#timers.setTimeout(() => {
      this.#deadlines.delete(session);
      // Clamped (> 2^31 ms) or early by the clock: wait for the rest. The core does nothing
      // before the deadline, and announces no new one then.
      if (at > this.#now()) return this.#schedule(session, at);
      try {
        this.#core.onTimer(session, this.#now());
        this.#pump();
      } catch (error) {
        this.#reportFault(error);  // a timer callback has no caller: a throw here would be uncaught
      }
    }, Math.min(MAX_TIMER_DELAY_MS, Math.max(0, delay)));
    (handle as { unref?: () => void } | null)?.unref?.();  // Node: a pending session must not keep the process alive
    this.#deadlines.set(session, handle);
  }

  #persist(state: string): void {
    // Writes are chained so they land in order; a failure is reported as an `error` event, and
    // whoever awaits this save (session.finished, deleteAccount) gets it as a rejection. A later
    // save that succeeds stores this state's changes too (each state is complete), so a save still
    // waiting for the one before it just takes the newer state: under load (many sessions, a slow
    // disk) the storage writes the latest state once instead of every state in between.
    if (this.#queuedSave) {
      this.#queuedSave.state = state;
      return;  // #lastSave is that queued save: it carries this state
    }
    const job = { state };
    this.#queuedSave = job;
    const saved = this.#writes.then(() => {
      if (this.#queuedSave === job) this.#queuedSave = null;
      return this.#storage.save(job.state);
    }).catch((err: unknown) => {
      throw err instanceof TapgateError ? err : storageError('STORAGE_UNAVAILABLE', `saving state failed: ${(err as Error)?.message ?? err}`);
    });
    this.#lastSave = saved;
    this.#writes = saved.catch((error: TapgateError) => {
      this.dispatchEvent(new CustomEvent('error', { detail: { error } }));
    });
  }

  #dispatch(out: Extract<CoreOutput, { type: 'event' }>): void {
    if (out.session === 0) {
      if (out.name === 'requestdone') {
        const done = out.detail as unknown as RequestDone;
        this.#requests.get(done.request)?.(done);
        this.#requests.delete(done.request);
        return;
      }
      this.dispatchEvent(new CustomEvent(out.name, { detail: out.detail }));
      return;
    }
    const session = this.#sessionFor(out.session);
    session.dispatchCoreEvent(out.name, out.detail);
  }
}
