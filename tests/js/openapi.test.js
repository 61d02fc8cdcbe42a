// The OpenAPI document (GET /openapi.json, server/src/openapi.ts) against a real server: every
// documented operation is called and its answer's status and JSON shape checked against the
// document; every route rp-api.ts accepts, with every method it does not refuse, is documented.
'use strict';
const path = require('node:path');
const { REPO_ROOT } = require('./helpers/server-process');
const { useServer } = require('./helpers/fixture');
const { enrol, login } = require('./helpers/flows');
const { check, resolveRef } = require('./helpers/schema-check');
const { RP_ROUTES, TOP_ROUTES, RP_SERVER_ROUTES, RP_TOP_ROUTES } = require(path.join(REPO_ROOT, 'server', 'dist', 'rp-api.js'));
const { templateOf } = require(path.join(REPO_ROOT, 'server', 'dist', 'openapi.js'));

jest.setTimeout(60_000);

// Every operation is called once in a row: two push logins to one account are not answered in between (push fatigue's pending limit lifted).
const METRICS_TOKEN = 'openapi-test-metrics-token';
const env = useServer({ env: { TAPGATE_OIDC: '1', TAPGATE_PUSH_PENDING_LIMIT: '0', TAPGATE_METRICS_TOKEN: METRICS_TOKEN } });
let auth;
let doc;
const ids = {};  // alice, bob (account ids), loggedNonce, tid, keyid, spareKeyid
// Users each operation that deletes one acts on (each is enrolled once).
const USERS = ['alice', 'bob', 'dave', 'erin', 'frank', 'gina'];

beforeAll(async () => {
  auth = await env.enrolled({ userid: 'alice' });
  ids.loggedNonce = (await login(auth, env.rp)).nonce;
  for (const userid of USERS.slice(1)) await enrol(auth, env.rp, { userid });
  const { accounts } = await env.rp.accounts();
  ids.alice = accounts.find((a) => a.userid === 'alice').id;
  ids.bob = accounts.find((a) => a.userid === 'bob').id;
  doc = await (await fetch(`${env.server.url}/openapi.json`)).json();
  // A key for the route walk's DELETE /apikeys/{keyid}.
  const created = await fetch(`${env.server.url}/apikeys/?description=spare`, { method: 'POST', headers: { 'X-apikey': env.server.rootApiKey } });
  ids.spareKeyid = (await created.json()).id;
  // A role (key) for the permissions routes.
  const role = await fetch(`${env.server.url}/apikeys/?description=role`, { method: 'POST', headers: { 'X-apikey': env.server.rootApiKey } });
  ids.roleid = (await role.json()).id;
  // A client for the route walk's GET and DELETE /servers/{sid}/oidc/clients/{clientid}.
  const registered = await fetch(`${env.server.url}/servers/${env.server.serverId}/oidc/clients`, {
    method: 'POST', headers: { 'X-apikey': env.server.rootApiKey, 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['https://rp.example/cb'] }),
  });
  ids.spareClientid = (await registered.json()).client_id;
});

const fresh = () => env.rp.newNonce();
const json = (value) => ({ body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });

