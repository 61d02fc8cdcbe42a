// API keys of the relying-party API: the root key (configuration) and keys made with
// POST /apikeys/, stored as digests only, each with permissions on one server or on all.
import type * as http from 'node:http';
import { bytesEqual, fromB64u, hash, randomBytes, toB64u, utf8 } from './crypto';
import type { ApiKeyPermissionRow, ApiKeyRow, ServerRow, Store } from './db';
import { header, HttpError, sendJson } from './http';
import { SERVER_ID_BYTES } from './qr';
import { MAX_TEXT_PARAM_CHARS } from './rp-lists';

/** The permissions of the v2.2 API: `root` implies every other. */
export const PERMISSIONS = ['sessions', 'accounts', 'users', 'servers', 'createserver', 'root'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Who is calling: the root key, or a stored key with its permissions. */
export interface Caller {
  keyId: string | null;
  permissions: Array<{ acl: string; server: Uint8Array | null }>;
}

export class ApiKeys {
  private readonly rootDigest: Uint8Array;
  /** Digests (base64url) of stored keys that authenticated here: the rate limiter gives them their own bucket. */
  private readonly known = new Set<string>();

  /** `rootDigest`: the root key's digest (the key itself is never kept: index.ts). */
  constructor(
    private readonly store: Store,
    rootDigest: Uint8Array,
    private readonly now: () => number,
  ) {
    this.rootDigest = rootDigest;
  }

  /** True if `digest` (base64url) is the root key's or a stored key's that authenticated on this instance. */
  isKnownDigest(digest: string): boolean {
    return digest === toB64u(this.rootDigest) || this.known.has(digest);
  }

  /** The caller of X-apikey; HttpError 401 for no or an unknown key. Keys are compared by digest. */
  async authenticate(req: http.IncomingMessage): Promise<Caller> {
    const key = header(req, 'x-apikey');
    if (!key) throw new HttpError(401, 'missing or wrong X-apikey');
    const digest = hash(utf8(key));
    if (bytesEqual(digest, this.rootDigest)) return { keyId: null, permissions: [{ acl: 'root', server: null }] };
    const row = await this.store.getApiKeyByDigest(digest);
    if (!row || !bytesEqual(row.digest, digest)) throw new HttpError(401, 'missing or wrong X-apikey');
    this.known.add(toB64u(digest));
    return { keyId: row.key_id, permissions: (await this.store.apiKeyPermissions(row.key_id)).map((p) => ({ acl: p.acl, server: p.server })) };
  }

  /** HttpError 403 unless the caller has one of `acls` (or root) on `server` (null: globally). */
  static require(caller: Caller, server: Uint8Array | null, ...acls: Permission[]): void {
    const ok = caller.permissions.some(
      (p) => (p.acl === 'root' || (acls as string[]).includes(p.acl)) && (p.server === null || (server !== null && bytesEqual(p.server, server))),
    );
    if (!ok) {
      const where = server ? 'on this server' : 'globally';
      throw new HttpError(403, `this API key lacks the permission ${acls.map((a) => `"${a}"`).join(' or ')} ${where}`, { required: acls });
    }
  }

  /** Does the caller have `acl` (or root) on every server? */
  static global(caller: Caller, acl: Permission): boolean {
    return caller.permissions.some((p) => (p.acl === 'root' || p.acl === acl) && p.server === null);
  }

  /** GET / POST /apikeys/, DELETE /apikeys/{id}: the global root permission only. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, caller: Caller, rest: string[], q: URLSearchParams, method: (...allowed: string[]) => string): Promise<void> {
    if (rest.length > 1) throw new HttpError(404, 'not found');
    ApiKeys.require(caller, null, 'root');
    if (rest.length === 1) {
      method('DELETE');
      if (!(await this.store.deleteApiKey(rest[0]))) throw new HttpError(404, 'unknown API key');
      sendJson(req, res, 200, { result: true });
      return;
    }
    if (method('GET', 'POST') === 'GET') {
      const keys = await this.store.listApiKeys();
      const perms = await this.store.apiKeyPermissions();
      sendJson(req, res, 200, { apikeys: keys.map((k) => keyJson(k, perms.filter((p) => p.key_id === k.key_id))), totalnumber: keys.length });
      return;
    }
    const description = q.get('description') ?? '';
    if (description.length > MAX_TEXT_PARAM_CHARS) throw new HttpError(400, `query "description" is too long (at most ${MAX_TEXT_PARAM_CHARS} characters)`);
    const sid = q.get('serverid');
    let server: ServerRow | undefined;
    if (sid !== null && sid !== '') {
      const id = fromB64u(sid);
      server = id && id.length === SERVER_ID_BYTES ? await this.store.getServer(id) : undefined;
      if (!server) throw new HttpError(400, 'query "serverid" names no server');
    }
    const acls = permissionList(q.get('permissions'), !!server);
    const keyId = `tg${toB64u(randomBytes(9))}`;
    const key = `${keyId}.${toB64u(randomBytes(32))}`;
    const created = this.now();
    const permissions = acls.map((acl) => ({ acl, server: server ? server.id : null }));
    await this.store.insertApiKey({ keyId, digest: hash(utf8(key)), description: description || null, now: created, permissions });
    const row = { key_id: keyId, description: description || null, created } as ApiKeyRow;
    // The key itself is shown this once; listings show only its id.
    sendJson(req, res, 200, { ...keyJson(row, permissions.map((p) => ({ key_id: keyId, acl: p.acl, server: p.server as Buffer | null }))), apikey: key, id: keyId });
  }
}

/** A comma-separated permission list; `onServer`: createserver (global only) is refused. */
export function permissionList(text: string | null, onServer: boolean): string[] {
  const acls: string[] = [];
  for (const acl of (text ?? '').split(',')) {
    if (acl === '') continue;
    if (!(PERMISSIONS as readonly string[]).includes(acl)) throw new HttpError(400, `unknown permission ${JSON.stringify(acl.slice(0, 40))} (known: ${PERMISSIONS.join(', ')})`);
    if (acl === 'createserver' && onServer) throw new HttpError(400, 'the permission "createserver" is global: not on a server');
    if (!acls.includes(acl)) acls.push(acl);
  }
  return acls;
}

function keyJson(k: Pick<ApiKeyRow, 'key_id' | 'description' | 'created'>, perms: ApiKeyPermissionRow[]) {
  return {
    apikey: k.key_id,
    id: k.key_id,
    description: k.description,
    role: k.key_id,
    created: Number(k.created),
    permissions: perms.map((p) => ({ acl: p.acl, server: p.server ? toB64u(p.server) : null })),
  };
}
