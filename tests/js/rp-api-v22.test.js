// The v2.2 relying-party API over real HTTP against a real server process, with real enrolled Node
// SDK authenticators: API keys and their permissions, createServer and logo, account and user
// lists (paging, sort, filter, search in SQL), blocking, registerUser, push logins provoked on an
// account or a user, and deleting users.
'use strict';
const { useServer } = require('./helpers/fixture');
const { nextEvent, reach } = require('./helpers/rp');
const { PIN, enrol, login, eventually } = require('./helpers/flows');

jest.setTimeout(120_000);

const env = useServer();
let base;
beforeAll(() => {
  base = `/servers/${env.server.serverId}`;
});

/** A REST call; `key` defaults to the root key. Resolves with {status, body} (body parsed when JSON). */
async function call(method, path, { key = env.server.rootApiKey, nonce, body, headers = {} } = {}) {
  const h = { ...headers, ...(key ? { 'X-apikey': key } : {}), ...(nonce ? { 'X-nonce': nonce } : {}) };
  const res = await fetch(`${env.server.url}${path}`, { method, headers: h, body });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, body: type.startsWith('application/json') ? await res.json() : Buffer.from(await res.arrayBuffer()) };
}
const get = (path, o) => call('GET', path, o);

async function newKey(query) {
  const r = await call('POST', `/apikeys/?${query}`);
  expect(r.status).toBe(200);
  return r.body;
}

/** An authenticator with one enrolled account for `userid`, its pushes fetched from the local relay. */
async function device(userid, { relay = true } = {}) {
  const auth = await env.enrolled({ userid });
  if (relay) await env.pushRelay(auth);
  return { auth, account: auth.accounts[0] };
}

const ids = (list) => list.map((a) => a.id);

