// The relying-party routes outside /servers/{sid}/: the server list, server creation, and the API
// keys (/apikeys: the global root permission only; keys are stored as digests, shown once).
import { fromB64u, hash, randomBytes, toB64u, utf8 } from './crypto';
import type { ApiKeyPermissionRecord, ApiKeyRecord, ServerRecord } from './db';
import { HttpError, sendJson } from './http';
import { SERVER_ID_BYTES } from './qr';
import { ApiKeys, permissionList } from './rp-api-keys';
import { serverJson } from './rp-json';
import { intParam, MAX_MARKER, MAX_PAGE, MAX_TEXT_PARAM_CHARS } from './rp-lists';
import { globally, type RpTopRoute } from './rp-route';

function keyJson(k: Pick<ApiKeyRecord, 'keyId' | 'description' | 'created'>, perms: Array<Pick<ApiKeyPermissionRecord, 'acl' | 'server'>>) {
  return {
    apikey: k.keyId,
    id: k.keyId,
    description: k.description,
    role: k.keyId,
    created: k.created,
    permissions: perms.map((p) => ({ acl: p.acl, server: p.server ? toB64u(p.server) : null })),
  };
}

export const TOP_ROUTES: readonly RpTopRoute[] = [
  {
    // Any key: a key with `servers` on some servers only sees those.
    id: 'listServers', method: 'GET', path: 'servers', permission: null,
    handle: async ({ api, req, res, q, caller }) => {
      const { store } = api.cfg;
      const marker = intParam(q, 'marker', 0, 0, MAX_MARKER);
      const limit = intParam(q, 'limit', MAX_PAGE, 0, MAX_PAGE);
      const only = ApiKeys.global(caller, 'servers') ? undefined : { keyId: caller.keyId ?? '', acl: 'servers' };
      const page = await store.pageServers(limit, marker, only);
      sendJson(req, res, 200, { servers: await Promise.all(page.rows.map((s) => serverJson(store, s))), totalnumber: page.total });
    },
  },
  {
    id: 'createServer', method: 'POST', path: 'servers', permission: globally('createserver'),
    handle: async ({ api, req, res, caller, auditDetail }) => {
      const server = await api.createServer(req, caller);
      auditDetail.serverid = toB64u(server.id);
      sendJson(req, res, 200, await serverJson(api.cfg.store, server));
    },
  },
  {
    id: 'getApiKeys', method: 'GET', path: 'apikeys', permission: globally('root'),
    handle: async ({ api, req, res }) => {
      const { store } = api.cfg;
      const keys = await store.listApiKeys();
      const perms = await store.apiKeyPermissions();
      sendJson(req, res, 200, { apikeys: keys.map((k) => keyJson(k, perms.filter((p) => p.keyId === k.keyId))), totalnumber: keys.length });
    },
  },
  {
    id: 'createApiKey', method: 'POST', path: 'apikeys', permission: globally('root'),
    handle: async ({ api, req, res, q, auditDetail }) => {
      const { store, now } = api.cfg;
      const description = q.get('description') ?? '';
      if (description.length > MAX_TEXT_PARAM_CHARS) throw new HttpError(400, `query "description" is too long (at most ${MAX_TEXT_PARAM_CHARS} characters)`);
      const sid = q.get('serverid');
      let server: ServerRecord | undefined;
      if (sid !== null && sid !== '') {
        const id = fromB64u(sid);
        server = id && id.length === SERVER_ID_BYTES ? await store.getServer(id) : undefined;
        if (!server) throw new HttpError(400, 'query "serverid" names no server');
      }
      const acls = permissionList(q.get('permissions'), !!server);
      const keyId = `tg${toB64u(randomBytes(9))}`;
      const key = `${keyId}.${toB64u(randomBytes(32))}`;
      const created = now();
      const permissions = acls.map((acl) => ({ acl, server: server ? server.id : null }));
      await store.insertApiKey({ keyId, digest: hash(utf8(key)), description: description || null, now: created, permissions });
      auditDetail.keyid = keyId;  // its id only: the key is never logged
      // The key itself is shown this once; listings show only its id.
      sendJson(req, res, 200, { ...keyJson({ keyId, description: description || null, created }, permissions), apikey: key, id: keyId });
    },
  },
  {
    id: 'deleteApiKey', method: 'DELETE', path: 'apikeys/:keyid', permission: globally('root'),
    handle: async ({ api, req, res, params }) => {
      if (!(await api.cfg.store.deleteApiKey(params.keyid))) throw new HttpError(404, 'unknown API key');
      sendJson(req, res, 200, { result: true });
    },
  },
];
