// The server's storage: typed records and every query the APIs make, written once for all dialects
// (the schema is in sql/schema.ts, the drivers in sql/). Rows are read as the driver returns them
// (snake_case, flags 0/1) and mapped to records once, by one function per table, in every read.
import type { SqlDriver, SqlValue } from './sql/driver';
import { KeyUnwrapError, ServerSigner, type KeyWrapper } from './server-keys';
import type { InstanceRelay } from './instance-relay';
import { storedFlags, type ServerProfile } from './server-profile';

export interface ServerRecord {
  seq: number;
  id: Buffer;
  /** The current signing key's public half (new enrol QRs carry it). */
  pk: Buffer;
  /** Signs with the current key and, during a rotation's overlap, the previous one too. */
  sk: ServerSigner;
  /** The previous key of a rotation still in its overlap (else null), and when the overlap ends. */
  prevPk: Buffer | null;
  prevUntil: number | null;
  name: string;
  pingTime: number;
  /** Minutes a login may skip the second factor after one was verified; -1: any time, 0: never. */
  pinTimeout: number;
  /** The same for approving a transaction (0: always asked; never -1). */
  pinTransTimeout: number;
  pinAttemptLimit: number;
  created: number;
  /** The server's logo: an https URL or a data: URL of an image (v2.2 `logo`). */
  logo: string | null;
  /** Origins an app-to-app link may send the user back to (return-origins.ts); [] allows none. */
  returnOrigins: string[];
  /** Links, owner and flags the app shows or acts on (server-profile.ts). */
  profile: ServerProfile;
}

/** The second factor a login proved: the PIN, the biometric, or none (skipped within pinTimeout). */
export type LoginFactor = 'pin' | 'biometric' | 'none';

export interface RpSessionRecord {
  server: Buffer;
  nonce: string;
  loggedIn: boolean;
  accountId: number | null;
  userId: string | null;
  cancelled: boolean;
  scanned: boolean;
  userInput: string | null;
  latestQr: Buffer | null;
  latestLoginQr: Buffer | null;
  created: number;
  updated: number;
  loggedInAt: number | null;
  /** What the device proved at that login beside its account key (the OpenID provider's amr). */
  factor: LoginFactor | null;
  /** When the device last proved a continuous login alive (login or ping). */
  lastSeen: number | null;
  /** The QR session the current login happened on (its logout message names it). */
  loginQr: Buffer | null;
}

export interface QrSessionRecord {
  id: Buffer;
  server: Buffer;
  nonce: string;
  kind: 'login' | 'enrol';
  userId: string | null;
  name: string | null;
  userContext: string | null;
  payload: Buffer;
  created: number;
  expires: number;
  used: boolean;
  started: boolean;
  cancelled: boolean;
  transcript: Buffer;
  /** The relying party asked for the second factor whatever the pinTimeout. */
  requireSecondFactor: boolean;
  /** Code matching: the code the login page shows. */
  matchCode: string | null;
  /** The transaction this session approves. */
  tid: string | null;
  /** T1, the transcript once the session was started (§4): the cancel and logout proofs are over it. */
  t1: Buffer | null;
  /** H(the /v1/start request) that started it; null when its login message started it (§6.1) or an AppLogin. */
  startRequest: Buffer | null;
  /** The envelope that /v1/start answered: a repeat of the same request gets it again (§5.1). */
  startAnswer: string | null;
  /** The only account that may log in on this session (a transaction or push login for it); for a
   * login session, `userId` names the only user whose accounts may. */
  boundAccount: number | null;
}

export interface TransactionRecord {
  tid: string;
  server: Buffer;
  nonce: string;
  text: string;
  status: 'PENDING' | 'SIGNED' | 'REJECTED';
  account: number | null;
  signature: Buffer | null;
  created: number;
  /** 'app': started by the app (§5.12), its text the app's clientAdditionalData; null: the relying party's. */
  origin: 'app' | null;
  /** An app-started transaction: the second factor its approval requires. */
  requiredFactor: 'ANY' | 'PIN' | 'BIOMETRIC' | null;
  /** An app-started transaction: the account that started it (and alone may sign it). */
  creator: number | null;
}

export interface AccountRecord {
  id: number;
  server: Buffer;
  userId: string | null;
  pk: Buffer;
  boxPk: Buffer;
  pinPk: Buffer;
  pinFailures: number;
  blocked: boolean;
  created: number;
  lastLogin: number | null;
  description: string | null;
  pushToken: string | null;
  /** Deleted accounts stay as tombstones so the device can still fetch its deletion message. */
  deleted: boolean;
  /** When a second factor was last verified for this account (pinTimeout counts from here). */
  lastFactorAt: number | null;
  /** The account's biometric public key, when the user set one. */
  bioPk: Buffer | null;
  /** A new PIN key the device prepared (§5.10); it replaces pinPk at commit or when first used. */
  pendingPinPk: Buffer | null;
  /** When a push login was last provoked on this account (v2.2 `lastprovoke`). */
  lastProvoke: number | null;
  /** The app's version, when it told (v2.2 `clientVersion`). */
  clientVersion: string | null;
}

export interface ApiKeyRecord {
  id: number;
  /** The public part of the key, shown in listings; the key is `<keyId>.<secret>`. */
  keyId: string;
  digest: Buffer;
  description: string | null;
  created: number;
}

/** One permission of an API key: `acl` on one server, or on every server when `server` is null. */
export interface ApiKeyPermissionRecord {
  keyId: string;
  acl: string;
  server: Buffer | null;
}

/** A user of a server: the userid its live accounts share. */
export interface UserRecord {
  userId: string;
  numberAccounts: number;
  lastLogin: number | null;
}

/** A list query: equality filters on whitelisted columns, sort keys, a page. */
export interface ListQuery {
  filters: Array<{ column: string; value: string | number | null }>;
  sort: Array<{ column: string; desc: boolean }>;
  limit: number;
  offset: number;
}

// --- Rows as the drivers return them, and their mappers (one per table) ---

// The rows (snake_case as in sql/schema.ts, flags 0/1): what the mappers below read, and the
// few writes that need a stored value.
/** The secret keys wrapped (sk_wrapped = 0 only in databases not yet migrated). */
interface ServerRow {
  seq: number; id: Buffer; pk: Buffer; sk: Buffer; sk_wrapped: number; prev_pk: Buffer | null; prev_sk: Buffer | null;
  prev_until: number | null; name: string; ping_time: number; pin_timeout: number; pin_attempt_limit: number; created: number;
  return_origins?: string | null;
  logo: string | null; pin_trans_timeout: number; app_url: string | null; site_url: string | null;
  app_android: string | null; app_ios: string | null; owner: string | null; server_flags: string | null;
}
interface RpSessionRow {
  server: Buffer; nonce: string; loggedin: number; accountid: number | null; userid: string | null; cancelled: number;
  scanned: number; userinput: string | null; latest_qr: Buffer | null; latest_login_qr: Buffer | null; created: number;
  updated: number; loggedin_at: number | null; factor: LoginFactor | null; last_seen: number | null; login_qr: Buffer | null;
}
interface QrSessionRow {
  id: Buffer; server: Buffer; nonce: string; kind: 'login' | 'enrol'; userid: string | null; name: string | null;
  usercontext: string | null; payload: Buffer; created: number; expires: number; used: number; started: number;
  cancelled: number; transcript: Buffer; require_2f: number; match_code: string | null; tid: string | null; t1: Buffer | null;
  start_request: Buffer | null; start_answer: string | null; bound_account: number | null;
}
type TransactionRow = Omit<TransactionRecord, 'requiredFactor'> & { required_factor: TransactionRecord['requiredFactor'] };
interface AccountRow {
  id: number; server: Buffer; userid: string | null; pk: Buffer; box_pk: Buffer; pin_pk: Buffer; pin_failures: number;
  blocked: number; created: number; lastlogin: number | null; description: string | null; push_token: string | null;
  deleted: number; last_factor_at: number | null; bio_pk: Buffer | null; pending_pin_pk: Buffer | null;
  lastprovoke: number | null; client_version: string | null;
}
interface ApiKeyRow { id: number; key_id: string; digest: Buffer; description: string | null; created: number }
interface ApiKeyPermissionRow { key_id: string; acl: string; server: Buffer | null }
interface UserRow { userid: string; numberaccounts: number; lastlogin: number | null }

