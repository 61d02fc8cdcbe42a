import { TapgateError, misuse } from './errors.js';
import { TypedEventTarget, type SessionEventMap } from './events.js';
import type {
  Account,
  GetTokenOptions,
  HistoryStatus,
  InfoBlock,
  PseudoState,
  SecondFactorDetail,
  SessionSnapshot,
  SessionState,
  TokenResult,
  Transaction,
  AppTransaction,
} from './types.js';

/** What a Session needs from its Authenticator: the engine calls, nothing else. */
export type SessionCall = 'startUserInteraction' | 'setAccount' | 'setPinBiometric' | 'reportBiometricFailure' | 'inputCancel' | 'stopSession';

export interface SessionHost {
  call(fn: SessionCall, session: number, ...args: (string | Uint8Array)[]): void;
  /** The BiometricProvider's secret, or null (no provider, cancelled, not recognised). */
  biometricSecret(purpose: 'enrol' | 'verify'): Promise<Uint8Array | null>;
  snapshot(session: number): SessionSnapshot;
  flushed(): Promise<void>;
  /** Exchanges an AppLogin's web nonce at the provider of the server at `serverUrl` (app-token.ts). */
  exchangeToken(webNonce: string, serverUrl: string, options: GetTokenOptions): Promise<TokenResult>;
}

export interface PinBiometricInput {
  pin?: string;
  biometric?: boolean;
}

export type SessionEventName = 'statechange' | 'readyforuserinteraction' | 'confirmlogin' | 'confirmenrol' | 'secondfactor' | 'login' | 'stop' | 'error' | 'return';

/**
 * One login or enrolment. Properties are a snapshot refreshed before each event is dispatched;
 * events are `CustomEvent`s whose `detail` is documented in docs/api.md.
 */
export class Session extends TypedEventTarget<SessionEventMap> {
  readonly id: number;
  #host: SessionHost;
  /**
   * The properties, read from the core when first asked for after an event. Building the core's
   * snapshot JSON and parsing it at every event cost about 7 % of a login's CPU (A/B), for
   * properties most listeners never read. The events of a batch are dispatched after the core
   * applied the whole batch, and every change of a session's state comes with an event, so in a
   * listener and until the next event a late read shows what an eager refresh showed.
   */
  #cached: SessionSnapshot | null = null;
  #finished: Promise<Session>;
  #resolveFinished!: (s: Session) => void;
  #rejectFinished!: (err: unknown) => void;

