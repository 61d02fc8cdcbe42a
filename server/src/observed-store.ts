// The Store, observed: every write that can change a relying-party session (scan, cancel, login,
// logout, a new QR) reports that session's row before and after. The status channel turns these
// into events. Observing the store rather than its callers keeps the device API untouched and
// catches every path (device calls, REST calls, lazy continuous-login expiry, account deletion).
//
// Instances sharing a PostgreSQL database hear of each other's changes: each change that makes a
// status event is also sent with NOTIFY in the write's transaction (so at its commit), and each
// instance LISTENs and hands the changes of the others to its own observers. A device call served
// by one instance thus reaches the status streams open on another. Worker processes sharing one
// SQLite file (the CLI's --workers) do the same over IPC through their primary (useRelay).
import { randomBytes } from 'node:crypto';
import { Store, type RpSessionRecord } from './db';
import type { InstanceRelay } from './instance-relay';
import { statusEvents } from './rp-status-events';

export interface RpSessionChange {
  server: Uint8Array;
  nonce: string;
  before: RpSessionRecord | undefined;
  after: RpSessionRecord | undefined;
}

export type RpSessionObserver = (change: RpSessionChange) => void;

/** The NOTIFY channel of relying-party session changes. */
const RP_CHANGES_CHANNEL = 'tapgate_rp_changes';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes and more. */
const MAX_PAYLOAD_BYTES = 7900;

/** The fields of a session the status events read (rp-status-events.ts), base64 for bytes, 0/1 for flags. */
interface WireRow {
  q: string | null;  // latestQr
  lq: string | null;  // loginQr
  s: number;  // scanned
  c: number;  // cancelled
  l: number;  // loggedIn
  u?: string | null;  // userId (left out only if the payload would be too long)
  a: number | null;  // accountId
}
interface WireChange {
  /** The instance that made the change (it told its own observers already). */
  i: string;
  sv: string;
  n: string;
  b: WireRow | null;
  a: WireRow | null;
}

const b64 = (x: Buffer | null | undefined) => (x ? x.toString('base64') : null);
const unb64 = (x: string | null) => (x === null ? null : Buffer.from(x, 'base64'));

function toWire(row: RpSessionRecord | undefined, withUserId: boolean): WireRow | null {
  if (!row) return null;
  const w: WireRow = { q: b64(row.latestQr), lq: b64(row.loginQr), s: row.scanned ? 1 : 0, c: row.cancelled ? 1 : 0, l: row.loggedIn ? 1 : 0, a: row.accountId };
  if (withUserId) w.u = row.userId;
  return w;
}

function fromWire(server: Buffer, nonce: string, w: WireRow | null): RpSessionRecord | undefined {
  if (!w) return undefined;
  // Only what statusEvents reads is carried; the rest of the session is not needed by observers of remote changes.
  return {
    server,
    nonce,
    latestQr: unb64(w.q),
    loginQr: unb64(w.lq),
    scanned: !!w.s,
    cancelled: !!w.c,
    loggedIn: !!w.l,
    userId: w.u ?? null,
    accountId: w.a,
  } as RpSessionRecord;
}

function encodeChange(instance: string, change: RpSessionChange): string {
  const wire = (withUserId: boolean): string =>
    JSON.stringify({
      i: instance,
      sv: Buffer.from(change.server).toString('base64'),
      n: change.nonce,
      b: toWire(change.before, withUserId),
      a: toWire(change.after, withUserId),
    } satisfies WireChange);
  const full = wire(true);
  return Buffer.byteLength(full) <= MAX_PAYLOAD_BYTES ? full : wire(false);
}

function decodeChange(payload: string): { instance: string; change: RpSessionChange } | null {
  try {
    const w = JSON.parse(payload) as WireChange;
    if (typeof w.i !== 'string' || typeof w.sv !== 'string' || typeof w.n !== 'string') return null;
    const server = Buffer.from(w.sv, 'base64');
    return { instance: w.i, change: { server, nonce: w.n, before: fromWire(server, w.n, w.b), after: fromWire(server, w.n, w.a) } };
  } catch {
    return null;
  }
}

export class ObservedStore extends Store {
  #observers = new Set<RpSessionObserver>();
  /** Tells this instance's NOTIFYs from the others'. */
  readonly instanceId = randomBytes(12).toString('base64url');
  #stopListening: (() => Promise<void>) | null = null;
  #stopRelaying: (() => void) | null = null;

  /** Registers an observer; returns the function that removes it. */
  observe(observer: RpSessionObserver): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  /**
   * On a database other instances share (PostgreSQL), starts hearing of their changes; resolves
   * once listening. A no-op on SQLite.
   */
  async listenToOtherInstances(): Promise<void> {
    if (!this.sql.listen || this.#stopListening) return;
    this.#stopListening = await this.sql.listen(RP_CHANGES_CHANNEL, (payload) => {
      const decoded = decodeChange(payload);
      if (decoded && decoded.instance !== this.instanceId) this.notify(decoded.change);
    });
  }

  /** Also relays session changes: the status streams open in the other processes see this one's changes, and the reverse. */
  override useRelay(relay: InstanceRelay): void {
    super.useRelay(relay);
    this.#stopRelaying = relay.subscribe('rp', (payload) => {
      const decoded = decodeChange(payload);
      if (decoded && decoded.instance !== this.instanceId) this.notify(decoded.change);
    });
  }

  override async close(): Promise<void> {
    this.#stopRelaying?.();
    this.#stopRelaying = null;
    const stop = this.#stopListening;
    this.#stopListening = null;
    await stop?.();
    await super.close();
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
  override registerUser(...args: Parameters<Store['registerUser']>): Promise<void> {
    return this.#track(args[0], args[1], () => super.registerUser(...args));
  }
  override insertQrSession(q: Parameters<Store['insertQrSession']>[0]): Promise<void> {
    // A new QR changes only latestQr (to a fresh random id), latestLoginQr and clears scanned and
    // cancelled: what it means to the relying party (one `qr` event) follows from the row after it,
    // so the row before is not read. Standing in for it: the row after with no QR, not scanned,
    // not cancelled (statusEvents then finds exactly the new QR).
    return this.#track(q.server, q.nonce, () => super.insertQrSession(q), (after) => after && { ...after, latestQr: null, scanned: false, cancelled: false });
  }

  // The before/after pair is of the write's own transaction (the row locked on PostgreSQL, so
  // concurrent writes to one session pair up in order), and observers hear of it only once that
  // commits (see SqlDriver.afterCommit): never of a state that was never stored. Neither read
  // costs a statement when the request read the row already or the write returned it (the
  // Store keeps a transaction's rp_sessions rows).
  #track(
    server: Uint8Array,
    nonce: string,
    write: () => Promise<void>,
    beforeFromAfter?: (after: RpSessionRecord | undefined) => RpSessionRecord | undefined,
  ): Promise<void> {
    return this.transaction(async () => {
      const locked = beforeFromAfter ? undefined : await this.lockRpSession(server, nonce);
      await write();
      const after = await this.getRpSession(server, nonce);
      const before = beforeFromAfter ? beforeFromAfter(after) : locked;
      const change = { server, nonce, before, after };
      const relay = this.relay;
      if ((this.sql.notify || relay) && statusEvents(before, after).length > 0) {
        const payload = encodeChange(this.instanceId, change);
        if (this.sql.notify) await this.sql.notify(RP_CHANGES_CHANNEL, payload);
        if (relay) this.sql.afterCommit(() => relay.publish('rp', payload));
      }
      this.sql.afterCommit(() => this.notify(change));
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
