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
  // Changes made inside a transaction wait for its commit, and are dropped with its rollback, so
  // no observer ever hears of a state that was never stored.
  #pending: RpSessionChange[] = [];
  #depth = 0;

  /** Registers an observer; returns the function that removes it. */
  observe(observer: RpSessionObserver): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  override transaction<T>(fn: () => T): T {
    const mark = this.#pending.length;
    this.#depth++;
    let result: T;
    try {
      result = super.transaction(fn);
    } catch (err) {
      this.#pending.length = mark;
      throw err;
    } finally {
      this.#depth--;
    }
    if (this.#depth === 0) this.#flush();
    return result;
  }

  override markScanned(server: Uint8Array, nonce: string, now: number): void {
    this.#track(server, nonce, () => super.markScanned(server, nonce, now));
  }
  override markCancelled(server: Uint8Array, nonce: string, qrId: Uint8Array, now: number): void {
    this.#track(server, nonce, () => super.markCancelled(server, nonce, qrId, now));
  }
  override logIn(...args: Parameters<Store['logIn']>): void {
    this.#track(args[0], args[1], () => super.logIn(...args));
  }
  override logOut(server: Uint8Array, nonce: string, now: number): void {
    this.#track(server, nonce, () => super.logOut(server, nonce, now));
  }
  override insertQrSession(q: Parameters<Store['insertQrSession']>[0]): void {
    this.#track(q.server, q.nonce, () => super.insertQrSession(q));
  }

  #track(server: Uint8Array, nonce: string, write: () => void): void {
    const before = this.getRpSession(server, nonce);
    write();
    const after = this.getRpSession(server, nonce);
    this.#pending.push({ server, nonce, before, after });
    if (this.#depth === 0) this.#flush();
  }

  #flush(): void {
    const changes = this.#pending.splice(0);
    for (const change of changes) {
      for (const observer of this.#observers) {
        try {
          observer(change);
        } catch {
          // An observer's failure (a closed socket) must not fail the write that was already stored.
        }
      }
    }
  }
}