describe('API keys and permissions', () => {
  test('a key is shown once, listed by its id only, and revoked by DELETE', async () => {
    const created = await newKey(`description=${encodeURIComponent('front end')}&permissions=sessions&serverid=${env.server.serverId}`);
    expect(created).toMatchObject({ description: 'front end', role: created.id, permissions: [{ acl: 'sessions', server: env.server.serverId }] });
    expect(created.apikey.startsWith(`${created.id}.`)).toBe(true);
    const listed = await get('/apikeys/');
    expect(listed.status).toBe(200);
    const entry = listed.body.apikeys.find((k) => k.id === created.id);
    expect(entry).toEqual({ apikey: created.id, id: created.id, description: 'front end', role: created.id, created: created.created,
      permissions: [{ acl: 'sessions', server: env.server.serverId }] });
    expect(JSON.stringify(listed.body)).not.toContain(created.apikey);
    expect((await get(`${base}/sessions/`, { key: created.apikey, nonce: env.rp.newNonce() })).status).toBe(200);
    expect((await call('DELETE', `/apikeys/${created.id}`)).body).toEqual({ result: true });
    const revoked = await get(`${base}/sessions/`, { key: created.apikey, nonce: env.rp.newNonce() });
    expect(revoked.status).toBe(401);
    expect(typeof revoked.body.error).toBe('string');
    expect((await call('DELETE', `/apikeys/${created.id}`)).status).toBe(404);
    expect((await get('/apikeys/')).body.apikeys.map((k) => k.id)).not.toContain(created.id);
  });

  test('a sessions-only key can get QR codes and session status, but not list accounts, servers or keys', async () => {
    const { apikey } = await newKey(`permissions=sessions&serverid=${env.server.serverId}`);
    const nonce = env.rp.newNonce();
    const qr = await get(`${base}/sessions/qr/login?img=png`, { key: apikey, nonce });
    expect(qr.status).toBe(200);
    expect(qr.type).toBe('image/png');
    expect((await get(`${base}/sessions/qr/enrol`, { key: apikey, nonce })).status).toBe(200);
    expect((await get(`${base}/sessions/`, { key: apikey, nonce })).body.loggedin).toBe(false);
    for (const [method, path] of [['GET', `${base}/accounts/`], ['GET', `${base}/users/`], ['GET', `${base}/`], ['PUT', `${base}/`],
      ['GET', '/apikeys/'], ['POST', '/apikeys/'], ['POST', '/servers/'], ['POST', `${base}/sessions/registeruser?userid=x`]]) {
      const r = await call(method, path, { key: apikey, nonce, body: method === 'GET' ? undefined : '{}' });
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 403 });
      expect(r.type).toMatch(/^application\/json/);
      expect(r.body.error).toMatch(/permission/);
    }
    // The servers list shows only servers the key has "servers" on: none.
    expect((await get('/servers/', { key: apikey })).body).toEqual({ servers: [], totalnumber: 0 });
    expect((await get(`${base}/accounts/`, { key: 'no-such-key' })).status).toBe(401);
  });

  test('createServer: a createserver key gets its own server (own id and key pair, logo) and root on it only', async () => {
    const { apikey } = await newKey('permissions=createserver&description=provisioning');
    const logo = `data:image/png;base64,${Buffer.from('not really a png').toString('base64')}`;
    const made = await call('POST', '/servers/', { key: apikey, body: JSON.stringify({ serverName: 'Branch', pingTime: 30, logo }) });
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({ serverName: 'Branch', pingTime: 30, pinTimeout: 0, pinAttemptLimit: 3, logo, accountCount: 0 });
    expect(Buffer.from(made.body.serverid, 'base64url')).toHaveLength(16);
    expect(Buffer.from(made.body.serverpk, 'base64url')).toHaveLength(32);
    const first = await get(`${base}/`);
    expect(made.body.serverid).not.toBe(env.server.serverId);
    expect(made.body.serverpk).not.toBe(first.body.serverpk);
    const mine = `/servers/${made.body.serverid}`;
    expect((await get(`${mine}/`, { key: apikey })).body).toEqual(made.body);
    expect((await call('PUT', `${mine}/`, { key: apikey, body: JSON.stringify({ logo: 'https://bank.example/logo.svg' }) })).body.logo)
      .toBe('https://bank.example/logo.svg');
    expect((await get(`${base}/`, { key: apikey })).status).toBe(403);
    expect((await get('/servers/', { key: apikey })).body).toMatchObject({ totalnumber: 1, servers: [{ serverid: made.body.serverid }] });
    // A QR of the new server names it and is signed with its key: an app enrols there.
    const auth = await env.authenticator();
    const session = await auth.startSession((await get(`${mine}/sessions/qr/enrol?userid=branch-user`, { key: apikey, nonce: env.rp.newNonce() })).body);
    const confirm = await nextEvent(session, 'confirmenrol');
    expect(confirm.server.name).toBe('Branch');
    // The logo reaches the app with the server's parameters (§5.1), shown while the user confirms.
    expect(confirm.server.logo).toBe('https://bank.example/logo.svg');
    expect(session.serverLogo).toBe('https://bank.example/logo.svg');
    await session.setAccount();
    expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
    expect(auth.accounts[0].serverLogo).toBe('https://bank.example/logo.svg');
    expect((await get(`${mine}/accounts/`, { key: apikey })).body.accounts.map((a) => a.userid)).toEqual(['branch-user']);
    expect((await get(`${base}/accounts/?filter=userid=branch-user`)).body.totalnumber).toBe(0);
    // A key scoped to the first server is refused on the new one.
    const scoped = await newKey(`permissions=accounts&serverid=${env.server.serverId}`);
    expect((await get(`${mine}/accounts/`, { key: scoped.apikey })).status).toBe(403);
    expect((await get(`${base}/accounts/`, { key: scoped.apikey })).status).toBe(200);
    // getServers pages with limit and marker; totalnumber counts them all.
    const all = (await get('/servers/')).body;
    expect(all.totalnumber).toBeGreaterThanOrEqual(2);
    const second = (await get('/servers/?limit=1&marker=1')).body;
    expect(second).toEqual({ servers: [all.servers[1]], totalnumber: all.totalnumber });
  });
});