// One successful call per operation, in an order that leaves each one something to act on.
const FIXTURES = [
  { op: 'getApiKeys', path: () => '/apikeys' },
  { op: 'createApiKey', path: () => `/apikeys?description=ops&permissions=sessions,accounts&serverid=${env.server.serverId}`, after: (body) => { ids.keyid = body.id; } },
  { op: 'deleteApiKey', path: () => `/apikeys/${ids.keyid}` },
  { op: 'listServers', path: () => '/servers?limit=5' },
  { op: 'createServer', path: () => '/servers', ...json({ serverName: 'Second', logo: 'https://rp.example/logo.png' }) },
  { op: 'getServer', path: () => '/servers/{sid}' },
  { op: 'updateServer', path: () => '/servers/{sid}', ...json({ serverName: 'Tapgate OpenAPI' }) },
  { op: 'addRolePermissions', path: () => `/servers/{sid}/permissions/${ids.roleid}?acl=sessions,users` },
  { op: 'getRolePermissions', path: () => `/servers/{sid}/permissions/${ids.roleid}` },
  { op: 'getPermissions', path: () => '/servers/{sid}/permissions' },
  { op: 'deleteRolePermissions', path: () => `/servers/{sid}/permissions/${ids.roleid}?acl=users` },
  { op: 'getLoginStatus', path: () => '/servers/{sid}/sessions', nonce: () => ids.loggedNonce },
  { op: 'statusChannel', path: () => '/servers/{sid}/sessions/events', nonce: () => ids.loggedNonce },
  { op: 'getEnrolQr', path: () => '/servers/{sid}/sessions/qr/enrol?userid=carol', nonce: fresh },
  { op: 'getLoginQr', path: () => '/servers/{sid}/sessions/qr/login?img=png&s=64', nonce: fresh },
  { op: 'provokeLogin', path: () => '/servers/{sid}/sessions/provokelogin', nonce: () => ids.loggedNonce },
  { op: 'registerUser', path: () => '/servers/{sid}/sessions/registeruser?userid=alice', nonce: () => ids.loggedNonce },
  { op: 'createTransaction', path: () => '/servers/{sid}/sessions/transactions', nonce: () => ids.loggedNonce,
    ...json({ amount: 'EUR 5', beneficiary: 'J. Doe', description: 'test' }), after: (body) => { ids.tid = body.tid; } },
  { op: 'getTransaction', path: () => `/servers/{sid}/transactions/${ids.tid}` },
  { op: 'listAppTransactions', path: () => '/servers/{sid}/transactions?status=SIGNED&limit=10' },
  { op: 'listAccounts', path: () => '/servers/{sid}/accounts?sort=userid:desc,lastlogin&filter=blocked=false&limit=10&marker=0' },
  { op: 'getAccount', path: () => `/servers/{sid}/accounts/${ids.alice}` },
  { op: 'updateAccount', path: () => `/servers/{sid}/accounts/${ids.alice}?blocked=false` },
  { op: 'updateAccountUser', path: () => `/servers/{sid}/accounts/${ids.alice}/user?userid=alice` },
  { op: 'provokeLoginOnAccount', path: () => `/servers/{sid}/accounts/${ids.alice}/provokelogin`, nonce: fresh },
  { op: 'getUsers', path: () => '/servers/{sid}/users?search=a&sort=numberaccounts:desc&filter=numberaccounts=1' },
  { op: 'getUser', path: () => '/servers/{sid}/users/alice/accounts?sort=created:desc' },
  { op: 'provokeLoginOnUser', path: () => '/servers/{sid}/users/alice/provokelogin', nonce: fresh },
  { op: 'deleteUser', path: () => '/servers/{sid}/users/dave' },
  { op: 'deleteUserAccounts', path: () => '/servers/{sid}/users/erin/accounts' },
  { op: 'grantRole', path: () => `/servers/{sid}/accounts/${ids.alice}/roles/admin` },
  { op: 'getRoles', path: () => '/servers/{sid}/roles' },
  { op: 'revokeRole', path: () => `/servers/{sid}/accounts/${ids.alice}/roles/admin` },
  { op: 'unblockPin', path: () => `/servers/{sid}/accounts/${ids.alice}/unblockpin` },
  { op: 'sendMessage', path: () => `/servers/{sid}/accounts/${ids.alice}/messages`, ...json({ text: 'hi', data: { k: 'v' } }) },
  { op: 'deleteAccount', path: () => `/servers/{sid}/accounts/${ids.bob}` },
  { op: 'logout', path: () => '/servers/{sid}/sessions/logout', nonce: () => ids.loggedNonce },
  { op: 'getServerVash', path: () => '/servers/{sid}/vash' },
  { op: 'rotateServerKey', path: () => '/servers/{sid}/keys/rotate' },
  { op: 'retireServerKey', path: () => '/servers/{sid}/keys/retire' },
  { op: 'createOidcClient', path: () => '/servers/{sid}/oidc/clients', ...json({ client_name: 'API RP', redirect_uris: ['https://rp.example/cb'] }),
    after: (body) => { ids.clientid = body.client_id; } },
  { op: 'listOidcClients', path: () => '/servers/{sid}/oidc/clients' },
  { op: 'getOidcClient', path: () => `/servers/{sid}/oidc/clients/${ids.clientid}` },
  { op: 'deleteOidcClient', path: () => `/servers/{sid}/oidc/clients/${ids.clientid}` },
  { op: 'listAudit', path: () => '/servers/{sid}/audit?limit=5&action=rp.deleteAccount,rp.createApiKey&outcome=ok' },
  { op: 'listGlobalAudit', path: () => `/audit?serverid=${env.server.serverId}&limit=5&since=0` },
  { op: 'health', path: () => '/healthz' },
  { op: 'ready', path: () => '/readyz' },
  { op: 'openapi', path: () => '/openapi.json' },
  { op: 'metrics', path: () => '/metrics', headers: { Authorization: `Bearer ${METRICS_TOKEN}` } },
];

/** [{template, method, operation}] of the document. */
function operations() {
  const out = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch']) if (item[method]) out.push({ template, method, operation: item[method] });
  }
  return out;
}

const response = (operation, status) => {
  const r = operation.responses[String(status)];
  return r && r.$ref ? resolveRef(doc, r.$ref) : r;
};

