// The server's links, owner and flags (v2.2 Server appurl, siteurl, appandroid, appios, owner,
// serverFlags) and lastLogin, end to end with the real server: set through updateServer (validated),
// announced to the device, kept in its server record and shown as account.server; a change reaches
// the app as accountupdate. uniqueDisplayNames makes a second account of one name
// DISPLAY_NAME_EXISTS (35); a QR naming a server the device API does not host is
// SERVER_PARAMETERS_NO_RESULT (64).
const { useServer } = require('./helpers/fixture');
const { nextEvent } = require('./helpers/rp');
const { PIN, enrol, login } = require('./helpers/flows');

const env = useServer();

const PROFILE = {
  appurl: 'https://bank.example/app/',
  siteurl: 'https://bank.example/',
  appandroid: 'https://play.example/store/apps/details?id=example.bank',
  appios: 'https://apps.example/app/id123',
  owner: 'Example Bank plc',
  serverFlags: [],
};
const CLEARED = { appurl: null, siteurl: null, appandroid: null, appios: null, owner: null, serverFlags: [] };

afterEach(() => env.rp.updateServer(CLEARED));

test('updateServer sets them, GET returns them, and the enrolled account shows them', async () => {
  await env.rp.updateServer(PROFILE);
  expect(await env.rp.server()).toMatchObject(PROFILE);
  const auth = await env.authenticator();
  await enrol(auth, env.rp, { userid: 'paula', finished: true });
  const [account] = auth.accounts;
  expect(account.server).toEqual({
    id: account.serverId,
    name: account.serverName,
    logo: null,
    appUrl: PROFILE.appurl,
    siteUrl: PROFILE.siteurl,
    appAndroid: PROFILE.appandroid,
    appIos: PROFILE.appios,
    owner: PROFILE.owner,
    serverFlags: [],
  });
  expect(account.lastLogin).toBeNull();  // an enrolment is not a login
});

test('a login keeps the account\'s lastLogin as the server recorded it; the Server model has the latest', async () => {
  const auth = await env.authenticator();
  await enrol(auth, env.rp, { userid: 'quentin', finished: true });
  const { session, verdict } = await login(auth, env.rp);
  expect(verdict.result).toBe('SUCCESS');
  await session.finished;
  const [account] = auth.accounts;
  const atServer = (await env.rp.accounts()).accounts.find((a) => a.id === account.accountId);
  expect(account.lastLogin).toBe(atServer.lastlogin);
  expect(typeof account.lastLogin).toBe('number');
  expect((await env.rp.server()).lastLogin).toBeGreaterThanOrEqual(account.lastLogin);
});

test('a change reaches the device at its next session: the record is updated and accountupdate tells the app', async () => {
  const auth = await env.authenticator();
  await enrol(auth, env.rp, { userid: 'rita', finished: true });
  expect(auth.accounts[0].server.siteUrl).toBeNull();
  await env.rp.updateServer({ siteurl: 'https://new.bank.example/', owner: 'New Owner' });
  const update = nextEvent(auth, 'accountupdate');
  const { session } = await login(auth, env.rp);
  expect((await update).account.server).toMatchObject({ siteUrl: 'https://new.bank.example/', owner: 'New Owner' });
  await session.finished;
  expect(auth.accounts[0].server).toMatchObject({ siteUrl: 'https://new.bank.example/', owner: 'New Owner' });
});

test('uniqueDisplayNames: an enrolment whose name the app already holds is DISPLAY_NAME_EXISTS and adds nothing', async () => {
  const auth = await env.authenticator();
  await enrol(auth, env.rp, { userid: 'sam', name: 'Sam', finished: true });
  await env.rp.updateServer({ serverFlags: ['uniqueDisplayNames'] });
  const session = await auth.startSession(await env.rp.enrolQr(env.rp.newNonce(), { userid: 'sam', name: 'Sam' }));
  await session.finished;
  expect(session.state).toBe('ERROR');
  expect(session.error).toMatchObject({ code: 'DISPLAY_NAME_EXISTS', numericCode: 35, kind: 'remote' });
  expect(auth.accounts).toHaveLength(1);
  // Another name enrols.
  const other = await enrol(auth, env.rp, { userid: 'sam', name: 'Sam (tablet)', finished: true });
  expect(other.verdict.result).toBe('SUCCESS');
  expect(auth.accounts.map((a) => a.name).sort()).toEqual(['Sam', 'Sam (tablet)']);
  expect(auth.accounts[0].server.serverFlags).toEqual(['uniqueDisplayNames']);
});

test('a QR naming a server this device API does not host is SERVER_PARAMETERS_NO_RESULT', async () => {
  const auth = await env.authenticator();
  const qr = Buffer.from(await env.rp.enrolQr(env.rp.newNonce(), { userid: 'tom' }));
  qr[2] ^= 0xff;  // bytes 2..17: the server id
  const session = await auth.startSession(new Uint8Array(qr));
  await session.finished;
  expect(session.state).toBe('ERROR');
  expect(session.error).toMatchObject({ code: 'SERVER_PARAMETERS_NO_RESULT', numericCode: 64, kind: 'remote' });
  expect(auth.accounts).toHaveLength(0);
});

test.each([
  ['an http link to another host', { siteurl: 'http://bank.example/' }, /siteurl must be an https URL/],
  ['a javascript: link', { appurl: 'javascript:alert(1)' }, /appurl must be an https URL/],
  ['a link with credentials', { appios: 'https://u:p@apps.example/' }, /appios must be an https URL/],
  ['a link of 2001 characters', { appandroid: `https://play.example/${'a'.repeat(1981)}` }, /at most 2000/],
  ['a link that is no string', { siteurl: 42 }, /siteurl must be null or a URL/],
  ['an owner of 201 characters', { owner: 'o'.repeat(201) }, /owner must be null or a non-empty string/],
  ['an empty owner', { owner: ' ' }, /owner must be null/],
  ['an unknown server flag', { serverFlags: ['superUser'] }, /serverFlags must be an array of: uniqueDisplayNames/],
  ['server flags that are no array', { serverFlags: 'uniqueDisplayNames' }, /serverFlags must be an array/],
  ['a lastLogin sent with another value', { lastLogin: 1 }, /field .{1,3}"?lastLogin.{1,3}"? is read-only/],
])('updateServer refuses %s (400) and changes nothing', async (_, body, message) => {
  await env.rp.updateServer(PROFILE);
  await expect(env.rp.updateServer(body)).rejects.toThrow(message);
  await expect(env.rp.updateServer(body)).rejects.toThrow(/HTTP 400/);
  expect(await env.rp.server()).toMatchObject(PROFILE);
});

test('http links are allowed to this machine, and null clears a link', async () => {
  await env.rp.updateServer({ siteurl: 'http://localhost:3000/', appurl: 'http://127.0.0.1/app' });
  expect(await env.rp.server()).toMatchObject({ siteurl: 'http://localhost:3000/', appurl: 'http://127.0.0.1/app' });
  const auth = await env.authenticator();
  await enrol(auth, env.rp, { userid: 'uma', finished: true });
  expect(auth.accounts[0].server).toMatchObject({ siteUrl: 'http://localhost:3000/', appUrl: 'http://127.0.0.1/app' });
  await env.rp.updateServer({ siteurl: null });
  expect((await env.rp.server()).siteurl).toBeNull();
  // What GET returns may go back unchanged (lastLogin included).
  await env.rp.updateServer(await env.rp.server());
});
