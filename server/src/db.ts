// SQLite storage (better-sqlite3): schema, row types and the prepared statements the APIs use.
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS servers (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  id                BLOB NOT NULL UNIQUE,
  pk                BLOB NOT NULL,
  sk                BLOB NOT NULL,
  name              TEXT NOT NULL,
  ping_time         INTEGER NOT NULL DEFAULT 0,
  pin_timeout       INTEGER NOT NULL DEFAULT 0,
  pin_attempt_limit INTEGER NOT NULL DEFAULT 3,
  created           INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rp_sessions (
  server         BLOB NOT NULL,
  nonce          TEXT NOT NULL,
  loggedin       INTEGER NOT NULL DEFAULT 0,
  accountid      INTEGER,
  userid         TEXT,
  cancelled      INTEGER NOT NULL DEFAULT 0,
  scanned        INTEGER NOT NULL DEFAULT 0,
  userinput      TEXT,
  latest_qr      BLOB,
  latest_login_qr BLOB,
  created        INTEGER NOT NULL,
  updated        INTEGER NOT NULL,
  loggedin_at    INTEGER,
  last_seen      INTEGER,
  login_qr       BLOB,
  PRIMARY KEY (server, nonce)
);
CREATE TABLE IF NOT EXISTS qr_sessions (
  id          BLOB PRIMARY KEY,
  server      BLOB NOT NULL,
  nonce       TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('login', 'enrol')),
  userid      TEXT,
  name        TEXT,
  usercontext TEXT,
  payload     BLOB NOT NULL,
  created     INTEGER NOT NULL,
  expires     INTEGER NOT NULL,
  used        INTEGER NOT NULL DEFAULT 0,
  started     INTEGER NOT NULL DEFAULT 0,
  cancelled   INTEGER NOT NULL DEFAULT 0,
  transcript  BLOB NOT NULL,
  require_2f  INTEGER NOT NULL DEFAULT 0,
  match_code  TEXT,
  tid         TEXT
);
CREATE TABLE IF NOT EXISTS transactions (
  tid        TEXT PRIMARY KEY,
  server     BLOB NOT NULL,
  nonce      TEXT NOT NULL,
  text       TEXT NOT NULL,
  status     TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SIGNED', 'REJECTED')),
  account    INTEGER,
  signature  BLOB,
  created    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS qr_sessions_expires ON qr_sessions (expires);
CREATE TABLE IF NOT EXISTS accounts (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  server       BLOB NOT NULL,
  userid       TEXT,
  pk           BLOB NOT NULL,
  box_pk       BLOB NOT NULL,
  pin_pk       BLOB NOT NULL,
  pin_failures INTEGER NOT NULL DEFAULT 0,
  blocked      INTEGER NOT NULL DEFAULT 0,
  created      INTEGER NOT NULL,
  lastlogin    INTEGER,
  description  TEXT,
  push_token   TEXT,
  deleted      INTEGER NOT NULL DEFAULT 0,
  last_factor_at INTEGER,
  bio_pk       BLOB
);
CREATE INDEX IF NOT EXISTS accounts_server ON accounts (server);
CREATE TABLE IF NOT EXISTS messages (
  id       BLOB PRIMARY KEY,
  account  INTEGER NOT NULL,
  sealed   BLOB NOT NULL,
  created  INTEGER NOT NULL,
  expires  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_account ON messages (account, expires);
CREATE TABLE IF NOT EXISTS pin_challenges (
  challenge BLOB PRIMARY KEY,
  account   INTEGER NOT NULL,
  expires   INTEGER NOT NULL
);
`;

export interface ServerRow {
  seq: number;
  id: Buffer;
  pk: Buffer;
  sk: Buffer;
  name: string;
  ping_time: number;
  pin_timeout: number;
  pin_attempt_limit: number;
  created: number;
}

export interface RpSessionRow {
  server: Buffer;
  nonce: string;
  loggedin: number;
  accountid: number | null;
  userid: string | null;
  cancelled: number;
  scanned: number;
  userinput: string | null;
  latest_qr: Buffer | null;
  latest_login_qr: Buffer | null;
  created: number;
  updated: number;
  loggedin_at: number | null;
  /** When the device last proved a continuous login alive (login or ping). */
  last_seen: number | null;
  /** The QR session the current login happened on (its logout message names it). */
  login_qr: Buffer | null;
}

export interface QrSessionRow {
  id: Buffer;
  server: Buffer;
  nonce: string;
  kind: 'login' | 'enrol';
  userid: string | null;
  name: string | null;
  usercontext: string | null;
  payload: Buffer;
  created: number;
  expires: number;
  used: number;
  started: number;
  cancelled: number;
  transcript: Buffer;
  /** The relying party asked for the second factor whatever the pinTimeout. */
  require_2f: number;
  /** Code matching: the code the login page shows. */
  match_code: string | null;
  /** The transaction this session approves. */
  tid: string | null;
}

export interface TransactionRow {
  tid: string;
  server: Buffer;
  nonce: string;
  text: string;
  status: 'PENDING' | 'SIGNED' | 'REJECTED';
  account: number | null;
  signature: Buffer | null;
  created: number;
}

export interface AccountRow {
  id: number;
  server: Buffer;
  userid: string | null;
  pk: Buffer;
  box_pk: Buffer;
  pin_pk: Buffer;
  pin_failures: number;
  blocked: number;
  created: number;
  lastlogin: number | null;
  description: string | null;
  push_token: string | null;
  /** Deleted accounts stay as tombstones so the device can still fetch its deletion message. */
  deleted: number;
  /** When a second factor was last verified for this account (pinTimeout counts from here). */
  last_factor_at: number | null;
  /** The account's biometric public key, when the user set one. */
  bio_pk: Buffer | null;
  /** A new PIN key the device prepared (§5.10); it replaces pin_pk at commit or when first used. */
  pending_pin_pk: Buffer | null;
}

export interface ServerParams {
  name: string;
  pingTime: number;
  pinTimeout: number;
  pinAttemptLimit: number;
}

function b(x: Uint8Array): Buffer {
  return Buffer.from(x.buffer, x.byteOffset, x.length);
}

/** Opens (creating if needed) the database; all SQL of the server lives in this class. */
export class Store {
  readonly db: Database.Database;
  private readonly st;

  constructor(file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.migrate();
    const db = this.db;
    this.st = {
      getSetting: db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?'),
      setSetting: db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      insertServer: db.prepare(
        'INSERT INTO servers (id, pk, sk, name, ping_time, pin_timeout, pin_attempt_limit, created) VALUES (?, ?, ?, ?, 0, 0, 3, ?)',
      ),
      listServers: db.prepare<[], ServerRow>('SELECT * FROM servers ORDER BY seq'),
      getServer: db.prepare<[Buffer], ServerRow>('SELECT * FROM servers WHERE id = ?'),
      updateServer: db.prepare(
        'UPDATE servers SET name = ?, ping_time = ?, pin_timeout = ?, pin_attempt_limit = ? WHERE id = ?',
      ),
      countAccounts: db.prepare<[Buffer], { n: number }>('SELECT COUNT(*) AS n FROM accounts WHERE server = ? AND deleted = 0'),
      getRp: db.prepare<[Buffer, string], RpSessionRow>('SELECT * FROM rp_sessions WHERE server = ? AND nonce = ?'),
      upsertRpForQr: db.prepare(
        `INSERT INTO rp_sessions (server, nonce, latest_qr, latest_login_qr, created, updated)
         VALUES (@server, @nonce, @qr, @loginPayload, @now, @now)
         ON CONFLICT(server, nonce) DO UPDATE SET
           latest_qr = excluded.latest_qr,
           latest_login_qr = COALESCE(excluded.latest_login_qr, latest_login_qr),
           scanned = 0, cancelled = 0, updated = excluded.updated`,
      ),
      markScanned: db.prepare('UPDATE rp_sessions SET scanned = 1, updated = ? WHERE server = ? AND nonce = ?'),
      markCancelled: db.prepare(
        'UPDATE rp_sessions SET cancelled = 1, updated = ? WHERE server = ? AND nonce = ? AND loggedin = 0 AND latest_qr = ?',
      ),
      logIn: db.prepare(
        `UPDATE rp_sessions SET loggedin = 1, accountid = ?, userid = ?, userinput = ?, cancelled = 0,
           loggedin_at = ?, last_seen = ?, login_qr = ?, updated = ? WHERE server = ? AND nonce = ?`,
      ),
      logOut: db.prepare('UPDATE rp_sessions SET loggedin = 0, updated = ? WHERE server = ? AND nonce = ?'),
      markSeen: db.prepare('UPDATE rp_sessions SET last_seen = ? WHERE server = ? AND nonce = ?'),
      insertQr: db.prepare(
        `INSERT INTO qr_sessions (id, server, nonce, kind, userid, name, usercontext, payload, created, expires, transcript,
                                  require_2f, match_code, tid)
         VALUES (@id, @server, @nonce, @kind, @userid, @name, @usercontext, @payload, @created, @expires, @transcript,
                 @require2f, @matchCode, @tid)`,
      ),
      getQr: db.prepare<[Buffer], QrSessionRow>('SELECT * FROM qr_sessions WHERE id = ?'),
      setQrStarted: db.prepare('UPDATE qr_sessions SET started = 1, transcript = ? WHERE id = ?'),
      setQrTranscript: db.prepare('UPDATE qr_sessions SET transcript = ? WHERE id = ?'),
      setQrUsed: db.prepare('UPDATE qr_sessions SET used = 1, transcript = ? WHERE id = ?'),
      setQrCancelled: db.prepare('UPDATE qr_sessions SET cancelled = 1 WHERE id = ?'),
      pruneQr: db.prepare('DELETE FROM qr_sessions WHERE expires < ?'),
      insertAccount: db.prepare(
        `INSERT INTO accounts (server, userid, pk, box_pk, pin_pk, created, lastlogin, description)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      getAccount: db.prepare<[number], AccountRow>('SELECT * FROM accounts WHERE id = ? AND deleted = 0'),
      listAccounts: db.prepare<[Buffer], AccountRow>('SELECT * FROM accounts WHERE server = ? AND deleted = 0 ORDER BY id'),
      getAccountOrTombstone: db.prepare<[number], AccountRow>('SELECT * FROM accounts WHERE id = ?'),
      setPushToken: db.prepare('UPDATE accounts SET push_token = ? WHERE id = ? AND deleted = 0'),
      forgetPushToken: db.prepare('UPDATE accounts SET push_token = NULL WHERE push_token = ?'),
      deleteAccount: db.prepare('UPDATE accounts SET deleted = 1, push_token = NULL WHERE id = ?'),
      loggedInSessionsOf: db.prepare<[number], RpSessionRow>('SELECT * FROM rp_sessions WHERE loggedin = 1 AND accountid = ?'),
      insertMessage: db.prepare('INSERT INTO messages (id, account, sealed, created, expires) VALUES (?, ?, ?, ?, ?)'),
      listMessages: db.prepare<[number, number], { sealed: Buffer }>(
        'SELECT sealed FROM messages WHERE account = ? AND expires > ? ORDER BY created',
      ),
      pruneMessages: db.prepare('DELETE FROM messages WHERE expires <= ?'),
      setPinFailures: db.prepare('UPDATE accounts SET pin_failures = ? WHERE id = ?'),
      // Only a correct PIN resets pin_failures (pinVerdict); a login by another factor must not.
      accountLoggedIn: db.prepare('UPDATE accounts SET lastlogin = ? WHERE id = ?'),
      factorVerified: db.prepare('UPDATE accounts SET last_factor_at = ? WHERE id = ?'),
      setBioPk: db.prepare('UPDATE accounts SET bio_pk = ? WHERE id = ?'),
      setPendingPinPk: db.prepare('UPDATE accounts SET pending_pin_pk = ? WHERE id = ?'),
      promotePinPk: db.prepare('UPDATE accounts SET pin_pk = pending_pin_pk, pending_pin_pk = NULL WHERE id = ? AND pending_pin_pk = ?'),
      insertTransaction: db.prepare('INSERT INTO transactions (tid, server, nonce, text, created) VALUES (?, ?, ?, ?, ?)'),
      getTransaction: db.prepare<[string, Buffer], TransactionRow>('SELECT * FROM transactions WHERE tid = ? AND server = ?'),
      signTransaction: db.prepare("UPDATE transactions SET status = 'SIGNED', account = ?, signature = ? WHERE tid = ? AND status = 'PENDING'"),
      rejectTransaction: db.prepare("UPDATE transactions SET status = 'REJECTED' WHERE tid = ? AND status = 'PENDING'"),
      insertPinChallenge: db.prepare('INSERT INTO pin_challenges (challenge, account, expires) VALUES (?, ?, ?)'),
      takePinChallenge: db.prepare<[Buffer], { account: number; expires: number }>(
        'DELETE FROM pin_challenges WHERE challenge = ? RETURNING account, expires',
      ),
      prunePinChallenges: db.prepare('DELETE FROM pin_challenges WHERE expires < ?'),
    };
  }

  /** Brings databases made by earlier versions up to the current schema. */
  private migrate(): void {
    const add = (table: string, column: string, decl: string) => {
      const columns = this.db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all();
      if (!columns.some((c) => c.name === column)) this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${decl}`);
    };
    add('rp_sessions', 'last_seen', 'INTEGER');
    add('rp_sessions', 'login_qr', 'BLOB');
    add('accounts', 'push_token', 'TEXT');
    add('accounts', 'deleted', 'INTEGER NOT NULL DEFAULT 0');
    add('accounts', 'last_factor_at', 'INTEGER');
    add('accounts', 'bio_pk', 'BLOB');
    add('accounts', 'pending_pin_pk', 'BLOB');
    add('qr_sessions', 'require_2f', 'INTEGER NOT NULL DEFAULT 0');
    add('qr_sessions', 'match_code', 'TEXT');
    add('qr_sessions', 'tid', 'TEXT');
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  getSetting(key: string): string | undefined {
    return this.st.getSetting.get(key)?.value;
  }
  setSetting(key: string, value: string): void {
    this.st.setSetting.run(key, value);
  }

  insertServer(id: Uint8Array, pk: Uint8Array, sk: Uint8Array, name: string, now: number): void {
    this.st.insertServer.run(b(id), b(pk), b(sk), name, now);
  }
  listServers(): ServerRow[] {
    return this.st.listServers.all();
  }
  getServer(id: Uint8Array): ServerRow | undefined {
    return this.st.getServer.get(b(id));
  }
  updateServer(id: Uint8Array, p: ServerParams): void {
    this.st.updateServer.run(p.name, p.pingTime, p.pinTimeout, p.pinAttemptLimit, b(id));
  }
  countAccounts(server: Uint8Array): number {
    return this.st.countAccounts.get(b(server))?.n ?? 0;
  }

  getRpSession(server: Uint8Array, nonce: string): RpSessionRow | undefined {
    return this.st.getRp.get(b(server), nonce);
  }
  markScanned(server: Uint8Array, nonce: string, now: number): void {
    this.st.markScanned.run(now, b(server), nonce);
  }
  /** Cancels the relying party's session if `qrId` is its latest QR and it is not logged in. */
  markCancelled(server: Uint8Array, nonce: string, qrId: Uint8Array, now: number): void {
    this.st.markCancelled.run(now, b(server), nonce, b(qrId));
  }
  logIn(
    server: Uint8Array,
    nonce: string,
    qrId: Uint8Array,
    login: { accountId: number; userId: string | null; userInput: string | null },
    now: number,
  ): void {
    this.st.logIn.run(login.accountId, login.userId, login.userInput, now, now, b(qrId), now, b(server), nonce);
  }
  logOut(server: Uint8Array, nonce: string, now: number): void {
    this.st.logOut.run(now, b(server), nonce);
  }
  markSeen(server: Uint8Array, nonce: string, now: number): void {
    this.st.markSeen.run(now, b(server), nonce);
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
  }): void {
    this.transaction(() => {
      this.st.pruneQr.run(q.created - 24 * 3600 * 1000);
      this.st.insertQr.run({
        ...q,
        id: b(q.id),
        server: b(q.server),
        payload: b(q.payload),
        transcript: b(q.transcript),
        require2f: q.requireSecondFactor ? 1 : 0,
        matchCode: q.matchCode ?? null,
        tid: q.tid ?? null,
      });
      this.st.upsertRpForQr.run({
        server: b(q.server),
        nonce: q.nonce,
        qr: b(q.id),
        loginPayload: q.kind === 'login' ? b(q.payload) : null,
        now: q.created,
      });
    });
  }
  getQrSession(id: Uint8Array): QrSessionRow | undefined {
    return this.st.getQr.get(b(id));
  }
  setQrStarted(id: Uint8Array, transcript: Uint8Array): void {
    this.st.setQrStarted.run(b(transcript), b(id));
  }
  setQrTranscript(id: Uint8Array, transcript: Uint8Array): void {
    this.st.setQrTranscript.run(b(transcript), b(id));
  }
  setQrUsed(id: Uint8Array, transcript: Uint8Array): void {
    this.st.setQrUsed.run(b(transcript), b(id));
  }
  setQrCancelled(id: Uint8Array): void {
    this.st.setQrCancelled.run(b(id));
  }

  insertAccount(a: {
    server: Uint8Array;
    userid: string | null;
    pk: Uint8Array;
    boxPk: Uint8Array;
    pinPk: Uint8Array;
    now: number;
    description: string | null;
  }): number {
    const r = this.st.insertAccount.run(b(a.server), a.userid, b(a.pk), b(a.boxPk), b(a.pinPk), a.now, a.now, a.description);
    return Number(r.lastInsertRowid);
  }
  /** A live account; deleted ones are gone for every purpose but fetching their messages. */
  getAccount(id: number): AccountRow | undefined {
    return this.st.getAccount.get(id);
  }
  getAccountOrTombstone(id: number): AccountRow | undefined {
    return this.st.getAccountOrTombstone.get(id);
  }
  setPushToken(id: number, token: string): void {
    this.st.setPushToken.run(token, id);
  }
  /** Drops a token the push service no longer knows, from every account holding it. */
  forgetPushToken(token: string): void {
    this.st.forgetPushToken.run(token);
  }
  /** Marks the account deleted and logs out every session it is logged in to. */
  deleteAccount(id: number, now: number): RpSessionRow[] {
    const sessions = this.st.loggedInSessionsOf.all(id);
    for (const rp of sessions) this.logOut(rp.server, rp.nonce, now);
    this.st.deleteAccount.run(id);
    return sessions;
  }
  addMessage(m: { id: Uint8Array; account: number; sealed: Uint8Array; now: number; expires: number }): void {
    this.st.pruneMessages.run(m.now);
    this.st.insertMessage.run(b(m.id), m.account, b(m.sealed), m.now, m.expires);
  }
  messagesFor(account: number, now: number): Buffer[] {
    return this.st.listMessages.all(account, now).map((r) => r.sealed);
  }
  listAccounts(server: Uint8Array): AccountRow[] {
    return this.st.listAccounts.all(b(server));
  }
  setPinFailures(id: number, failures: number): void {
    this.st.setPinFailures.run(failures, id);
  }
  accountLoggedIn(id: number, now: number): void {
    this.st.accountLoggedIn.run(now, id);
  }
  factorVerified(id: number, now: number): void {
    this.st.factorVerified.run(now, id);
  }
  setBioPk(id: number, bioPk: Uint8Array | null): void {
    this.st.setBioPk.run(bioPk ? b(bioPk) : null, id);
  }
  setPendingPinPk(id: number, pinPk: Uint8Array): void {
    this.st.setPendingPinPk.run(b(pinPk), id);
  }
  /** Makes the prepared PIN key the PIN key, if `pinPk` is the one prepared. */
  promotePinPk(id: number, pinPk: Uint8Array): boolean {
    return this.st.promotePinPk.run(id, b(pinPk)).changes === 1;
  }
  addTransaction(t: { tid: string; server: Uint8Array; nonce: string; text: string; now: number }): void {
    this.st.insertTransaction.run(t.tid, b(t.server), t.nonce, t.text, t.now);
  }
  getTransaction(tid: string, server: Uint8Array): TransactionRow | undefined {
    return this.st.getTransaction.get(tid, b(server));
  }
  signTransaction(tid: string, account: number, signature: Uint8Array): void {
    this.st.signTransaction.run(account, b(signature), tid);
  }
  rejectTransaction(tid: string): void {
    this.st.rejectTransaction.run(tid);
  }
  /** Stores a single-use PIN-check challenge (and drops expired ones). */
  addPinChallenge(challenge: Uint8Array, account: number, expires: number, now: number): void {
    this.st.prunePinChallenges.run(now);
    this.st.insertPinChallenge.run(b(challenge), account, expires);
  }
  /** Removes and returns a PIN-check challenge: each can be answered once. */
  takePinChallenge(challenge: Uint8Array): { account: number; expires: number } | undefined {
    return this.st.takePinChallenge.get(b(challenge));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
