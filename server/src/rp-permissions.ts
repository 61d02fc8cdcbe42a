// v2.2 permissions of roles on a server (a role is an API key here): GET …/permissions (every
// key's), GET / POST / DELETE …/permissions/{roleid} with `acl=a,b` (DELETE without acl: all of
// that key's on the server). Global permissions are set at key creation and not listed here.
// The global root permission only.
import { toB64u } from './crypto';
import { HttpError, sendJson } from './http';
import { permissionList } from './rp-api-keys';
import { globally, type RpCall, type RpRoute } from './rp-route';

async function answer({ api, req, res, server }: RpCall, roleid?: string): Promise<void> {
  const rows = await api.cfg.store.serverPermissions(server.id, roleid);
  sendJson(req, res, 200, { permissions: rows.map((p) => ({ acl: p.acl, role: p.keyId, server: toB64u(server.id) })) });
}

/** The role of the path; an id no key has is unknown. */
async function role({ api, params }: RpCall): Promise<string> {
  if (!(await api.cfg.store.getApiKey(params.roleid))) throw new HttpError(404, 'unknown role (API key id)');
  return params.roleid;
}

export const PERMISSION_ROUTES: readonly RpRoute[] = [
  { id: 'getPermissions', method: 'GET', path: 'permissions', permission: globally('root'), handle: (call) => answer(call) },
  { id: 'getRolePermissions', method: 'GET', path: 'permissions/:roleid', permission: globally('root'), handle: async (call) => answer(call, await role(call)) },
  {
    id: 'addRolePermissions', method: 'POST', path: 'permissions/:roleid', permission: globally('root'),
    handle: async (call) => {
      const roleid = await role(call);
      const acls = permissionList(call.q.get('acl'), true);
      if (acls.length === 0) throw new HttpError(400, 'query "acl" (comma-separated permissions) is required');
      await call.api.cfg.store.grantServerPermissions(roleid, call.server.id, acls);
      await answer(call, roleid);
    },
  },
  {
    id: 'deleteRolePermissions', method: 'DELETE', path: 'permissions/:roleid', permission: globally('root'),
    handle: async (call) => {
      const roleid = await role(call);
      const acl = call.q.get('acl');
      await call.api.cfg.store.revokeServerPermissions(roleid, call.server.id, acl === null || acl === '' ? null : permissionList(acl, true));
      await answer(call, roleid);
    },
  },
];
