// The admin console's queries (tables in sql/schema-admin.ts), over the Store's SQL driver: the
// roles granted to accounts, the console's sessions (by cookie digest), and the logged-in
// relying-party sessions of a server. Kept beside db.ts rather than in it: only the console and
// the role routes (rp-roles.ts) read these tables.
import type { SqlDriver } from '../sql/driver';

/** The roles an account can hold; `admin` signs in to the console. */
export const ROLES = ['admin'] as const;
export type Role = (typeof ROLES)[number];

export interface RoleGrant {
  account: number;
  role: Role;
  granted: number;
  userId: string | null;
}

export interface AdminSessionRecord {
  server: Buffer;
  account: number;
  /** The relying-party session (on the admin server) the console signed in on. */
  nonce: string;
  created: number;
  lastSeen: number;
}

export interface LiveSessionRecord {
  nonce: string;
  accountId: number | null;
  userId: string | null;
  loggedInAt: number | null;
  lastSeen: number | null;
  factor: string | null;
}

const buf = (x: Uint8Array) => Buffer.from(x.buffer, x.byteOffset, x.length);

export class AdminStore {
  constructor(private readonly sql: SqlDriver) {}

  /** The roles of the live accounts of `server` (deleted accounts hold none). */
  async roles(server: Uint8Array): Promise<RoleGrant[]> {
    const rows = await this.sql.all<{ account: number; role: Role; granted: number; userid: string | null }>(
      'SELECT r.account, r.role, r.granted, a.userid FROM account_roles r JOIN accounts a ON a.id = r.account WHERE a.server = ? AND a.deleted = 0 ORDER BY r.account, r.role',
      [buf(server)],
    );
    return rows.map((r) => ({ account: Number(r.account), role: r.role, granted: Number(r.granted), userId: r.userid }));
  }

  async hasRole(account: number, role: Role): Promise<boolean> {
    return !!(await this.sql.get('SELECT 1 AS one FROM account_roles WHERE account = ? AND role = ?', [account, role]));
  }

  /** Grants `role` (kept as first granted when held already). Durable: a lost grant or revoke changes who is an administrator. */
  grantRole(account: number, role: Role, now: number): Promise<void> {
    return this.sql.transaction(async () => {
      await this.sql.run('INSERT INTO account_roles (account, role, granted) VALUES (?, ?, ?) ON CONFLICT (account, role) DO NOTHING', [account, role, now]);
      this.sql.durable();
    });
  }

  /** Revokes `role` and ends the account's console sessions; false when it was not held. */
  revokeRole(account: number, role: Role): Promise<boolean> {
    return this.sql.transaction(async () => {
      const n = await this.sql.run('DELETE FROM account_roles WHERE account = ? AND role = ?', [account, role]);
      if (role === 'admin') await this.sql.run('DELETE FROM admin_sessions WHERE account = ?', [account]);
      this.sql.durable();
      return n > 0;
    });
  }

  /** A new console session; false when one was made on this nonce already (a login is finished once). */
  async insertSession(s: { idHash: Uint8Array; server: Uint8Array; account: number; nonce: string; now: number }): Promise<boolean> {
    const n = await this.sql.run(
      'INSERT INTO admin_sessions (id_hash, server, account, nonce, created, last_seen) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (nonce) DO NOTHING',
      [buf(s.idHash), buf(s.server), s.account, s.nonce, s.now, s.now],
    );
    return n > 0;
  }

  async session(idHash: Uint8Array): Promise<AdminSessionRecord | undefined> {
    const r = await this.sql.get<{ server: Buffer; account: number; nonce: string; created: number; last_seen: number }>(
      'SELECT server, account, nonce, created, last_seen FROM admin_sessions WHERE id_hash = ?',
      [buf(idHash)],
    );
    return r && { server: r.server, account: Number(r.account), nonce: r.nonce, created: Number(r.created), lastSeen: Number(r.last_seen) };
  }

  async touchSession(idHash: Uint8Array, now: number): Promise<void> {
    await this.sql.run('UPDATE admin_sessions SET last_seen = ? WHERE id_hash = ?', [now, buf(idHash)]);
  }

  async deleteSession(idHash: Uint8Array): Promise<void> {
    await this.sql.run('DELETE FROM admin_sessions WHERE id_hash = ?', [buf(idHash)]);
  }

  /** Forgets the sessions idle since `idleBefore` or made before `createdBefore`. */
  async deleteExpiredSessions(idleBefore: number, createdBefore: number): Promise<void> {
    await this.sql.run('DELETE FROM admin_sessions WHERE last_seen < ? OR created < ?', [idleBefore, createdBefore]);
  }

  /** The logged-in relying-party sessions of `server`, latest login first. */
  async liveSessions(server: Uint8Array, limit: number): Promise<LiveSessionRecord[]> {
    const rows = await this.sql.all<{ nonce: string; accountid: number | null; userid: string | null; loggedin_at: number | null; last_seen: number | null; factor: string | null }>(
      'SELECT nonce, accountid, userid, loggedin_at, last_seen, factor FROM rp_sessions WHERE server = ? AND loggedin = 1 ORDER BY loggedin_at DESC, nonce LIMIT ?',
      [buf(server), limit],
    );
    const n = (v: number | null) => (v === null ? null : Number(v));
    return rows.map((r) => ({ nonce: r.nonce, accountId: n(r.accountid), userId: r.userid, loggedInAt: n(r.loggedin_at), lastSeen: n(r.last_seen), factor: r.factor }));
  }
}