test('permissions per server (v2.2 roles): a key is given sessions on a second server, then loses it', async () => {
  const other = (await call('POST', '/servers/', { body: JSON.stringify({ serverName: 'Other' }) })).body.serverid;
  const { apikey, id } = await newKey(`permissions=sessions&serverid=${env.server.serverId}`);
  const qrOther = () => get(`/servers/${other}/sessions/qr/login`, { key: apikey, nonce: env.rp.newNonce() });
  expect((await qrOther()).status).toBe(403);
  const granted = await call('POST', `/servers/${other}/permissions/${id}?acl=sessions,users`);
  expect(granted.body).toEqual({ permissions: [{ acl: 'sessions', role: id, server: other }, { acl: 'users', role: id, server: other }] });
  expect((await qrOther()).status).toBe(200);
  expect((await get(`/servers/${other}/users/`, { key: apikey })).status).toBe(200);
  expect((await get(`/servers/${other}/accounts/`, { key: apikey })).status).toBe(403);
  expect((await get(`/servers/${other}/permissions/`)).body.permissions.filter((p) => p.role === id)).toHaveLength(2);
  // The key's global list shows both scopes.
  const listed = (await get('/apikeys/')).body.apikeys.find((k) => k.id === id);
  expect(listed.permissions).toEqual(expect.arrayContaining([{ acl: 'sessions', server: env.server.serverId }, { acl: 'sessions', server: other },
    { acl: 'users', server: other }]));
  expect((await call('DELETE', `/servers/${other}/permissions/${id}?acl=users`)).body.permissions).toEqual([{ acl: 'sessions', role: id, server: other }]);
  expect((await call('DELETE', `/servers/${other}/permissions/${id}`)).body).toEqual({ permissions: [] });
  expect((await qrOther()).status).toBe(403);
  expect((await get(`${base}/sessions/`, { key: apikey, nonce: env.rp.newNonce() })).status).toBe(200);  // its first server's stays
  // Only a global root key manages permissions.
  expect((await get(`/servers/${other}/permissions/`, { key: apikey })).status).toBe(403);
});