/** A nullable integer column (BIGINT on PostgreSQL comes back a number too, see sql/postgres.ts). */
const intOrNull = (v: number | null | undefined): number | null => (v === null || v === undefined ? null : Number(v));

function rpSessionRecord(r: RpSessionRow): RpSessionRecord {
  return {
    server: r.server,
    nonce: r.nonce,
    loggedIn: Number(r.loggedin) !== 0,
    accountId: intOrNull(r.accountid),
    userId: r.userid,
    cancelled: Number(r.cancelled) !== 0,
    scanned: Number(r.scanned) !== 0,
    userInput: r.userinput,
    latestQr: r.latest_qr,
    latestLoginQr: r.latest_login_qr,
    created: Number(r.created),
    updated: Number(r.updated),
    loggedInAt: intOrNull(r.loggedin_at),
    factor: r.factor ?? null,
    lastSeen: intOrNull(r.last_seen),
    loginQr: r.login_qr,
  };
}

function qrSessionRecord(r: QrSessionRow): QrSessionRecord {
  return {
    id: r.id,
    server: r.server,
    nonce: r.nonce,
    kind: r.kind,
    userId: r.userid,
    name: r.name,
    userContext: r.usercontext,
    payload: r.payload,
    created: Number(r.created),
    expires: Number(r.expires),
    used: Number(r.used) !== 0,
    started: Number(r.started) !== 0,
    cancelled: Number(r.cancelled) !== 0,
    transcript: r.transcript,
    requireSecondFactor: Number(r.require_2f) !== 0,
    matchCode: r.match_code,
    tid: r.tid,
    t1: r.t1 ?? null,
    startRequest: r.start_request ?? null,
    startAnswer: r.start_answer ?? null,
    boundAccount: intOrNull(r.bound_account),
  };
}

function transactionRecord(r: TransactionRow): TransactionRecord {
  return {
    tid: r.tid,
    server: r.server,
    nonce: r.nonce,
    text: r.text,
    status: r.status,
    account: intOrNull(r.account),
    signature: r.signature,
    created: Number(r.created),
    origin: r.origin ?? null,
    requiredFactor: r.required_factor ?? null,
    creator: intOrNull(r.creator),
  };
}

function accountRecord(r: AccountRow): AccountRecord {
  return {
    id: Number(r.id),
    server: r.server,
    userId: r.userid,
    pk: r.pk,
    boxPk: r.box_pk,
    pinPk: r.pin_pk,
    pinFailures: Number(r.pin_failures),
    blocked: Number(r.blocked) !== 0,
    created: Number(r.created),
    lastLogin: intOrNull(r.lastlogin),
    description: r.description,
    pushToken: r.push_token,
    deleted: Number(r.deleted) !== 0,
    lastFactorAt: intOrNull(r.last_factor_at),
    bioPk: r.bio_pk ?? null,
    pendingPinPk: r.pending_pin_pk ?? null,
    lastProvoke: intOrNull(r.lastprovoke),
    clientVersion: r.client_version ?? null,
  };
}

function apiKeyRecord(r: ApiKeyRow): ApiKeyRecord {
  return { id: Number(r.id), keyId: r.key_id, digest: r.digest, description: r.description, created: Number(r.created) };
}

function apiKeyPermissionRecord(r: ApiKeyPermissionRow): ApiKeyPermissionRecord {
  return { keyId: r.key_id, acl: r.acl, server: r.server };
}

function userRecord(r: UserRow): UserRecord {
  return { userId: r.userid, numberAccounts: Number(r.numberaccounts), lastLogin: intOrNull(r.lastlogin) };
}

/** `f` over a row that may be missing. */
const mapped = <R, T>(f: (r: R) => T) => (r: R | undefined): T | undefined => (r === undefined ? undefined : f(r));

/** Columns of accounts a list may sort or filter by (API name → SQL column). */
export const ACCOUNT_COLUMNS: Readonly<Record<string, string>> = {
  id: 'id', userid: 'userid', blocked: 'blocked', created: 'created', description: 'description',
  lastlogin: 'lastlogin', lastprovoke: 'lastprovoke',
};
/** Columns of the users list (accounts grouped by userid) a list may sort or filter by. */
const USER_COLUMNS: Readonly<Record<string, string>> = {
  userid: 'userid', numberaccounts: 'COUNT(*)', lastlogin: 'MAX(lastlogin)',
};
const NULLABLE_SORT = new Set(['userid', 'description', 'lastlogin', 'lastprovoke', 'MAX(lastlogin)']);

/** ORDER BY from whitelisted columns only; NULLs sort first ascending in every dialect; `tiebreak` last. */
function orderBy(sort: ListQuery['sort'], columns: Readonly<Record<string, string>>, tiebreak: string): string {
  const parts: string[] = [];
  for (const s of sort) {
    const col = Object.hasOwn(columns, s.column) ? columns[s.column] : undefined;
    if (!col) throw new Error(`not a sortable column: ${s.column}`);
    const dir = s.desc ? 'DESC' : 'ASC';
    if (NULLABLE_SORT.has(col)) parts.push(`CASE WHEN ${col} IS NULL THEN 0 ELSE 1 END ${dir}`);
    parts.push(`${col} ${dir}`);
  }
  parts.push(tiebreak);
  return parts.join(', ');
}

/** `col = ?` / `col IS NULL` conditions from whitelisted columns only. */
function whereEquals(filters: ListQuery['filters'], columns: Readonly<Record<string, string>>, args: SqlValue[]): string[] {
  return filters.map((f) => {
    const col = Object.hasOwn(columns, f.column) ? columns[f.column] : undefined;
    if (!col) throw new Error(`not a filterable column: ${f.column}`);
    if (f.value === null) return `${col} IS NULL`;
    args.push(f.value);
    return `${col} = ?`;
  });
}

export interface ServerParams {
  name: string;
  pingTime: number;
  pinTimeout: number;
  pinTransTimeout: number;
  pinAttemptLimit: number;
  logo: string | null;
  /** Absent: the stored list stays. */
  returnOrigins?: readonly string[];
  /** Absent: the profile stays as it is. */
  profile?: ServerProfile;
}

function b(x: Uint8Array): Buffer {
  return Buffer.from(x.buffer, x.byteOffset, x.length);
}

/** The NOTIFY channel on which instances sharing a PostgreSQL database say a servers row changed. */
const SERVER_CHANGES_CHANNEL = 'tapgate_server_changes';
/**
 * How long a cached server row is used before it is read again, whatever the invalidations: the
 * bound on staleness when an invalidation is missed (another process on the SQLite file whose
 * relay did not call invalidateServer, a PostgreSQL LISTEN connection that was down).
 */
