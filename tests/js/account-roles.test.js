// The account roles of the admin console over the REST API against a real server process: root
// grants and revokes `admin`; no other key can, whatever its permissions on the server; the role
// is the account's, so an account moved to an admin's userid or enrolled under it holds none, and
// a deleted account's role goes with it. Unknown roles and other servers' accounts are refused.
'use strict';
const { useServer } = require('./helpers/fixture');
const { enrol } = require('./helpers/flows');

const env = useServer();
let base;
beforeAll(() => {
  base = `/servers/${env.server.serverId}`;
});

async function call(method, path, { key = env.server.rootApiKey } = {}) {
  const res = await fetch(`${env.server.url}${path}`, { method, headers: { 'X-apikey': key } });
  return { status: res.status, body: await res.json() };
}
const roles = async () => (await call('GET', `${base}/roles`)).body.roles.map((r) => [r.accountid, r.role, r.userid]);

test('root grants and revokes admin; granting twice keeps one grant', async () => {
  const auth = await env.enrolled({ userid: 'root-made' });
  const id = auth.accounts[0].accountId;
  expect(await call('PUT', `${base}/accounts/${id}/roles/admin`)).toEqual({ status: 200, body: { accountid: id, roles: ['admin'] } });
  expect((await call('PUT', `${base}/accounts/${id}/roles/admin`)).body.roles).toEqual(['admin']);
  expect(await roles()).toEqual([[id, 'admin', 'root-made']]);
  const listed = (await call('GET', `${base}/roles`)).body;
  expect(listed.totalnumber).toBe(1);
  expect(typeof listed.roles[0].granted).toBe('number');
  expect(await call('DELETE', `${base}/accounts/${id}/roles/admin`)).toEqual({ status: 200, body: { accountid: id, roles: [] } });
  expect(await roles()).toEqual([]);
});

test('no key but root may grant or revoke a role, not even one with every permission on the server', async () => {
  const auth = await env.enrolled({ userid: 'climber' });
  const id = auth.accounts[0].accountId;
  const made = await call('POST', `/apikeys/?permissions=sessions,accounts,users,servers&serverid=${env.server.serverId}`);
  const key = made.body.apikey;
  for (const method of ['PUT', 'DELETE']) {
    const r = await call(method, `${base}/accounts/${id}/roles/admin`, { key });
    expect(r.status).toBe(403);
    expect(r.body.required).toEqual(['root']);
  }
  expect((await call('GET', `${base}/roles`, { key })).status).toBe(403);
  expect((await call('PUT', `${base}/accounts/${id}/roles/admin`, { key: 'tgnothing.wrong' })).status).toBe(401);
  expect(await roles()).toEqual([]);
});

test('the role is the account\'s: a new account under an admin\'s userid, or one moved to it, holds none; a deleted account loses it', async () => {
  const admin = await env.enrolled({ userid: 'the-admin' });
  const adminId = admin.accounts[0].accountId;
  await call('PUT', `${base}/accounts/${adminId}/roles/admin`);
  // Enrolled under the same userid (what any key with `sessions` could do), and one relinked to it (`accounts`).
  const twin = await env.authenticator();
  await enrol(twin, env.rp, { userid: 'the-admin' });
  const mover = await env.enrolled({ userid: 'mover' });
  expect((await call('PUT', `${base}/accounts/${mover.accounts[0].accountId}/user?userid=the-admin`)).status).toBe(200);
  expect(await roles()).toEqual([[adminId, 'admin', 'the-admin']]);
  await env.rp.deleteAccount(adminId);
  expect(await roles()).toEqual([]);
  // A deleted account is unknown: no role can be granted to it.
  expect((await call('PUT', `${base}/accounts/${adminId}/roles/admin`)).status).toBe(404);
});

test('an unknown role is 400; an account of another server, or none, is 404', async () => {
  const auth = await env.enrolled({ userid: 'plain' });
  const id = auth.accounts[0].accountId;
  const unknown = await call('PUT', `${base}/accounts/${id}/roles/superuser`);
  expect(unknown).toEqual({ status: 400, body: { error: 'unknown role (known: admin)' } });
  const other = (await fetch(`${env.server.url}/servers/`, { method: 'POST', headers: { 'X-apikey': env.server.rootApiKey }, body: JSON.stringify({ serverName: 'Other' }) }).then((r) => r.json())).serverid;
  expect((await call('PUT', `/servers/${other}/accounts/${id}/roles/admin`)).status).toBe(404);
  expect((await call('PUT', `${base}/accounts/999999/roles/admin`)).status).toBe(404);
  expect(await roles()).toEqual([]);
});