describe('accounts and users', () => {
  test('account lists page, sort and filter; totalnumber counts the filtered list', async () => {
    const a = await device('list-u1', { relay: false });
    await enrol(a.auth, env.rp, { userid: 'list-u1' });  // a second account of the same user
    await device('list-u2', { relay: false });
    await device('', { relay: false });  // an account without a user
    const mine = (await get(`${base}/accounts/?filter=userid=list-u1`)).body;
    expect(mine.totalnumber).toBe(2);
    expect(mine.accounts.map((x) => x.userid)).toEqual(['list-u1', 'list-u1']);
    const all = (await get(`${base}/accounts/`)).body;
    expect(all.totalnumber).toBe(all.accounts.length);
    expect(ids(all.accounts)).toEqual([...ids(all.accounts)].sort((x, y) => x - y));  // id order by default
    // Pages of 2 put together are the whole list, in the same order.
    const pages = [];
    for (let marker = 0; marker < all.totalnumber; marker += 2) {
      const page = (await get(`${base}/accounts/?limit=2&marker=${marker}`)).body;
      expect(page.totalnumber).toBe(all.totalnumber);
      pages.push(...page.accounts);
    }
    expect(ids(pages)).toEqual(ids(all.accounts));
    expect((await get(`${base}/accounts/?marker=${all.totalnumber}`)).body).toEqual({ accounts: [], totalnumber: all.totalnumber });
    // Sorted by userid descending, then id descending: NULL userids come last when descending.
    const sorted = (await get(`${base}/accounts/?sort=userid:desc,id:desc`)).body.accounts;
    const expected = [...all.accounts].sort((x, y) => (x.userid === y.userid ? y.id - x.id : x.userid === null ? 1 : y.userid === null ? -1 : x.userid < y.userid ? 1 : -1));
    expect(ids(sorted)).toEqual(ids(expected));
    expect((await get(`${base}/accounts/?sort=userid&sort=id:desc`)).body.accounts[0].userid).toBeNull();
    // filter userid= (empty): accounts without a user; filters combine.
    const nouser = (await get(`${base}/accounts/?filter=userid=`)).body;
    expect(nouser.totalnumber).toBeGreaterThanOrEqual(1);
    expect(nouser.accounts.every((x) => x.userid === null)).toBe(true);
    expect((await get(`${base}/accounts/?filter=userid=list-u1&filter=blocked=true`)).body.totalnumber).toBe(0);
    expect((await get(`${base}/accounts/?filter=userid=list-u2&filter=blocked=false`)).body.totalnumber).toBe(1);
    // The Account model of v2.2.
    expect(Object.keys(mine.accounts[0]).sort()).toEqual(['blocked', 'clientVersion', 'created', 'description', 'id', 'lastlogin', 'lastprovoke',
      'pinfailures', 'push', 'userid'].sort());
    expect(mine.accounts[0]).toMatchObject({ blocked: false, clientVersion: null, lastprovoke: null, description: 'list-u1@example' });
  });

  test('users: grouped accounts with numberaccounts and lastlogin; search (% and _ literal), sort, filter, paging', async () => {
    await device('users_x%1', { relay: false });
    await device('usersAx21', { relay: false });
    const b = await device('users-b', { relay: false });
    await enrol(b.auth, env.rp, { userid: 'users-b' });
    const found = (await get(`${base}/users/?search=USERS&sort=userid`)).body;
    expect(found.users.map((u) => u.userid)).toEqual(['users-b', 'usersAx21', 'users_x%1']);
    expect(found.totalnumber).toBe(3);
    expect(found.users[0]).toEqual({ userid: 'users-b', numberaccounts: 2, lastlogin: expect.any(Number) });
    // % and _ are not wildcards: "_x%" matches only users_x%1.
    expect((await get(`${base}/users/?search=${encodeURIComponent('_x%')}`)).body.users.map((u) => u.userid)).toEqual(['users_x%1']);
    expect((await get(`${base}/users/?search=${encodeURIComponent('s_')}`)).body.users.map((u) => u.userid)).toEqual(['users_x%1']);
    expect((await get(`${base}/users/?search=users&sort=numberaccounts:desc,userid:desc&limit=2`)).body)
      .toEqual({ users: [found.users[0], found.users[2]], totalnumber: 3 });
    expect((await get(`${base}/users/?search=users&sort=userid&marker=1&limit=1`)).body).toEqual({ users: [found.users[1]], totalnumber: 3 });
    expect((await get(`${base}/users/?search=users&filter=numberaccounts=2`)).body).toEqual({ users: [found.users[0]], totalnumber: 1 });
    expect((await get(`${base}/users/?filter=userid=usersAx21`)).body.users.map((u) => u.userid)).toEqual(['usersAx21']);
    // getUser: the user's accounts.
    const accounts = (await get(`${base}/users/users-b/accounts?sort=id:desc`)).body;
    expect(accounts.totalnumber).toBe(2);
    expect(accounts.accounts[0].id).toBeGreaterThan(accounts.accounts[1].id);
    expect((await get(`${base}/users/users-b/accounts?limit=1&marker=1&sort=id:desc`)).body).toEqual({ accounts: [accounts.accounts[1]], totalnumber: 2 });
    expect((await get(`${base}/users/nobody/accounts`)).status).toBe(404);
  });

  test('updateAccountUser moves an account to another user', async () => {
    const { account } = await device('mover-1', { relay: false });
    const r = await call('PUT', `${base}/accounts/${account.accountId}/user?userid=mover-2`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: account.accountId, userid: 'mover-2' });
    expect((await get(`${base}/users/mover-2/accounts`)).body.accounts.map((a) => a.id)).toEqual([account.accountId]);
    expect((await get(`${base}/users/mover-1/accounts`)).status).toBe(404);
  });

  test('block: the device\'s login is refused and its sessions end; unblock: it logs in again', async () => {
    const { auth, account } = await device('blocky', { relay: false });
    const { nonce: loggedIn } = await login(auth, env.rp);
    expect((await env.rp.loginStatus(loggedIn)).loggedin).toBe(true);
    const blocked = await call('PUT', `${base}/accounts/${account.accountId}/?blocked=true`);
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({ id: account.accountId, blocked: true });
    expect((await env.rp.loginStatus(loggedIn)).loggedin).toBe(false);
    expect((await get(`${base}/accounts/?filter=blocked=true`)).body.accounts.map((a) => a.id)).toContain(account.accountId);
    // The device API refuses the blocked account's login: the app sees a typed error.
    const nonce = env.rp.newNonce();
    const session = await auth.startSession(await env.rp.loginQr(nonce));
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    await session.setPinBiometric({ pin: PIN }).catch(() => {});
    await session.finished;
    expect(session.state).toBe('ERROR');
    expect(session.error).toMatchObject({ code: 'SERVER_AUTHENTICATION_FAILED', numericCode: 48 });
    expect((await env.rp.loginStatus(nonce)).loggedin).toBe(false);
    // A push login to a blocked account is refused.
    expect((await call('POST', `${base}/accounts/${account.accountId}/provokelogin`, { nonce: env.rp.newNonce() })).status).toBe(409);
    // Unblocked, the same app logs in.
    expect((await call('PUT', `${base}/accounts/${account.accountId}/?blocked=false`)).body.blocked).toBe(false);
    const again = await login(auth, env.rp);
    expect(again.verdict.result).toBe('SUCCESS');
    expect((await env.rp.loginStatus(again.nonce)).loggedin).toBe(true);
  });

  test('registerUser binds a userid to the account logged in on the session; getSession shows it', async () => {
    const { auth, account } = await device('', { relay: false });
    expect(account.userId ?? null).toBeNull();
    const { nonce } = await login(auth, env.rp);
    expect((await env.rp.loginStatus(nonce)).userid).toBeNull();
    const r = await call('POST', `${base}/sessions/registeruser?userid=late-binder`, { nonce });
    expect(r).toMatchObject({ status: 200, body: { result: true } });
    expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'late-binder', accountid: account.accountId });
    expect((await get(`${base}/accounts/${account.accountId}`)).body.userid).toBe('late-binder');
    expect((await get(`${base}/users/late-binder/accounts`)).body.totalnumber).toBe(1);
    // Nobody logged in on a fresh nonce: 409.
    const none = await call('POST', `${base}/sessions/registeruser?userid=x`, { nonce: env.rp.newNonce() });
    expect(none.status).toBe(409);
    expect(typeof none.body.error).toBe('string');
    // A later login of that account carries the userid.
    const next = await login(auth, env.rp);
    expect((await env.rp.loginStatus(next.nonce)).userid).toBe('late-binder');
  });
});