const SERVER_CACHE_MS = 5_000;

interface CachedServer {
  server: ServerRecord;
  /** Until when it may be used: the TTL, or sooner the end of a rotation's overlap. */
  until: number;
}

/** All SQL of the server; every method is one statement or one transaction. */
export class Store {
  #keys: KeyWrapper | null = null;
  #now: () => number = Date.now;
  /**
   * Server rows by id (hex), keys unwrapped: a login reads its server three times and each read
   * was a SELECT and an AEAD decryption. Every servers write of this process drops the row at
   * once and again when its transaction ends (a rolled-back change read inside it must not stay);
   * other processes' writes arrive through invalidateServer (a cluster's relay, PostgreSQL NOTIFY).
   */
  readonly #serverCache = new Map<string, CachedServer>();
  /** Bumped by every invalidation: a read that overlapped one is not cached. */
  #serverGeneration = 0;
  #stopServerListen: (() => Promise<void>) | null = null;
  /** The other processes on this SQLite database (useRelay), told of this one's servers writes. */
  protected relay: InstanceRelay | null = null;
  #stopRelay: (() => void) | null = null;

  constructor(readonly sql: SqlDriver) {}

  /**
   * Processes sharing this (SQLite) database: their servers writes leave this cache as soon as
   * they commit, and this one's leave theirs (ObservedStore relays session changes too).
   */
  useRelay(relay: InstanceRelay): void {
    this.relay = relay;
    this.#stopRelay = relay.subscribe('server', (payload) => {
      this.invalidateServer(payload === '*' || !/^[0-9a-f]+$/.test(payload) ? null : payload);
    });
  }

  /** The wrapper of the servers' secret keys (server-keys.ts); the clock decides when an overlap is over. */
  useKeys(keys: KeyWrapper, now: () => number): void {
    this.#keys = keys;
    this.#now = now;
  }

  get #wrapper(): KeyWrapper {
    if (!this.#keys) throw new Error('Store.useKeys was not called: the server keys cannot be read');
    return this.#keys;
  }

  /**
   * The servers mapper: a stored row as a record, its keys unwrapped (async, unlike the other
   * tables' mappers); a previous key past its overlap no longer signs.
   */
  async #serverRecord(row: ServerRow): Promise<ServerRecord> {
    if (!row.sk_wrapped) throw new Error('a server signing key is stored in clear (start the server once to encrypt it)');
    const current = await this.#wrapper.unwrap(row.sk, row.id);
    const inOverlap = row.prev_pk !== null && row.prev_sk !== null && row.prev_until !== null && Number(row.prev_until) > this.#now();
    const previous = inOverlap ? await this.#wrapper.unwrap(row.prev_sk!, row.id) : null;
    return {
      seq: Number(row.seq),
      id: row.id,
      pk: row.pk,
      sk: new ServerSigner(current, previous),
      prevPk: inOverlap ? row.prev_pk : null,
      prevUntil: inOverlap ? Number(row.prev_until) : null,
      name: row.name,
      pingTime: Number(row.ping_time),
      pinTimeout: Number(row.pin_timeout),
      pinTransTimeout: Number(row.pin_trans_timeout ?? 0),
      pinAttemptLimit: Number(row.pin_attempt_limit),
      created: Number(row.created),
      logo: row.logo ?? null,
      returnOrigins: row.return_origins ? (JSON.parse(row.return_origins) as string[]) : [],
      profile: {
        appUrl: row.app_url ?? null,
        siteUrl: row.site_url ?? null,
        appAndroid: row.app_android ?? null,
        appIos: row.app_ios ?? null,
        owner: row.owner ?? null,
        serverFlags: storedFlags(row.server_flags),
      },
    };
  }

  /**
   * Encrypts every secret key still stored in clear (databases of earlier versions) and checks
   * that the configured key opens the others: a wrong key fails here, at start, not at the first
   * login. One transaction, so instances starting at once migrate a row once.
   */
  migrateServerKeys(): Promise<void> {
    return this.transaction(async () => {
      const rows = await this.sql.all<ServerRow>(`SELECT * FROM servers ORDER BY seq${this.#forUpdate()}`);
      for (const row of rows) {
        if (row.sk_wrapped) {
          try {
            await this.#wrapper.unwrap(row.sk, row.id);
            if (row.prev_sk) await this.#wrapper.unwrap(row.prev_sk, row.id);
          } catch (err) {
            if (err instanceof KeyUnwrapError) {
              throw new Error(
                'the server signing keys in the database do not decrypt with the configured key: give the key they were ' +
                  'encrypted with (--key-file / TAPGATE_KEY_FILE or TAPGATE_KEY; instances sharing a database must share it)',
              );
            }
            throw err;
          }
          continue;
        }
        const wrapped = await this.#wrapper.wrap(row.sk, row.id);
        const prev = row.prev_sk ? await this.#wrapper.wrap(row.prev_sk, row.id) : null;
        await this.#serverWritten(row.id);
        this.sql.durable();
        await this.sql.run('UPDATE servers SET sk = ?, prev_sk = ?, sk_wrapped = 1 WHERE id = ?', [b(wrapped), prev ? b(prev) : null, row.id]);
      }
    });
  }

  /**
   * Rotates the server's signing key: the current one becomes the previous, signing beside the
   * new one until `until`. Resolves with the server as it is now, or null while an earlier
   * rotation's overlap still runs (retire it first: devices know at most two keys).
   */
  rotateServerKey(id: Uint8Array, pk: Uint8Array, sk: Uint8Array, until: number): Promise<ServerRecord | null> {
    return this.transaction(async () => {
      const row = await this.sql.get<ServerRow>(`SELECT * FROM servers WHERE id = ?${this.#forUpdate()}`, [b(id)]);
      if (!row) throw new Error('no such server');
      if (row.prev_until !== null && Number(row.prev_until) > this.#now()) return null;
      const wrapped = await this.#wrapper.wrap(sk, id);
      await this.#serverWritten(id);
      this.sql.durable();
      await this.sql.run('UPDATE servers SET pk = ?, sk = ?, sk_wrapped = 1, prev_pk = ?, prev_sk = ?, prev_until = ? WHERE id = ?', [
        b(pk),
        b(wrapped),
        row.pk,
        row.sk,
        until,
        b(id),
      ]);
      return (await this.getServer(id))!;
    });
  }

  /** Ends a rotation's overlap now: the previous key is forgotten. */
  retireServerKey(id: Uint8Array): Promise<boolean> {
    return this.#durably(async () => {
      await this.#serverWritten(id);
      return (await this.sql.run('UPDATE servers SET prev_pk = NULL, prev_sk = NULL, prev_until = NULL WHERE id = ? AND prev_pk IS NOT NULL', [b(id)])) > 0;
    });
  }

  /** Forgets the previous keys whose overlap is over (they no longer sign anyway; this drops them). */
  retireExpiredServerKeys(): Promise<void> {
    return this.transaction(async () => {
      const changed = await this.sql.run('UPDATE servers SET prev_pk = NULL, prev_sk = NULL, prev_until = NULL WHERE prev_until IS NOT NULL AND prev_until <= ?', [this.#now()]);
      if (changed) await this.#serverWritten(null);  // in the transaction: dropped again at its end
    });
  }

  /** Runs `work` as one transaction; Store calls made inside it take part (see SqlDriver). */
  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.sql.transaction(work);
  }

  /** Whether the table exists (retention skips rules for tables a later schema adds). */
  async tableExists(name: string): Promise<boolean> {
    const row = this.sql.dialect === 'postgres'
      ? await this.sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?", [name])
      : await this.sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?", [name]);
    return Number(row?.n ?? 0) > 0;
  }

  async ping(): Promise<void> {
    await this.sql.get('SELECT 1 AS one');
  }

  async getSetting(key: string): Promise<string | undefined> {
    return (await this.sql.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]))?.value;
  }
  deleteSetting(key: string): Promise<void> {
    return this.#durably(async () => {
      await this.sql.run('DELETE FROM settings WHERE key = ?', [key]);
    });
  }
  /** Stores `value` unless the key has one; resolves with the value stored (a racing instance's, maybe). */
  async settingOnce(key: string, value: string): Promise<string> {
    await this.sql.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, value]);
    return (await this.getSetting(key)) ?? value;
  }

  /** Stores a new server; its secret key only wrapped. */
  async insertServer(id: Uint8Array, pk: Uint8Array, sk: Uint8Array, name: string, now: number): Promise<void> {
    const wrapped = await this.#wrapper.wrap(sk, id);
    await this.#durably(async () => {
      await this.#serverWritten(id);
      await this.sql.run(
        'INSERT INTO servers (id, pk, sk, sk_wrapped, name, ping_time, pin_timeout, pin_attempt_limit, created) VALUES (?, ?, ?, 1, ?, 0, 0, 3, ?)',
        [b(id), b(pk), b(wrapped), name, now],
      );
    });
  }
  async listServers(): Promise<ServerRecord[]> {
    const rows = await this.sql.all<ServerRow>('SELECT * FROM servers ORDER BY seq');
    return Promise.all(rows.map((r) => this.#serverRecord(r)));
  }
  async getServer(id: Uint8Array): Promise<ServerRecord | undefined> {
    const key = b(id).toString('hex');
    const now = this.#now();
    const cached = this.#serverCache.get(key);
    if (cached && now < cached.until) return cached.server;
    const generation = this.#serverGeneration;
    const row = await this.sql.get<ServerRow>('SELECT * FROM servers WHERE id = ?', [b(id)]);
    if (!row) return undefined;
    const server = await this.#serverRecord(row);
    if (generation === this.#serverGeneration) {
      this.#serverCache.set(key, { server, until: Math.min(now + SERVER_CACHE_MS, server.prevUntil ?? Infinity) });
    }
    return server;
  }

  /**
   * Forgets the cached row of server `id` (every server's, when null): for a change this process
   * did not make, reported by whoever knows of it (a cluster's relay between workers; on
   * PostgreSQL, the NOTIFY every instance LISTENs to, see listenForServerChanges).
   */
  invalidateServer(id: Uint8Array | string | null): void {
    this.#serverGeneration++;
    if (id === null) this.#serverCache.clear();
    else this.#serverCache.delete(typeof id === 'string' ? id : b(id).toString('hex'));
  }

  /** A servers row (every one, when null) is being written: dropped now, at the end, and in the other instances. */
  async #serverWritten(id: Uint8Array | null): Promise<void> {
    this.invalidateServer(id);
    this.sql.afterEnd(() => this.invalidateServer(id));
    // Delivered at the commit (never, if it rolls back); this instance hears its own too, harmlessly.
    if (this.#stopServerListen && this.sql.notify) await this.sql.notify(SERVER_CHANGES_CHANNEL, id ? b(id).toString('hex') : '*');
    const relay = this.relay;
    if (relay) this.sql.afterCommit(() => relay.publish('server', id ? b(id).toString('hex') : '*'));
  }

  /**
   * On PostgreSQL, LISTENs to the servers changes the other instances make: their rows leave this
   * instance's cache at their commit. While the LISTEN connection is down, SERVER_CACHE_MS bounds
   * how stale a row can be. A no-op on SQLite.
   */
  async listenForServerChanges(): Promise<void> {
    if (!this.sql.listen || this.#stopServerListen) return;
    this.#stopServerListen = await this.sql.listen(SERVER_CHANGES_CHANNEL, (payload) => {
      this.invalidateServer(payload === '*' || !/^[0-9a-f]+$/.test(payload) ? null : payload);
    });
  }

  /** Durable: a PIN attempt limit lowered by the relying party must not come back raised after a crash. */
  updateServer(id: Uint8Array, p: ServerParams): Promise<void> {
    return this.#durably(async () => {
      await this.#serverWritten(id);
      await this.sql.run('UPDATE servers SET name = ?, ping_time = ?, pin_timeout = ?, pin_trans_timeout = ?, pin_attempt_limit = ?, logo = ? WHERE id = ?', [
        p.name,
        p.pingTime,
        p.pinTimeout,
        p.pinTransTimeout,
        p.pinAttemptLimit,
        p.logo,
        b(id),
      ]);
      // [] is kept as NULL, as a server never given a list has it: a GET put back unchanged changes nothing.
      if (p.returnOrigins) await this.sql.run('UPDATE servers SET return_origins = ? WHERE id = ?', [p.returnOrigins.length ? JSON.stringify(p.returnOrigins) : null, b(id)]);
      const q = p.profile;
      if (q) {
        await this.sql.run('UPDATE servers SET app_url = ?, site_url = ?, app_android = ?, app_ios = ?, owner = ?, server_flags = ? WHERE id = ?', [
          q.appUrl, q.siteUrl, q.appAndroid, q.appIos, q.owner, q.serverFlags.length ? q.serverFlags.join(',') : null, b(id),
        ]);
      }
    });
  }
  /**
   * Brings every server's parameters into `ranges` (values stored before the ranges were enforced:
   * a PIN attempt limit of 1000 must not outlive the cap). Resolves with the servers changed.
   */
  clampServerParams(ranges: { pingTime: readonly [number, number]; pinTimeout: readonly [number, number]; pinTransTimeout: readonly [number, number]; pinAttemptLimit: readonly [number, number] }): Promise<number> {
    return this.transaction(async () => {
      let changed = 0;
      const columns = [['ping_time', ranges.pingTime], ['pin_timeout', ranges.pinTimeout], ['pin_trans_timeout', ranges.pinTransTimeout], ['pin_attempt_limit', ranges.pinAttemptLimit]] as const;
      for (const [column, [min, max]] of columns) {
        changed += await this.sql.run(`UPDATE servers SET ${column} = ? WHERE ${column} < ?`, [min, min]);
        changed += await this.sql.run(`UPDATE servers SET ${column} = ? WHERE ${column} > ?`, [max, max]);
      }
      if (changed) {
        await this.#serverWritten(null);
        this.sql.durable();
      }
      return changed;
    });
  }
  /** When an account of the server last logged in (v2.2 Server `lastLogin`), null before any login. */
  async lastLoginAt(server: Uint8Array): Promise<number | null> {
    const row = await this.sql.get<{ t: number | null }>('SELECT MAX(lastlogin) AS t FROM accounts WHERE server = ? AND deleted = 0', [b(server)]);
    return row?.t == null ? null : Number(row.t);
  }
  async countAccounts(server: Uint8Array): Promise<number> {
    const row = await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM accounts WHERE server = ? AND deleted = 0', [b(server)]);
    return Number(row?.n ?? 0);
  }

  /**
   * The rp_sessions records this transaction has read or written (null outside one): a request reads
   * its session once, and every write here returns the row it leaves (RETURNING *), so the status
   * channel's before/after pair (observed-store.ts) costs no extra reads. `locked`: the row was
   * read under the row lock (SELECT … FOR UPDATE on PostgreSQL; on SQLite every read of a
   * BEGIN IMMEDIATE transaction is), so a lockRpSession may use it.
   */
  #rpRows(): Map<string, { row: RpSessionRecord | undefined; locked: boolean }> | null {
    const locals = this.sql.transactionLocals();
    if (!locals) return null;
    let rows = locals.get('rp_sessions') as Map<string, { row: RpSessionRecord | undefined; locked: boolean }> | undefined;
    if (!rows) locals.set('rp_sessions', (rows = new Map()));
    return rows;
  }

  async #readRpSession(server: Uint8Array, nonce: string, lock: boolean): Promise<RpSessionRecord | undefined> {
    const rows = this.#rpRows();
    const key = `${b(server).toString('hex')}:${nonce}`;
    const known = rows?.get(key);
    if (known && (known.locked || !lock)) return known.row;
    const forUpdate = lock ? this.#forUpdate() : '';
    const row = mapped(rpSessionRecord)(await this.sql.get<RpSessionRow>(`SELECT * FROM rp_sessions WHERE server = ? AND nonce = ?${forUpdate}`, [b(server), nonce]));
    rows?.set(key, { row, locked: lock || this.sql.dialect === 'sqlite' });
    return row;
  }

  /** Runs an rp_sessions write that ends in RETURNING *; the row it left is what the transaction knows from now on. */
  async #writeRpSession(server: Uint8Array, nonce: string, sql: string, params: SqlValue[]): Promise<void> {
    const returned = await this.sql.get<RpSessionRow>(`${sql} RETURNING *`, params);
    // No row: the write's condition did not hold and the row (if any) is as it was.
    if (returned) this.#rpRows()?.set(`${b(server).toString('hex')}:${nonce}`, { row: rpSessionRecord(returned), locked: true });
  }

  getRpSession(server: Uint8Array, nonce: string): Promise<RpSessionRecord | undefined> {
    return this.#readRpSession(server, nonce, false);
  }
  /** The session, its row (if any) locked until the transaction ends. */
  lockRpSession(server: Uint8Array, nonce: string): Promise<RpSessionRecord | undefined> {
    return this.#readRpSession(server, nonce, true);
  }
  async markScanned(server: Uint8Array, nonce: string, now: number): Promise<void> {
    await this.#writeRpSession(server, nonce, 'UPDATE rp_sessions SET scanned = 1, updated = ? WHERE server = ? AND nonce = ?', [now, b(server), nonce]);
  }
  /** Cancels the relying party's session if `qrId` is its latest QR and it is not logged in. */
  async markCancelled(server: Uint8Array, nonce: string, qrId: Uint8Array, now: number): Promise<void> {
    await this.#writeRpSession(server, nonce, 'UPDATE rp_sessions SET cancelled = 1, updated = ? WHERE server = ? AND nonce = ? AND loggedin = 0 AND latest_qr = ?', [
      now,
      b(server),
      nonce,
      b(qrId),
    ]);
  }
  async logIn(
    server: Uint8Array,
    nonce: string,
    qrId: Uint8Array,
    login: { accountId: number; userId: string | null; userInput: string | null; factor: LoginFactor },
    now: number,
  ): Promise<void> {
    await this.#writeRpSession(
      server,
      nonce,
      `UPDATE rp_sessions SET loggedin = 1, accountid = ?, userid = ?, userinput = ?, cancelled = 0,
         loggedin_at = ?, last_seen = ?, login_qr = ?, factor = ?, updated = ? WHERE server = ? AND nonce = ?`,
      [login.accountId, login.userId, login.userInput, now, now, b(qrId), login.factor, now, b(server), nonce],
    );
  }
  async logOut(server: Uint8Array, nonce: string, now: number): Promise<void> {
    await this.#writeRpSession(server, nonce, 'UPDATE rp_sessions SET loggedin = 0, updated = ? WHERE server = ? AND nonce = ?', [now, b(server), nonce]);
  }
  async markSeen(server: Uint8Array, nonce: string, now: number): Promise<void> {
    await this.#writeRpSession(server, nonce, 'UPDATE rp_sessions SET last_seen = ? WHERE server = ? AND nonce = ?', [now, b(server), nonce]);
  }

  /** Stores a new QR session and makes it the latest of its relying-party session (one transaction). */
  insertQrSession(q: {
    id: Uint8Array;
    server: Uint8Array;
    nonce: string;
    kind: 'login' | 'enrol';
    userid: string | null;
    name: string | null;
    usercontext: string | null;
    payload: Uint8Array;
    created: number;
    expires: number;
    transcript: Uint8Array;
    requireSecondFactor?: boolean;
    matchCode?: string | null;
    tid?: string | null;
    boundAccount?: number | null;
  }): Promise<void> {
    return this.transaction(async () => {
      await this.sql.run(
        `INSERT INTO qr_sessions (id, server, nonce, kind, userid, name, usercontext, payload, created, expires, transcript,
                                  require_2f, match_code, tid, bound_account)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          b(q.id),
          b(q.server),
          q.nonce,
          q.kind,
          q.userid,
          q.name,
          q.usercontext,
          b(q.payload),
          q.created,
          q.expires,
          b(q.transcript),
          q.requireSecondFactor ? 1 : 0,
          q.matchCode ?? null,
          q.tid ?? null,
          q.boundAccount ?? null,
        ],
      );
      await this.#writeRpSession(
        q.server,
        q.nonce,
        `INSERT INTO rp_sessions (server, nonce, latest_qr, latest_login_qr, created, updated)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (server, nonce) DO UPDATE SET
           latest_qr = excluded.latest_qr,
           latest_login_qr = COALESCE(excluded.latest_login_qr, rp_sessions.latest_login_qr),
           scanned = 0, cancelled = 0, updated = excluded.updated`,
        [b(q.server), q.nonce, b(q.id), q.kind === 'login' ? b(q.payload) : null, q.created, q.created],
      );
    });
  }
  async getQrSession(id: Uint8Array): Promise<QrSessionRecord | undefined> {
    return mapped(qrSessionRecord)(await this.sql.get<QrSessionRow>('SELECT * FROM qr_sessions WHERE id = ?', [b(id)]));
  }
  /** The QR session, its row locked until the transaction ends. */
  async lockQrSession(id: Uint8Array): Promise<QrSessionRecord | undefined> {
    return mapped(qrSessionRecord)(await this.sql.get<QrSessionRow>(`SELECT * FROM qr_sessions WHERE id = ?${this.#forUpdate()}`, [b(id)]));
  }
  /** Marks the session started at T1; `start` is the /v1/start exchange that did it, when one did. */
  async setQrStarted(id: Uint8Array, t1: Uint8Array, start?: { requestHash: Uint8Array; answer: string }): Promise<void> {
    await this.sql.run('UPDATE qr_sessions SET started = 1, transcript = ?, t1 = ?, start_request = ?, start_answer = ? WHERE id = ?', [
      b(t1),
      b(t1),
      start ? b(start.requestHash) : null,
      start?.answer ?? null,
      b(id),
    ]);
  }
  async setQrTranscript(id: Uint8Array, transcript: Uint8Array): Promise<void> {
    await this.sql.run('UPDATE qr_sessions SET transcript = ? WHERE id = ?', [b(transcript), b(id)]);
  }
  async setQrUsed(id: Uint8Array, transcript: Uint8Array): Promise<void> {
    await this.sql.run('UPDATE qr_sessions SET used = 1, transcript = ? WHERE id = ?', [b(transcript), b(id)]);
  }
  async setQrCancelled(id: Uint8Array): Promise<void> {
    await this.sql.run('UPDATE qr_sessions SET cancelled = 1 WHERE id = ?', [b(id)]);
  }

  async insertAccount(a: {
    server: Uint8Array;
    userid: string | null;
    pk: Uint8Array;
    boxPk: Uint8Array;
    pinPk: Uint8Array;
    now: number;
    description: string | null;
  }): Promise<number> {
    const row = await this.sql.get<{ id: number }>(
      `INSERT INTO accounts (server, userid, pk, box_pk, pin_pk, created, lastlogin, description)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [b(a.server), a.userid, b(a.pk), b(a.boxPk), b(a.pinPk), a.now, a.now, a.description],
    );
    this.sql.durable();  // the device keeps the account once answered: the server must too
    return Number(row!.id);
  }
  /** A live account; deleted ones are gone for every purpose but fetching their messages. */
  async getAccount(id: number): Promise<AccountRecord | undefined> {
    return mapped(accountRecord)(await this.sql.get<AccountRow>('SELECT * FROM accounts WHERE id = ? AND deleted = 0', [id]));
  }
  /** The live account, its row locked until the transaction ends (SQLite's transactions run one at a time). */
  async lockAccount(id: number): Promise<AccountRecord | undefined> {
    return mapped(accountRecord)(await this.sql.get<AccountRow>(`SELECT * FROM accounts WHERE id = ? AND deleted = 0${this.#forUpdate()}`, [id]));
  }
  async getAccountOrTombstone(id: number): Promise<AccountRecord | undefined> {
    return mapped(accountRecord)(await this.sql.get<AccountRow>('SELECT * FROM accounts WHERE id = ?', [id]));
  }
  async setPushToken(id: number, token: string): Promise<void> {
    await this.sql.run('UPDATE accounts SET push_token = ? WHERE id = ? AND deleted = 0', [token, id]);
  }
  /** Drops a token the push service no longer knows, from every account holding it. */
  async forgetPushToken(token: string): Promise<void> {
    await this.sql.run('UPDATE accounts SET push_token = NULL WHERE push_token = ?', [token]);
  }
  /** Marks the account deleted and logs out every session it is logged in to (one transaction). */
  deleteAccount(id: number, now: number): Promise<void> {
    return this.transaction(async () => {
      // The account first, as a device request locks it before the session it logs in to: the
      // same order everywhere, so the two never deadlock on PostgreSQL.
      await this.lockAccount(id);
      await this.#logOutEverywhere(id, now);
      await this.sql.run('UPDATE accounts SET deleted = 1, push_token = NULL WHERE id = ?', [id]);
      this.sql.durable();
    });
  }
  /** Logs the account out of every session it is logged in to. */
  async #logOutEverywhere(account: number, now: number): Promise<void> {
    const sessions = await this.sql.all<Pick<RpSessionRow, 'server' | 'nonce'>>('SELECT server, nonce FROM rp_sessions WHERE loggedin = 1 AND accountid = ?', [account]);
    for (const rp of sessions) await this.logOut(rp.server, rp.nonce, now);
  }
  async addMessage(m: { id: Uint8Array; account: number; sealed: Uint8Array; now: number; expires: number }): Promise<void> {
    await this.sql.run('INSERT INTO messages (id, account, sealed, created, expires) VALUES (?, ?, ?, ?, ?)', [
      b(m.id),
      m.account,
      b(m.sealed),
      m.now,
      m.expires,
    ]);
  }
  async messagesFor(account: number, now: number): Promise<Buffer[]> {
    const rows = await this.sql.all<{ sealed: Buffer }>('SELECT sealed FROM messages WHERE account = ? AND expires > ? ORDER BY created', [
      account,
      now,
    ]);
    return rows.map((r) => r.sealed);
  }
  async listAccounts(server: Uint8Array): Promise<AccountRecord[]> {
    return (await this.sql.all<AccountRow>('SELECT * FROM accounts WHERE server = ? AND deleted = 0 ORDER BY id', [b(server)])).map(accountRecord);
  }
  /** A raised count is durable (a lost failure would be a free PIN guess after a crash); a reset need not be. */
  async setPinFailures(id: number, failures: number): Promise<void> {
    await this.sql.run('UPDATE accounts SET pin_failures = ? WHERE id = ?', [failures, id]);
    if (failures > 0) this.sql.durable();
  }
  /** The relying party's unblockPin: durable, unlike a correct PIN's reset, since the RP is told it is done. */
  async unblockPin(id: number): Promise<void> {
    await this.sql.run('UPDATE accounts SET pin_failures = 0 WHERE id = ?', [id]);
    this.sql.durable();
  }
  // Only a correct PIN resets pin_failures (pinVerdict); a login by another factor must not.
  async accountLoggedIn(id: number, now: number): Promise<void> {
    await this.sql.run('UPDATE accounts SET lastlogin = ? WHERE id = ?', [now, id]);
  }
  async factorVerified(id: number, now: number): Promise<void> {
    await this.sql.run('UPDATE accounts SET last_factor_at = ? WHERE id = ?', [now, id]);
  }
  async setBioPk(id: number, bioPk: Uint8Array | null): Promise<void> {
    await this.sql.run('UPDATE accounts SET bio_pk = ? WHERE id = ?', [bioPk ? b(bioPk) : null, id]);
    this.sql.durable();
  }
  async setPendingPinPk(id: number, pinPk: Uint8Array): Promise<void> {
    await this.sql.run('UPDATE accounts SET pending_pin_pk = ? WHERE id = ?', [b(pinPk), id]);
    this.sql.durable();
  }
  /** Makes the prepared PIN key the PIN key, if `pinPk` is the one prepared. */
  promotePinPk(id: number, pinPk: Uint8Array): Promise<boolean> {
    return this.#durably(async () =>
      (await this.sql.run('UPDATE accounts SET pin_pk = pending_pin_pk, pending_pin_pk = NULL WHERE id = ? AND pending_pin_pk = ?', [id, b(pinPk)])) === 1);
  }
  async addTransaction(t: { tid: string; server: Uint8Array; nonce: string; text: string; now: number }): Promise<void> {
    await this.sql.run('INSERT INTO transactions (tid, server, nonce, text, created) VALUES (?, ?, ?, ?, ?)', [t.tid, b(t.server), t.nonce, t.text, t.now]);
  }
  /** A transaction the app started (§5.12): bound to the account that started it. */
  async addAppTransaction(t: { tid: string; server: Uint8Array; nonce: string; text: string; requiredFactor: string; creator: number; now: number }): Promise<void> {
    await this.sql.run("INSERT INTO transactions (tid, server, nonce, text, created, origin, required_factor, creator) VALUES (?, ?, ?, ?, ?, 'app', ?, ?)",
      [t.tid, b(t.server), t.nonce, t.text, t.now, t.requiredFactor, t.creator]);
  }
  /** The app-started transactions of a server, newest first (at most `limit`); `status` filters. */
  async listAppTransactions(server: Uint8Array, o: { status: string | null; limit: number }): Promise<TransactionRecord[]> {
    const rows = o.status === null
      ? await this.sql.all<TransactionRow>("SELECT * FROM transactions WHERE server = ? AND origin = 'app' ORDER BY created DESC, tid LIMIT ?", [b(server), o.limit])
      : await this.sql.all<TransactionRow>("SELECT * FROM transactions WHERE server = ? AND origin = 'app' AND status = ? ORDER BY created DESC, tid LIMIT ?", [b(server), o.status, o.limit]);
    return rows.map(transactionRecord);
  }
  async getTransaction(tid: string, server: Uint8Array): Promise<TransactionRecord | undefined> {
    return mapped(transactionRecord)(await this.sql.get<TransactionRow>('SELECT * FROM transactions WHERE tid = ? AND server = ?', [tid, b(server)]));
  }
  async signTransaction(tid: string, account: number, signature: Uint8Array): Promise<void> {
    await this.sql.run("UPDATE transactions SET status = 'SIGNED', account = ?, signature = ? WHERE tid = ? AND status = 'PENDING'", [
      account,
      b(signature),
      tid,
    ]);
  }
  async rejectTransaction(tid: string): Promise<void> {
    await this.sql.run("UPDATE transactions SET status = 'REJECTED' WHERE tid = ? AND status = 'PENDING'", [tid]);
  }
  /** Stores a single-use PIN-check challenge (and drops expired ones; retention.ts does too). */
  async addPinChallenge(challenge: Uint8Array, account: number, expires: number, now: number): Promise<void> {
    await this.sql.run('DELETE FROM pin_challenges WHERE expires < ?', [now]);
    await this.sql.run('INSERT INTO pin_challenges (challenge, account, expires) VALUES (?, ?, ?)', [b(challenge), account, expires]);
  }
  /**
   * Remembers the nonce of a fresh out-of-session request (§5.9, §6.3) until `expires`, when its
   * time is out of the window anyway; false when the account has sent it before (a replay).
   * Rows past `expires` are for the retention sweeper to delete.
   */
  async rememberDeviceNonce(account: number, nonce: Uint8Array, expires: number): Promise<boolean> {
    const row = await this.sql.get<{ account: number }>(
      'INSERT INTO device_nonces (account, nonce, expires) VALUES (?, ?, ?) ON CONFLICT (account, nonce) DO NOTHING RETURNING account',
      [account, b(nonce), expires],
    );
    if (row) this.sql.durable();  // a nonce forgotten in a crash would let its request be replayed
    return row !== undefined;
  }
  /** Removes and returns a PIN-check challenge: each can be answered once. */
  takePinChallenge(challenge: Uint8Array): Promise<{ account: number; expires: number } | undefined> {
    return this.sql.get<{ account: number; expires: number }>('DELETE FROM pin_challenges WHERE challenge = ? RETURNING account, expires', [b(challenge)]);
  }

  // --- v2.2 relying-party API: API keys, server pages, account and user lists ---

  async getApiKeyByDigest(digest: Uint8Array): Promise<ApiKeyRecord | undefined> {
    return mapped(apiKeyRecord)(await this.sql.get<ApiKeyRow>('SELECT * FROM api_keys WHERE digest = ?', [b(digest)]));
  }
  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (await this.sql.all<ApiKeyRow>('SELECT * FROM api_keys ORDER BY id')).map(apiKeyRecord);
  }
  /** The permissions of one key, or of every key when `keyId` is omitted. */
  async apiKeyPermissions(keyId?: string): Promise<ApiKeyPermissionRecord[]> {
    const rows = keyId === undefined
      ? await this.sql.all<ApiKeyPermissionRow>('SELECT * FROM api_key_permissions ORDER BY key_id, acl')
      : await this.sql.all<ApiKeyPermissionRow>('SELECT * FROM api_key_permissions WHERE key_id = ? ORDER BY acl', [keyId]);
    return rows.map(apiKeyPermissionRecord);
  }
  insertApiKey(k: { keyId: string; digest: Uint8Array; description: string | null; now: number; permissions: Array<{ acl: string; server: Uint8Array | null }> }): Promise<void> {
    return this.transaction(async () => {
      await this.sql.run('INSERT INTO api_keys (key_id, digest, description, created) VALUES (?, ?, ?, ?)', [k.keyId, b(k.digest), k.description, k.now]);
      for (const p of k.permissions) await this.addApiKeyPermission(k.keyId, p.acl, p.server);
      this.sql.durable();
    });
  }
  async addApiKeyPermission(keyId: string, acl: string, server: Uint8Array | null): Promise<void> {
    await this.sql.run('INSERT INTO api_key_permissions (key_id, acl, server) VALUES (?, ?, ?)', [keyId, acl, server ? b(server) : null]);
  }
  async getApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    return mapped(apiKeyRecord)(await this.sql.get<ApiKeyRow>('SELECT * FROM api_keys WHERE key_id = ?', [keyId]));
  }
  /** The permissions on one server (not the global ones), of every key or of one. */
  async serverPermissions(server: Uint8Array, keyId?: string): Promise<ApiKeyPermissionRecord[]> {
    const rows = keyId === undefined
      ? await this.sql.all<ApiKeyPermissionRow>('SELECT * FROM api_key_permissions WHERE server = ? ORDER BY key_id, acl', [b(server)])
      : await this.sql.all<ApiKeyPermissionRow>('SELECT * FROM api_key_permissions WHERE server = ? AND key_id = ? ORDER BY acl', [b(server), keyId]);
    return rows.map(apiKeyPermissionRecord);
  }
  /** Adds the permissions a key lacks on the server (one transaction). */
  grantServerPermissions(keyId: string, server: Uint8Array, acls: string[]): Promise<void> {
    return this.transaction(async () => {
      const have = new Set((await this.serverPermissions(server, keyId)).map((p) => p.acl));
      for (const acl of acls) if (!have.has(acl)) await this.addApiKeyPermission(keyId, acl, server);
    });
  }
  /** Removes the key's permissions `acls` (all, when null) on the server; resolves with how many. */
  /** Durable: a revoked permission must not come back after a crash. */
  revokeServerPermissions(keyId: string, server: Uint8Array, acls: string[] | null): Promise<number> {
    return this.#durably(async () => {
      if (acls === null) return this.sql.run('DELETE FROM api_key_permissions WHERE key_id = ? AND server = ?', [keyId, b(server)]);
      let n = 0;
      for (const acl of acls) n += await this.sql.run('DELETE FROM api_key_permissions WHERE key_id = ? AND server = ? AND acl = ?', [keyId, b(server), acl]);
      return n;
    });
  }
  /** Deletes the key and its permissions; false if there was no such key. */
  deleteApiKey(keyId: string): Promise<boolean> {
    return this.transaction(async () => {
      await this.sql.run('DELETE FROM api_key_permissions WHERE key_id = ?', [keyId]);
      this.sql.durable();  // a deleted key must not come back after a crash
      return (await this.sql.run('DELETE FROM api_keys WHERE key_id = ?', [keyId])) === 1;
    });
  }

  /** A page of servers; with `keyId`, only the servers that key has `acl` (or root) on, unless it has it globally. */
  async pageServers(limit: number, offset: number, only?: { keyId: string; acl: string }): Promise<{ rows: ServerRecord[]; total: number }> {
    const args: SqlValue[] = [];
    let where = '';
    if (only) {
      where = ` WHERE id IN (SELECT server FROM api_key_permissions WHERE key_id = ? AND acl IN (?, 'root') AND server IS NOT NULL)`;
      args.push(only.keyId, only.acl);
    }
    const total = await this.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM servers${where}`, args);
    const stored = await this.sql.all<ServerRow>(`SELECT * FROM servers${where} ORDER BY seq LIMIT ? OFFSET ?`, [...args, limit, offset]);
    const rows = await Promise.all(stored.map((r) => this.#serverRecord(r)));
    return { rows, total: Number(total?.n ?? 0) };
  }

  /** A page of the server's live accounts, filtered and sorted in SQL. */
  async queryAccounts(server: Uint8Array, q: ListQuery): Promise<{ rows: AccountRecord[]; total: number }> {
    const args: SqlValue[] = [b(server)];
    const where = ['server = ?', 'deleted = 0', ...whereEquals(q.filters, ACCOUNT_COLUMNS, args)].join(' AND ');
    const total = await this.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM accounts WHERE ${where}`, args);
    const rows = await this.sql.all<AccountRow>(
      `SELECT * FROM accounts WHERE ${where} ORDER BY ${orderBy(q.sort, ACCOUNT_COLUMNS, 'id ASC')} LIMIT ? OFFSET ?`,
      [...args, q.limit, q.offset],
    );
    return { rows: rows.map(accountRecord), total: Number(total?.n ?? 0) };
  }

  /** A page of the server's users: live accounts grouped by userid; `search` is a case-insensitive substring. */
  async queryUsers(server: Uint8Array, q: ListQuery & { search: string | null }): Promise<{ rows: UserRecord[]; total: number }> {
    const args: SqlValue[] = [b(server)];
    const where = ['server = ?', 'deleted = 0', 'userid IS NOT NULL'];
    const userFilters = q.filters.filter((f) => f.column === 'userid');
    where.push(...whereEquals(userFilters, USER_COLUMNS, args));
    if (q.search !== null) {
      where.push("LOWER(userid) LIKE ? ESCAPE '\\'");
      args.push(`%${q.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    const having = whereEquals(q.filters.filter((f) => f.column !== 'userid'), USER_COLUMNS, args);
    const grouped = `FROM accounts WHERE ${where.join(' AND ')} GROUP BY userid${having.length ? ` HAVING ${having.join(' AND ')}` : ''}`;
    const total = await this.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (SELECT userid ${grouped}) AS u`, args);
    const rows = await this.sql.all<UserRow>(
      `SELECT userid, COUNT(*) AS numberaccounts, MAX(lastlogin) AS lastlogin ${grouped} ORDER BY ${orderBy(q.sort, USER_COLUMNS, 'userid ASC')} LIMIT ? OFFSET ?`,
      [...args, q.limit, q.offset],
    );
    return { rows: rows.map(userRecord), total: Number(total?.n ?? 0) };
  }

  /** Every live account of a user, in id order. */
  async accountsOfUser(server: Uint8Array, userid: string): Promise<AccountRecord[]> {
    return (await this.sql.all<AccountRow>('SELECT * FROM accounts WHERE server = ? AND userid = ? AND deleted = 0 ORDER BY id', [b(server), userid])).map(accountRecord);
  }
  /** Blocks or unblocks the account; blocking also logs it out of every session (one transaction). */
  setAccountBlocked(id: number, blocked: boolean, now: number): Promise<void> {
    return this.transaction(async () => {
      await this.sql.run('UPDATE accounts SET blocked = ? WHERE id = ? AND deleted = 0', [blocked ? 1 : 0, id]);
      this.sql.durable();
      if (blocked) await this.#logOutEverywhere(id, now);
    });
  }
  async setAccountUser(id: number, userid: string): Promise<void> {
    await this.sql.run('UPDATE accounts SET userid = ? WHERE id = ? AND deleted = 0', [userid, id]);
  }
  async setLastProvoke(id: number, now: number): Promise<void> {
    await this.sql.run('UPDATE accounts SET lastprovoke = ? WHERE id = ?', [now, id]);
  }

  /**
   * Push fatigue (rp-api.ts provokeAccounts): the account's push login prompts, `pending` those not
   * yet answered (logged in, declined, mismatched) nor expired, `recent` those sent since `since`,
   * and when the oldest pending one expires and the oldest recent one leaves the window. Rows older
   * than `forgetBefore` and not pending are forgotten first.
   */
  async pushPrompts(account: number, now: number, since: number, forgetBefore: number): Promise<{ pending: number; recent: number; firstExpiry: number | null; firstRecent: number | null }> {
    await this.sql.run('DELETE FROM push_prompts WHERE account = ? AND created < ? AND expires <= ?', [account, forgetBefore, now]);
    const pendingRows = await this.sql.all<{ expires: number }>(
      `SELECT p.expires FROM push_prompts p LEFT JOIN qr_sessions q ON q.id = p.qr
       WHERE p.account = ? AND p.expires > ? AND COALESCE(q.used, 0) = 0 AND COALESCE(q.cancelled, 0) = 0`,
      [account, now],
    );
    const recentRows = await this.sql.all<{ created: number }>('SELECT created FROM push_prompts WHERE account = ? AND created > ?', [account, since]);
    const min = (xs: number[]) => (xs.length ? Math.min(...xs) : null);
    return {
      pending: pendingRows.length,
      recent: recentRows.length,
      firstExpiry: min(pendingRows.map((r) => Number(r.expires))),
      firstRecent: min(recentRows.map((r) => Number(r.created))),
    };
  }
  async addPushPrompt(account: number, qr: Uint8Array, created: number, expires: number): Promise<void> {
    await this.sql.run('INSERT INTO push_prompts (account, qr, created, expires) VALUES (?, ?, ?, ?)', [account, b(qr), created, expires]);
  }
  /** registerUser: the account logged in on the session, and the session, get `userid`. */
  registerUser(server: Uint8Array, nonce: string, accountId: number, userid: string, now: number): Promise<void> {
    return this.transaction(async () => {
      await this.setAccountUser(accountId, userid);
      await this.#writeRpSession(server, nonce, 'UPDATE rp_sessions SET userid = ?, updated = ? WHERE server = ? AND nonce = ?', [userid, now, b(server), nonce]);
    });
  }

  /**
   * Queues a payload for the local push relay, keeping the newest `limit` per token (a relay
   * nobody polls must not grow without bound; the app can still pull the rest with retrieveMessages).
   */
  enqueueRelay(token: string, payload: string, now: number, limit: number): Promise<void> {
    return this.transaction(async () => {
      await this.sql.run('INSERT INTO relay_queue (token, payload, created) VALUES (?, ?, ?)', [token, payload, now]);
      await this.sql.run(
        'DELETE FROM relay_queue WHERE token = ? AND seq <= (SELECT seq FROM relay_queue WHERE token = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)',
        [token, token, limit],
      );
    });
  }
  /** Removes and returns everything queued for `token`, oldest first: each payload is handed out once. */
  async takeRelay(token: string): Promise<string[]> {
    const rows = await this.sql.all<{ seq: number; payload: string }>('DELETE FROM relay_queue WHERE token = ? RETURNING seq, payload', [token]);
    return rows.sort((x, y) => x.seq - y.seq).map((r) => r.payload);
  }

  async close(): Promise<void> {
    this.#stopRelay?.();
    this.#stopRelay = null;
    this.relay = null;
    const stop = this.#stopServerListen;
    this.#stopServerListen = null;
    if (stop) await stop().catch(() => {});
    return this.sql.close();
  }

  /** `work` as a transaction whose commit is durable (SqlDriver.durable). */
  #durably<T>(work: () => Promise<T>): Promise<T> {
    return this.transaction(async () => {
      const result = await work();
      this.sql.durable();
      return result;
    });
  }

  #forUpdate(): string {
    return this.sql.dialect === 'postgres' ? ' FOR UPDATE' : '';
  }
}