/** Calls and checks the answer against the document; returns {status, body}. */
async function callAndCheck({ template, method, operation }, url, init) {
  const controller = new AbortController();
  const res = await fetch(url, { method: method.toUpperCase(), ...init, signal: controller.signal });
  const documented = response(operation, res.status);
  expect({ op: operation.operationId, status: res.status, documented: !!documented }).toEqual({ op: operation.operationId, status: res.status, documented: true });
  const type = (res.headers.get('content-type') ?? '').split(';')[0];
  expect(Object.keys(documented.content ?? {})).toContain(type);
  if (type === 'text/event-stream') {
    controller.abort();  // the stream stays open; its events are status-channel.test.js's subject
    return { status: res.status, body: null };
  }
  if (type !== 'application/json') {
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    return { status: res.status, body: null };
  }
  const body = await res.json();
  expect({ op: operation.operationId, problems: check(doc, documented.content[type].schema, body) }).toEqual({ op: operation.operationId, problems: [] });
  return { status: res.status, body };
}

function init(fixture, { key = env.server.rootApiKey, withNonce = true } = {}) {
  const headers = { ...(fixture.headers ?? {}) };
  if (key) headers['X-apikey'] = key;
  if (withNonce && fixture.nonce) headers['X-nonce'] = fixture.nonce();
  return { headers, body: fixture.body };
}

test('the document is OpenAPI 3.1 and every operation has a fixture here (and no fixture is stale)', () => {
  expect(doc.openapi).toBe('3.1.0');
  const documented = operations().map((o) => o.operation.operationId).sort();
  expect(documented).toEqual(FIXTURES.map((f) => f.op).sort());
  for (const { operation } of operations()) for (const status of Object.keys(operation.responses)) expect(response(operation, status)).toBeDefined();
});

test('every documented operation answers 200 with the documented shape', async () => {
  const byId = new Map(operations().map((o) => [o.operation.operationId, o]));
  for (const fixture of FIXTURES) {
    const op = byId.get(fixture.op);
    const url = `${env.server.url}${fixture.path().replace('{sid}', env.server.serverId)}`;
    // The path the fixture calls must be the operation's path with its parameters filled in.
    const pattern = new RegExp(`^${op.template.replace(/\{[^}]+\}/g, '[^/?]+')}(\\?|$)`);
    expect(fixture.path().replace('{sid}', env.server.serverId)).toMatch(pattern);
    const { status, body } = await callAndCheck(op, url, init(fixture));
    expect({ op: fixture.op, status }).toEqual({ op: fixture.op, status: 200 });
    fixture.after?.(body);
  }
});

const isApi = (template) => template.startsWith('/servers') || template.startsWith('/apikeys') || template.startsWith('/audit');

test('the documented errors: 401 without the key, 400 without the nonce, each with the documented body', async () => {
  for (const op of operations()) {
    if (!isApi(op.template)) continue;
    const url = `${env.server.url}${op.template.replace('{sid}', env.server.serverId).replace('{tid}', 'x').replace('{accountid}', String(ids.alice))
      .replace('{userid}', 'alice').replace('{keyid}', 'x').replace('{roleid}', 'x').replace('{clientid}', 'x')}`;
    const fixture = FIXTURES.find((f) => f.op === op.operation.operationId);
    expect((await callAndCheck(op, url, init(fixture, { key: 'wrong-key' }))).status).toBe(401);
    const needsNonce = (op.operation.parameters ?? []).some((p) => p.$ref === '#/components/parameters/nonce');
    if (needsNonce) expect((await callAndCheck(op, url, init(fixture, { withNonce: false }))).status).toBe(400);
  }
});

test('the documented 404, 405 and 409 answers have the documented body', async () => {
  const byId = new Map(operations().map((o) => [o.operation.operationId, o]));
  const key = { 'X-apikey': env.server.rootApiKey };
  const base = `${env.server.url}/servers/${env.server.serverId}`;
  const cases = [
    ['getAccount', `${base}/accounts/999999`, { headers: key }, 404],
    ['getTransaction', `${base}/transactions/no-such-tid`, { headers: key }, 404],
    ['getServer', `${env.server.url}/servers/AAAAAAAAAAAAAAAAAAAAAA`, { headers: key }, 404],
    ['provokeLogin', `${base}/sessions/provokelogin`, { headers: { ...key, 'X-nonce': fresh() } }, 409],
    ['updateServer', base, { headers: key, body: JSON.stringify({ pinAttemptLimit: 0 }) }, 400],
    ['getUser', `${base}/users/nobody/accounts`, { headers: key }, 404],
    ['deleteApiKey', `${env.server.url}/apikeys/nokey`, { headers: key }, 404],
    ['registerUser', `${base}/sessions/registeruser?userid=x`, { headers: { ...key, 'X-nonce': fresh() } }, 409],
    ['listAccounts', `${base}/accounts?sort=pk`, { headers: key }, 400],
  ];
  for (const [id, url, requestInit, expected] of cases) {
    expect({ id, status: (await callAndCheck(byId.get(id), url, requestInit)).status }).toEqual({ id, status: expected });
  }
  // 405: a method the path does not have, answered with the path's documented error body.
  // 403: a key with only the sessions permission, on an accounts operation.
  const limited = await (await fetch(`${env.server.url}/apikeys/?permissions=sessions`, { method: 'POST', headers: key })).json();
  expect((await callAndCheck(byId.get('listAccounts'), `${base}/accounts`, { headers: { 'X-apikey': limited.apikey } })).status).toBe(403);
  expect((await callAndCheck(byId.get('getApiKeys'), `${env.server.url}/apikeys`, { headers: { 'X-apikey': limited.apikey } })).status).toBe(403);
  const res = await fetch(`${base}/accounts`, { method: 'DELETE', headers: key });
  expect(res.status).toBe(405);
  expect(res.headers.get('allow')).toBe('GET');
  expect(check(doc, resolveRef(doc, '#/components/responses/MethodNotAllowed').content['application/json'].schema, await res.json())).toEqual([]);
});

