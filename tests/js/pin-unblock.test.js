// unblockPin over real HTTP against a real server process with real enrolled Node SDK
// authenticators: a PIN blocked by wrong PINs stays blocked until the relying party calls
// POST /servers/{sid}/accounts/{id}/unblockpin; a key without the accounts permission, a key or
// path of another virtual server, and an unknown account cannot unblock it.
'use strict';
const { useServer } = require('./helpers/fixture');
const { PIN, login } = require('./helpers/flows');

jest.setTimeout(120_000);

const env = useServer();
let base;
beforeAll(() => {
  base = `/servers/${env.server.serverId}`;
});

/** A REST call; `key` defaults to the root key. Resolves with {status, headers, body}. */
async function call(method, path, { key = env.server.rootApiKey, body } = {}) {
  const res = await fetch(`${env.server.url}${path}`, { method, headers: { 'X-apikey': key }, body });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function newKey(query) {
  const r = await call('POST', `/apikeys/?${query}`);
  expect(r.status).toBe(200);
  return r.body.apikey;
}

/** An authenticator whose account for `userid` has its PIN blocked by three wrong PINs (the default limit). */
async function blockedDevice(userid) {
  const auth = await env.enrolled({ userid });
  const { session } = await login(auth, env.rp, { pin: '0000' });
  await session.setPinBiometric({ pin: '0000' });
  expect(await session.setPinBiometric({ pin: '0000' })).toMatchObject({ result: 'PIN_BLOCKED' });
  await session.finished;
  const account = auth.accounts[0];
  expect((await call('GET', `${base}/accounts/${account.accountId}`)).body.pinfailures).toBe(3);
  return { auth, account };
}

/** The right PIN is refused while the PIN is blocked. */
async function expectStillBlocked(auth) {
  const { nonce, session, verdict } = await login(auth, env.rp);
  expect(verdict).toMatchObject({ result: 'PIN_BLOCKED' });
  await session.finished;
  expect(session.error).toMatchObject({ code: 'PIN_BLOCKED', kind: 'remote' });
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(false);
}

test('a blocked PIN stays blocked until the relying party unblocks it; then the right PIN logs in', async () => {
  const { auth, account } = await blockedDevice('blocked-user');
  await expectStillBlocked(auth);

  const accountsKey = await newKey(`permissions=accounts&serverid=${env.server.serverId}`);
  const r = await call('POST', `${base}/accounts/${account.accountId}/unblockpin`, { key: accountsKey });
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ id: account.accountId, userid: 'blocked-user', blocked: false, pinfailures: 0 });

  const { nonce, session, verdict } = await login(auth, env.rp);
  expect(verdict).toMatchObject({ result: 'SUCCESS' });
  await session.finished;
  expect((await env.rp.loginStatus(nonce)).loggedin).toBe(true);
  // The count starts again from 0: one wrong PIN leaves two attempts.
  const again = await login(auth, env.rp, { pin: '0000' });
  expect(again.verdict).toMatchObject({ result: 'PIN_FAIL', attemptsLeft: 2 });
});

test('no other key, server or account unblocks it, and the count is left as it is', async () => {
  const { auth, account } = await blockedDevice('victim');
  const path = (sid, id = account.accountId) => `/servers/${sid}/accounts/${id}/unblockpin`;

  // A key of this server without the accounts permission.
  const sessionsKey = await newKey(`permissions=sessions,users&serverid=${env.server.serverId}`);
  const refused = await call('POST', path(env.server.serverId), { key: sessionsKey });
  expect(refused.status).toBe(403);
  expect(refused.body.error).toMatch(/permission/);

  // A key with accounts on another virtual server: refused here, and the account is unknown there.
  const other = (await call('POST', '/servers/', { body: JSON.stringify({ serverName: 'Other' }) })).body.serverid;
  const otherKey = await newKey(`permissions=accounts&serverid=${other}`);
  expect((await call('POST', path(env.server.serverId), { key: otherKey })).status).toBe(403);
  expect((await call('POST', path(other), { key: otherKey })).status).toBe(404);
  // Even the root key cannot reach it through the other server's path, nor an unknown account id.
  expect((await call('POST', path(other))).status).toBe(404);
  expect((await call('POST', path(env.server.serverId, 999999))).status).toBe(404);

  // GET is not the route's method.
  const get = await call('GET', path(env.server.serverId));
  expect(get.status).toBe(405);
  expect(get.headers.get('allow')).toBe('POST');

  expect((await call('GET', `${base}/accounts/${account.accountId}`)).body.pinfailures).toBe(3);
  await expectStillBlocked(auth);
});
