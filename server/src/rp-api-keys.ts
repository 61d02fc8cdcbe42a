// API keys of the relying-party API: the root key (configuration) and keys made with
// POST /apikeys (rp-top-routes.ts), stored as digests only, each with permissions on one server or on all.
import type * as http from 'node:http';
import { bytesEqual, hash, toB64u, utf8 } from './crypto';
import type { Store } from './db';
import { header, HttpError } from './http';
import type { AdminActor } from './admin/actions';

/** The permissions of the v2.2 API and `audit` (reading the audit log, a Tapgate extension): `root` implies every other. */
export const PERMISSIONS = ['sessions', 'accounts', 'users', 'servers', 'audit', 'createserver', 'root'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Who is calling: the root key, or a stored key with its permissions. */
export interface Caller {
  keyId: string | null;
  permissions: Array<{ acl: string; server: Uint8Array | null }>;
  /** Set when the admin console calls for a signed-in administrator (admin/api.ts): who (keyId is then null). */
  admin?: AdminActor;
}

export class ApiKeys {
  private readonly rootDigest: Uint8Array;
  /** Digests (base64url) of stored keys that authenticated here: the rate limiter gives them their own bucket. */
  private readonly known = new Set<string>();

  /** `rootDigest`: the root key's digest (the key itself is never kept: index.ts). */
  constructor(
    private readonly store: Store,
    rootDigest: Uint8Array,
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
    return { keyId: row.keyId, permissions: (await this.store.apiKeyPermissions(row.keyId)).map((p) => ({ acl: p.acl, server: p.server })) };
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