test('every route rp-api.ts accepts is documented, with exactly the methods it does not refuse with 405', async () => {
  const toTemplate = (route) =>
    `/servers/{sid}${route === '' ? '' : `/${route.replace(':id', '{accountid}').replace(':tid', '{tid}').replace(':userid', '{userid}').replace(':roleid', '{roleid}').replace(':role', '{role}').replace(':clientid', '{clientid}')}`}`;
  // Each users route acts on its own user: DELETE removes it.
  const userFor = { 'users/:userid': 'frank', 'users/:userid/accounts': 'gina', 'users/:userid/provokelogin': 'alice' };
  const methods = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'];  // DELETE last: it removes the account
  const accepted = [];
  for (const method of methods) {
    for (const route of [...RP_TOP_ROUTES.map((r) => `..${r}`), ...RP_SERVER_ROUTES]) {
      const template = route.startsWith('..') ? `/${route.slice(2).replace(':keyid', '{keyid}')}` : toTemplate(route);
      expect(Object.keys(doc.paths)).toContain(template);
      if (route === 'sessions/events' && method === 'GET') {
        accepted.push(`${method} ${template}`);  // an open stream; documented and called above
        continue;
      }
      const url = `${env.server.url}${template.replace('{sid}', env.server.serverId).replace('{accountid}', String(ids.alice)).replace('{tid}', ids.tid)
        .replace('{userid}', userFor[route]).replace('{keyid}', ids.spareKeyid)
        .replace('{roleid}', ids.roleid).replace('{role}', 'admin').replace('{clientid}', ids.spareClientid)}`;
      const res = await fetch(url, { method, headers: { 'X-apikey': env.server.rootApiKey, 'X-nonce': fresh(), 'content-type': 'application/json' },
        body: method === 'GET' ? undefined : '{}' });
      await res.arrayBuffer();
      // The parameters are real, so a 404 would be a fixture mistake, not an accepted method.
      expect({ route, method, status: res.status }).not.toEqual({ route, method, status: 404 });
      if (res.status !== 405) accepted.push(`${method} ${template}`);
    }
  }
  const documented = operations().filter((o) => isApi(o.template)).map((o) => `${o.method.toUpperCase()} ${o.template}`);
  expect(accepted.sort()).toEqual(documented.sort());
});

test('the route table is the document: each route at its path and method, with its permission; a key without it gets 403 on every route', async () => {
  for (const [routes, top] of [[RP_ROUTES, false], [TOP_ROUTES, true]]) {
    for (const route of routes) {
      const operation = doc.paths[templateOf(route, top)][route.method.toLowerCase()];
      const permission = route.permission && { anyOf: [...route.permission.acls], scope: route.permission.global ? 'global' : 'server' };
      expect({ id: route.id, permission: operation['x-permission'] }).toEqual({ id: operation.operationId, permission: permission ?? undefined });
    }
  }
  expect(TOP_ROUTES.find((r) => r.id === 'listServers').permission).toBeNull();  // any key, filtered to its servers
  // A key whose only permission (createserver) no route under /servers/{sid} accepts.
  const created = await fetch(`${env.server.url}/apikeys/?permissions=createserver`, { method: 'POST', headers: { 'X-apikey': env.server.rootApiKey } });
  const { apikey } = await created.json();
  for (const route of RP_ROUTES) {
    const url = `${env.server.url}${templateOf(route).replace('{sid}', env.server.serverId).replace(/\{[^}]+\}/g, 'x')}`;
    const res = await fetch(url, { method: route.method, headers: { 'X-apikey': apikey, 'X-nonce': fresh() } });
    const body = await res.json();
    expect({ id: route.id, status: res.status, required: body.required }).toEqual({ id: route.id, status: 403, required: [...route.permission.acls] });
  }
});
