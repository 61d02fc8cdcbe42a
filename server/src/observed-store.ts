// The Store, observed: every write that can change a relying-party session (scan, cancel, login,
// logout, a new QR) reports that session's row before and after. The status channel turns these
// into events. Observing the store rather than its callers keeps the device API untouched and
// catches every path (device calls, REST calls, lazy continuous-login expiry, account deletion).
import { Store, type RpSessionRow } from './db';

export interface RpSessionChange {
  server: Uint8Array;
  nonce: string;
  before: RpSessionRow | undefined;
  after: RpSessionRow | undefined;
}

export type RpSessionObserver = (change: RpSessionChange) => void;

export class ObservedStore extends Store {
  #observers = new Set<RpSessionObserver>();

  /** Registers an observer; returns the function that removes it. */
  observe(observer: RpSessionObserver): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  override markScanned(server: Uint8Array, nonce: string, now: number): Promise<void> {
    return this.#track(server, nonce, () => super.markScanned(server, nonce, now));
  }
  override markCancelled(server: Uint8Array, nonce: string, qrId: Uint8Array, now: number): Promise<void> {
    return this.#track(server, nonce, () => super.markCancelled(server, nonce, qrId, now));
  }
  override logIn(...args: Parameters<Store['logIn']>): Promise<void> {
    return this.#track(args[0], args[1], () => super.logIn(...args));
  }
  override logOut(server: Uint8Array, nonce: string, now: number): Promise<void> {
    return this.#track(server, nonce, () => super.logOut(server, nonce, now));
  }
  override insertQrSession(q: Parameters<Store['insertQrSession']>[0]): Promise<void> {
    return this.#track(q.server, q.nonce, () => super.insertQrSession(q));
  }

  // The before/after pair is read in the write's own transaction, and observers hear of it only
  // once that commits (see SqlDriver.afterCommit): never of a state that was never stored.
  #track(server: Uint8Array, nonce: string, write: () => Promise<void>): Promise<void> {
    return this.transaction(async () => {
      const before = await this.getRpSession(server, nonce);
      await write();
      const after = await this.getRpSession(server, nonce);
      this.sql.afterCommit(() => this.notify({ server, nonce, before, after }));
    });
  }

  /** Tells every observer of a stored change. */
  protected notify(change: RpSessionChange): void {
    for (const observer of this.#observers) {
      try {
        observer(change);
      } catch {
        // An observer's failure (a closed socket) must not fail the write that was already stored.
      }
    }
  }
}
