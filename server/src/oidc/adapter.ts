// oidc-provider's storage on the server's own database (sql/schema-oidc.ts), so every instance
// behind a balancer sees the same sessions, interactions, codes, tokens, grants and clients.
//
// At rest nothing here is usable on its own: rows are keyed by a digest of the artifact's id
// (an opaque access token, refresh token or code *is* its id, so storing it would store the
// credential), and payloads are sealed with the provider's data key (a client's secret, a
// session's claims), the model and the id digest as associated data, so a row copied under
// another id or model does not open.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { aeadOpen, aeadSeal, concat, hash, utf8 } from '../crypto';
import type { SqlDriver } from '../sql/driver';

/** The models whose rows belong to a grant (revokeByGrantId removes them together). */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'ClientCredentials']);

/** How long an expired row is still returned (and kept by the retention sweep). */
export const EXPIRED_GRACE_MS = 10 * 60 * 1000;

interface Row {
  payload: Buffer;
  expires: number | null;
  consumed: number | null;
}

export interface OidcStorage {
  sql: SqlDriver;
  /** 32 bytes: seals payloads and keys the id digests. */
  dataKey: Uint8Array;
}

/** The digest an id (or uid, user code, grant id) is stored under: keyed, so ids cannot be confirmed offline. */
export function idDigest(storage: OidcStorage, kind: string, id: string): Buffer {
  return Buffer.from(hash(storage.dataKey, utf8(kind), utf8('\0'), utf8(id)));
}

export class SqlOidcAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly storage: OidcStorage,
  ) {}

  #key(id: string): Buffer {
    return idDigest(this.storage, this.model, id);
  }

  #ad(key: Buffer): Uint8Array {
    return concat(utf8(this.model), utf8('\0'), key);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.#key(id);
    const sealed = Buffer.from(aeadSeal(this.storage.dataKey, utf8(JSON.stringify(payload)), this.#ad(key)));
    const grantId = GRANTABLE.has(this.model) && payload.grantId ? idDigest(this.storage, 'grant', payload.grantId) : null;
    const uid = payload.uid ? idDigest(this.storage, 'uid', payload.uid) : null;
    const userCode = payload.userCode ? idDigest(this.storage, 'user-code', payload.userCode) : null;
    const owner = typeof payload.tapgate_server === 'string' ? Buffer.from(payload.tapgate_server, 'base64url') : null;
    const expires = typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? Math.round(Date.now() + expiresIn * 1000) : null;
    await this.storage.sql.run(
      `INSERT INTO oidc_payloads (model, id_hash, payload, grant_id, uid_hash, user_code_hash, owner, expires, consumed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
       ON CONFLICT (model, id_hash) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
         uid_hash = excluded.uid_hash, user_code_hash = excluded.user_code_hash, owner = excluded.owner, expires = excluded.expires`,
      [this.model, key, sealed, grantId, uid, userCode, owner, expires],
    );
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const key = this.#key(id);
    const row = await this.storage.sql.get<Row>('SELECT payload, expires, consumed FROM oidc_payloads WHERE model = ? AND id_hash = ?', [this.model, key]);
    return this.#open(key, row);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const row = await this.storage.sql.get<Row & { id_hash: Buffer }>(
      'SELECT id_hash, payload, expires, consumed FROM oidc_payloads WHERE model = ? AND uid_hash = ?',
      [this.model, idDigest(this.storage, 'uid', uid)],
    );
    return row ? this.#open(row.id_hash, row) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const row = await this.storage.sql.get<Row & { id_hash: Buffer }>(
      'SELECT id_hash, payload, expires, consumed FROM oidc_payloads WHERE model = ? AND user_code_hash = ?',
      [this.model, idDigest(this.storage, 'user-code', userCode)],
    );
    return row ? this.#open(row.id_hash, row) : undefined;
  }

  async consume(id: string): Promise<void> {
    await this.storage.sql.run('UPDATE oidc_payloads SET consumed = ? WHERE model = ? AND id_hash = ?', [Math.floor(Date.now() / 1000), this.model, this.#key(id)]);
  }

  async destroy(id: string): Promise<void> {
    await this.storage.sql.run('DELETE FROM oidc_payloads WHERE model = ? AND id_hash = ?', [this.model, this.#key(id)]);
  }

  /** Deletes the row and says whether this call did: of several instances racing, one wins. */
  async take(id: string): Promise<AdapterPayload | undefined> {
    const key = this.#key(id);
    const row = await this.storage.sql.get<Row>(
      'DELETE FROM oidc_payloads WHERE model = ? AND id_hash = ? RETURNING payload, expires, consumed',
      [this.model, key],
    );
    return this.#open(key, row);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.storage.sql.run('DELETE FROM oidc_payloads WHERE grant_id = ?', [idDigest(this.storage, 'grant', grantId)]);
  }

  /** The payloads of this model owned by a virtual server (its clients), in no set order. */
  async listOwnedBy(server: Uint8Array): Promise<AdapterPayload[]> {
    const rows = await this.storage.sql.all<Row & { id_hash: Buffer }>(
      'SELECT id_hash, payload, expires, consumed FROM oidc_payloads WHERE model = ? AND owner = ?',
      [this.model, Buffer.from(server)],
    );
    const out: AdapterPayload[] = [];
    for (const row of rows) {
      const payload = this.#open(row.id_hash, row);
      if (payload) out.push(payload);
    }
    return out;
  }

  #open(key: Buffer, row: Row | undefined): AdapterPayload | undefined {
    if (!row) return undefined;
    // The models check their own expiry (a CIBA poll after it must answer expired_token, not
    // invalid_grant), so rows stay readable for a grace period before the sweep deletes them.
    if (row.expires !== null && Number(row.expires) + EXPIRED_GRACE_MS <= Date.now()) return undefined;
    const opened = aeadOpen(this.storage.dataKey, row.payload, this.#ad(key));
    // A row that does not open was not written under this key (a restored backup of another
    // deployment, a tampered row): it is as good as absent.
    if (!opened) return undefined;
    const payload = JSON.parse(Buffer.from(opened).toString('utf8')) as AdapterPayload;
    if (row.consumed !== null) payload.consumed = Number(row.consumed);
    return payload;
  }
}
