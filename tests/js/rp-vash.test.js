// GET /servers/{sid}/vash (server-api.md §5, protocol.md §1 "Visual hash"): the relying party's
// copy of the fingerprint the app shows at enrolment. The server and the core compute it apart,
// so this checks they agree through the public API, across a key rotation, and who may ask.
const { useServer } = require('./helpers/fixture');
const { driveEnrol } = require('./helpers/flows');
const { apiKey, rpGet } = require('./helpers/rp-calls');

const env = useServer();

const vashOf = async (serverId, key = env.server.rootApiKey) => rpGet(env.server.url, `/servers/${serverId}/vash`, key);

/** Enrols a new Authenticator; resolves with the confirmenrol event's visualHash. */
async function enrolledVash(userid) {
  const auth = await env.authenticator();
  let shown = null;
  const onSession = (session) => session.addEventListener('confirmenrol', (e) => { shown = e.detail.visualHash; });
  const { session } = await driveEnrol(auth, env.rp, userid, { onSession });
  expect(session.historyStatus).toBe('LOGGED_IN_ONE_SHOT');
  return { auth, shown };
}

test('the route gives the fingerprint the app shows in confirmenrol, and the new one after a rotation', async () => {
  const { auth, shown } = await enrolledVash('vash-alice');
  expect(shown).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
  const before = await vashOf(env.server.serverId);
  expect(before).toEqual({ status: 200, body: { vash: shown } });

  const keyEvents = [];
  auth.addEventListener('serverkey', (e) => keyEvents.push(e.detail));
  const rotated = await fetch(`${env.server.url}/servers/${env.server.serverId}/keys/rotate`, { method: 'POST', headers: { 'X-apikey': env.server.rootApiKey } });
  expect(rotated.status).toBe(200);
  const after = await vashOf(env.server.serverId);
  expect(after.status).toBe(200);
  expect(after.body.vash).not.toBe(shown);
  // The app that pulled its rekey shows the new key's fingerprint; so does a new enrolment.
  await auth.retrieveMessages();
  expect(keyEvents.map((k) => k.visualHash)).toEqual([after.body.vash]);
  expect((await enrolledVash('vash-bob')).shown).toBe(after.body.vash);
  await fetch(`${env.server.url}/servers/${env.server.serverId}/keys/retire`, { method: 'POST', headers: { 'X-apikey': env.server.rootApiKey } });
});

test('sessions or servers on that server may ask; a key of another server, or without either, may not', async () => {
  const root = env.server.rootApiKey;
  const created = await fetch(`${env.server.url}/servers/`, { method: 'POST', headers: { 'X-apikey': root, 'content-type': 'application/json' }, body: JSON.stringify({ serverName: 'Vash other' }) });
  const other = (await created.json()).serverid;
  const sessions = await apiKey(env.server.url, root, `permissions=sessions&serverid=${env.server.serverId}`);
  const servers = await apiKey(env.server.url, root, `permissions=servers&serverid=${env.server.serverId}`);
  const accounts = await apiKey(env.server.url, root, `permissions=accounts&serverid=${env.server.serverId}`);
  expect((await vashOf(env.server.serverId, sessions)).status).toBe(200);
  expect((await vashOf(env.server.serverId, servers)).status).toBe(200);
  expect((await vashOf(env.server.serverId, accounts)).status).toBe(403);
  expect((await vashOf(other, sessions)).status).toBe(403);
  // Each server has its own fingerprint; an unknown server is 404.
  const mine = (await vashOf(env.server.serverId)).body.vash;
  expect((await vashOf(other)).body.vash).not.toBe(mine);
  expect((await vashOf('AAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
  expect((await fetch(`${env.server.url}/servers/${env.server.serverId}/vash`)).status).toBe(401);
});
