// Shape of the embind surface (bindings/engine_bindings.cpp). The core speaks JSON text.
export interface CoreEngine {
  open(configJson: string, stateBlob: string, now: number): string;
  startSession(payload: Uint8Array, now: number): string;
  startSessionFromLink(link: string, now: number): string;
  startAppLogin(now: number): string;
  startTransaction(accountJson: string, clientAdditionalData: string, secondFactor: string, now: number): string;
  noteUserActivity(now: number): void;
  startUserInteraction(session: number, now: number): string;
  setAccount(session: number, accountJson: string, userInput: string, code: string, now: number): string;
  setPinBiometric(session: number, pin: string, biometric: Uint8Array, now: number): string;
  reportBiometricFailure(session: number): string;
  inputCancel(session: number, now: number): string;
  stopSession(session: number, now: number): string;
  processPush(payload: Uint8Array, now: number): string;
  processPushText(payload: string, now: number): string;
  retrieveMessages(): string;
  updatePushToken(token: string, now: number): string;
  deleteAccount(accountJson: string, now: number): string;
  changePin(pin: string, biometric: Uint8Array, newPin: string, now: number): string;
  addBiometric(pin: string, biometric: Uint8Array, now: number): string;
  removeBiometric(now: number): string;
  onResponse(request: number, httpStatus: number, body: string, now: number): void;
  onNetworkError(request: number, message: string, now: number): void;
  /** The session's deadline (its last `deadline` output) is due: runs every timer of it that has expired at `now`. */
  onTimer(session: number, now: number): void;
  takeOutputs(): string;
  /** The state blob a `persist` output of the last takeOutputs announced, as UTF-8 in wasm memory (valid until the next call). */
  state(): Uint8Array;
  session(id: number): string;
  accounts(): string;
  history(now: number): string;
  delete(): void;
}

export interface CoreModule {
  Engine: new () => CoreEngine;
}

export type CoreLoader = () => Promise<CoreModule>;

export type CoreOutput =
  | { type: 'send'; session: number; request: number; url: string; body: string }
  /** The session's next deadline moved (null: it has no timer left). The host keeps one timer per session at it. */
  | { type: 'deadline'; session: number; at: number | null }
  | { type: 'persist' }
  | { type: 'event'; session: number; name: string; detail: Record<string, unknown> };

/** libsodium in wasm asks for randomness one 32-bit word at a time; serve it from a pool. */
export function pooledRandom(poolBytes = 4096): () => number {
  const pool = new Uint32Array(poolBytes / 4);
  let next = pool.length;
  return () => {
    if (next === pool.length) {
      globalThis.crypto.getRandomValues(pool);
      next = 0;
    }
    const value = pool[next];
    pool[next++] = 0;
    return value;
  };
}