  /** @internal */
  constructor(id: number, host: SessionHost) {
    super();
    this.id = id;
    this.#host = host;
    this.#finished = new Promise((resolve, reject) => {
      this.#resolveFinished = resolve;
      this.#rejectFinished = reject;
    });
    this.#finished.catch(() => {});  // a failed save is also an `error` event: not awaiting it is no crash
  }

  get #snap(): SessionSnapshot {
    return (this.#cached ??= this.#host.snapshot(this.id));
  }

  get state(): SessionState { return this.#snap.state; }
  get pseudoState(): PseudoState { return this.#snap.pseudoState; }
  get historyStatus(): HistoryStatus { return this.#snap.historyStatus; }
  get isRegistration(): boolean { return this.#snap.isRegistration; }
  get isAppLogin(): boolean { return this.#snap.isAppLogin; }
  get announceInfo(): InfoBlock { return this.#snap.announceInfo; }
  /** A transaction this session approves: exactly what the device shows and signs. */
  get transaction(): Transaction | AppTransaction | null { return this.#snap.transaction; }
  get sessionInfo(): InfoBlock { return this.#snap.sessionInfo; }
  get appLogin(): { webNonce: string } | null { return this.#snap.appLogin; }
  get candidateAccounts(): Account[] { return this.#snap.candidateAccounts; }
  get account(): Account | null { return this.#snap.account; }
  /** base64url id of the session's server, once known (null before a push login or QR names it). */
  get serverId(): string | null { return this.#snap.serverId; }
  get serverName(): string { return this.#snap.serverName; }
  /** The server's logo (an https: or data: image URL), or null. Show it only as an image. */
  get serverLogo(): string | null { return this.#snap.serverLogo; }
  get error(): TapgateError | null { return this.#snap.error ? new TapgateError(this.#snap.error) : null; }
  /** App-to-app: the URL to open once the session has returned (the `return` event), else null. */
  get returnUrl(): string | null { return this.#snap.returnUrl; }
  get started(): number { return this.#snap.started; }
  get ended(): number | null { return this.#snap.ended; }
  /**
   * Resolves once the session is DONE or ERROR and its history is saved. Rejects with a `storage`
   * TapgateError when that save failed (the Authenticator also emits `error`).
   */
  get finished(): Promise<Session> { return this.#finished; }
  get isFinal(): boolean { return this.state === 'DONE' || this.state === 'ERROR'; }

  /**
   * With `manuallyStartUserInteraction`: lets a session held at READY_FOR_USER_INTERACTION (event
   * `readyforuserinteraction`) go on to its `confirmlogin`/`confirmenrol` or `secondfactor` prompt,
   * e.g. once the app is in the foreground. In any other state WRONG_STATE (nothing changes).
   */
  async startUserInteraction(): Promise<void> {
    this.#host.call('startUserInteraction', this.id);
  }

  /**
   * Confirms the session: for a login, the chosen candidate account (and, with code matching, the
   * `confirmlogin.codeLength`-digit code the user typed from the login page); for an enrolment,
   * nothing. A code that is not that many digits is INVALID_ARGUMENT (nothing changes); a wrong one
   * ends the session in ERROR (CODE_MISMATCH).
   */
  async setAccount(account?: Pick<Account, 'serverId' | 'accountId'> | null, userInput = '', options: { code?: string } = {}): Promise<void> {
    const ref = account ? JSON.stringify({ serverId: account.serverId, accountId: account.accountId }) : '';
    this.#host.call('setAccount', this.id, ref, userInput, options.code ?? '');
  }

  /**
   * Supplies the second factor and resolves with the verdict (the next `secondfactor` event):
   * SUCCESS, PIN_FAIL with `attemptsLeft`, or PIN_BLOCKED. Rejects with the session's error when
   * it ends without a verdict (e.g. the server is unreachable).
   */
  async setPinBiometric(input: PinBiometricInput): Promise<SecondFactorDetail> {
    if (input.pin !== undefined && typeof input.pin !== 'string') {
      throw new TapgateError({ code: 'INVALID_ARGUMENT', numericCode: 0, kind: 'misuse', message: 'pin must be a string' });
    }
    if (input.pin === undefined && !input.biometric) {
      throw new TapgateError({ code: 'INVALID_ARGUMENT', numericCode: 0, kind: 'misuse', message: 'give a pin, biometric: true, or both' });
    }
    let secret: Uint8Array | null = null;
    if (input.biometric) {
      secret = await this.#host.biometricSecret(this.pseudoState === 'WAIT_FOR_SECOND_FACTOR' && this.isRegistration ? 'enrol' : 'verify');
      if (!secret) {
        // Cancelled or not recognised at the provider: a verdict like any other, the prompt stays.
        const verdict = this.#nextVerdict();
        try {
          this.#host.call('reportBiometricFailure', this.id);
        } catch (err) {
          verdict.cancel();
          throw err;
        }
        return verdict.promise;
      }
    }
    const verdict = this.#nextVerdict();
    try {
      this.#host.call('setPinBiometric', this.id, input.pin ?? '', secret ?? new Uint8Array(0));
    } catch (err) {
      verdict.cancel();
      throw err;
    } finally {
      secret?.fill(0);
    }
    return verdict.promise;
  }

  /** Dismisses the second-factor prompt: the session ends as DONE/ABORTED. */
  async inputCancel(): Promise<void> {
    this.#host.call('inputCancel', this.id);
  }

  /** Stops the session: ABORTED before a login, LOGGED_OUT (at the server too) when ACTIVE. */
  async stopSession(): Promise<void> {
    this.#host.call('stopSession', this.id);
  }

  /**
   * Exchanges this ACTIVE AppLogin for tokens at the server's OpenID provider: a JWT access token
   * for the app's backend (audience `clientId`) and an ID token. Each call asks for new ones.
   * WRONG_STATE unless this is an ACTIVE AppLogin; TOKEN_REFUSED with `oauthError` when the
   * provider refuses (invalid_grant: the AppLogin is over there); NETWORK_ERROR; SERVER_UNKNOWN_ERROR
   * or BAD_RESPONSE for an answer that is no token.
   */
  async getToken(options: GetTokenOptions): Promise<TokenResult> {
    if (options === null || typeof options !== 'object') throw misuse('INVALID_ARGUMENT', 'getToken needs { clientId }');
    const appLogin = this.#snap.appLogin;
    if (this.state !== 'ACTIVE' || !appLogin) throw misuse('WRONG_STATE', 'getToken needs an ACTIVE AppLogin session');
    return this.#host.exchangeToken(appLogin.webNonce, appLogin.serverUrl, options);
  }

  /** @internal The Authenticator is closing: read what the properties show while the core is there. */
  settle(): void {
    void this.#snap;
  }

  /** @internal Called by the Authenticator for each event of this session. */
  dispatchCoreEvent(name: string, detail: unknown): void {
    this.#cached = null;
    this.dispatchEvent(new CustomEvent(name, { detail }));
    if (name === 'stop') this.#host.flushed().then(() => this.#resolveFinished(this), this.#rejectFinished);
  }

  #nextVerdict(): { promise: Promise<SecondFactorDetail>; cancel: () => void } {
    let cancel = () => {};
    const promise = new Promise<SecondFactorDetail>((resolve, reject) => {
      const onFactor = (e: Event) => {
        const detail = (e as CustomEvent<SecondFactorDetail>).detail;
        if (!detail.result) return;
        cleanup();
        resolve(detail);
      };
      const onStop = () => {
        cleanup();
        reject(this.error ?? new TapgateError({ code: 'WRONG_STATE', numericCode: 0, kind: 'misuse', message: 'session ended' }));
      };
      const cleanup = () => {
        this.removeEventListener('secondfactor', onFactor);
        this.removeEventListener('stop', onStop);
      };
      this.addEventListener('secondfactor', onFactor);
      this.addEventListener('stop', onStop);
      cancel = cleanup;
    });
    return { promise, cancel };
  }
}
