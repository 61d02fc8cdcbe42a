// Roles of accounts (Tapgate extension): GET …/roles lists them, PUT / DELETE
// …/accounts/{id}/roles/{role} grant and revoke one. An account holding `admin` on the console's
// server signs in to the admin console (admin/). Root only: whoever may grant a role could make
// themselves an administrator. A role belongs to the account (its enrolled key), not to a userid,
// so moving an account to another userid or enrolling a new one under an admin's userid grants nothing.
import { sendJson, HttpError } from './http';
import { AdminStore, ROLES, type Role, type RoleGrant } from './admin/store';
import { globally, type RpCall, type RpRoute } from './rp-route';

const roleJson = (g: RoleGrant) => ({ accountid: g.account, role: g.role, userid: g.userId, granted: g.granted });

function roleOf({ params }: RpCall): Role {
  if (!(ROLES as readonly string[]).includes(params.role)) throw new HttpError(400, `unknown role (known: ${ROLES.join(', ')})`);
  return params.role as Role;
}

/** The account's roles after the change. */
async function answer({ req, res, server }: RpCall, roles: AdminStore, account: number): Promise<void> {
  const held = (await roles.roles(server.id)).filter((g) => g.account === account).map((g) => g.role);
  sendJson(req, res, 200, { accountid: account, roles: held });
}

export const ROLE_ROUTES: readonly RpRoute[] = [
  {
    id: 'getRoles', method: 'GET', path: 'roles', permission: globally('root'),
    handle: async ({ api, req, res, server }) => {
      const grants = await new AdminStore(api.cfg.store.sql).roles(server.id);
      sendJson(req, res, 200, { roles: grants.map(roleJson), totalnumber: grants.length });
    },
  },
  {
    id: 'grantRole', method: 'PUT', path: 'accounts/:id/roles/:role', permission: globally('root'),
    handle: async (call) => {
      const role = roleOf(call);
      const account = await call.api.account(call.server, call.params.id);
      const roles = new AdminStore(call.api.cfg.store.sql);
      await roles.grantRole(account.id, role, call.api.cfg.now());
      await answer(call, roles, account.id);
    },
  },
  {
    id: 'revokeRole', method: 'DELETE', path: 'accounts/:id/roles/:role', permission: globally('root'),
    handle: async (call) => {
      const role = roleOf(call);
      const account = await call.api.account(call.server, call.params.id);
      const roles = new AdminStore(call.api.cfg.store.sql);
      await roles.revokeRole(account.id, role);
      await answer(call, roles, account.id);
    },
  },
];