describe('provoked logins and user deletion', () => {
  test('provokeLoginOnAccount: the device gets the push through the relay and completes the login; lastprovoke is set', async () => {
    const { auth, account } = await device('pushy');
    const nonce = env.rp.newNonce();
    const started = nextEvent(auth, 'session');
    const before = Date.now();
    const r = await call('POST', `${base}/accounts/${account.accountId}/provokelogin`, {
      nonce, body: JSON.stringify({ announceinfo: { info: { action: 'Approve payment' } } }),
    });
    expect(r).toMatchObject({ status: 200, body: { result: true } });
    const { session } = await started;
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    expect(session.announceInfo.info.action).toBe('Approve payment');
    expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
    expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'pushy', accountid: account.accountId });
    const lastprovoke = (await get(`${base}/accounts/${account.accountId}`)).body.lastprovoke;
    expect(lastprovoke).toBeGreaterThanOrEqual(before - 1000);
    expect((await get(`${base}/accounts/?sort=lastprovoke:desc&limit=1`)).body.accounts[0].id).toBe(account.accountId);
  });

  test('provokeLoginOnUser: every account of the user with a push token gets the login; the first to complete it logs in', async () => {
    const phone = await device('twodevices');
    const tablet = await device('twodevices');
    const offline = await device('twodevices', { relay: false });  // no push token: not pushed
    const nonce = env.rp.newNonce();
    const onPhone = nextEvent(phone.auth, 'session');
    const onTablet = nextEvent(tablet.auth, 'session');
    const r = await call('POST', `${base}/users/twodevices/provokelogin`, { nonce });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ result: true, pushed: 2, accountids: [phone.account.accountId, tablet.account.accountId], matchcode: null });
    const [{ session: s1 }, { session: s2 }] = await Promise.all([onPhone, onTablet]);
    await reach(s2, 'WAIT_FOR_SECOND_FACTOR');
    expect((await s2.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
    expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, accountid: tablet.account.accountId });
    await s1.stopSession().catch(() => {});
    const accounts = (await get(`${base}/users/twodevices/accounts`)).body.accounts;
    expect(accounts.find((a) => a.id === offline.account.accountId).lastprovoke).toBeNull();
    expect(accounts.find((a) => a.id === phone.account.accountId).lastprovoke).toEqual(expect.any(Number));
    expect((await call('POST', `${base}/users/nobody/provokelogin`, { nonce })).status).toBe(404);
  });

  test('deleteUser: every device of the user gets its deletion message; deleteUserAccounts likewise', async () => {
    const one = await device('leaver');
    const two = await device('leaver');
    const gone1 = nextEvent(one.auth, 'accountdeleted');
    const gone2 = nextEvent(two.auth, 'accountdeleted');
    const r = await call('DELETE', `${base}/users/leaver/`);
    expect(r).toMatchObject({ status: 200, body: { result: true, deleted: 2 } });
    expect((await gone1).account.accountId).toBe(one.account.accountId);
    expect((await gone2).account.accountId).toBe(two.account.accountId);
    expect(one.auth.accounts).toEqual([]);
    expect((await get(`${base}/users/leaver/accounts`)).status).toBe(404);
    expect((await get(`${base}/users/?filter=userid=leaver`)).body.totalnumber).toBe(0);
    expect((await call('DELETE', `${base}/users/leaver/`)).status).toBe(404);

    const three = await device('wiped');
    const gone3 = nextEvent(three.auth, 'accountdeleted');
    expect((await call('DELETE', `${base}/users/wiped/accounts`)).body).toEqual({ result: true, deleted: 1 });
    await gone3;
    await eventually(() => three.auth.accounts.length === 0);
  });
});
