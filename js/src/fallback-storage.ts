import { TapgateError } from './errors.js';
import { MemoryStorage } from './memory-storage.js';
import type { StateStorage } from './types.js';

const unavailable = (err: unknown) => err instanceof TapgateError && err.code === 'STORAGE_UNAVAILABLE';

/**
 * Uses `primary` (e.g. an IndexedDbStorage) while it works. When it is unavailable — no IndexedDB,
 * site data blocked, a private mode that can't keep CryptoKeys (STORAGE_UNAVAILABLE from `load` or
 * `save`) — it switches for good to `fallback` (default: MemoryStorage, nothing survives the page)
 * and dispatches one `fallback` event, `detail: { error }`, so the app can tell the user that
 * accounts will not be kept. STATE_CORRUPT is never masked: stored state that does not decrypt is
 * the app's decision, not a reason to start empty.
 */
export class FallbackStorage extends EventTarget implements StateStorage {
  readonly primary: StateStorage;
  readonly fallback: StateStorage;
  #failedOver = false;

  constructor(primary: StateStorage, fallback: StateStorage = new MemoryStorage()) {
    super();
    this.primary = primary;
    this.fallback = fallback;
  }

  /** False once the state lives in the fallback. */
  get persistent(): boolean {
    return !this.#failedOver;
  }

  async load(): Promise<string | null> {
    if (!this.#failedOver) {
      try {
        return await this.primary.load();
      } catch (err) {
        if (!unavailable(err)) throw err;
        this.#failOver(err as TapgateError);
      }
    }
    return this.fallback.load();
  }

  async save(state: string): Promise<void> {
    if (!this.#failedOver) {
      try {
        return await this.primary.save(state);
      } catch (err) {
        if (!unavailable(err)) throw err;
        this.#failOver(err as TapgateError);
      }
    }
    return this.fallback.save(state);
  }

  #failOver(error: TapgateError): void {
    this.#failedOver = true;
    this.dispatchEvent(new CustomEvent('fallback', { detail: { error } }));
  }
}
