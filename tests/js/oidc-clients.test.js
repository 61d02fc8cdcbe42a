// The OpenID client registry of the relying-party API (/servers/{sid}/oidc/clients): who may
// register, what a registration may say, what the lists show; and private_key_jwt clients, whose
// token requests are signed by a key the server never sees.
'use strict';
const { subtle } = require('node:crypto').webcrypto;
const { Authenticator } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { enrol } = require('./helpers/flows');
const { registerClient, discover, signInWith, client } = require('./helpers/oidc');

const env = useServer({ env: { TAPGATE_OIDC: '1' } });
const REDIRECT = 'https://rp.example/callback';

const api = (path, { method = 'GET', key = env.server.rootApiKey, body } = {}) => fetch(`${env.server.url}${path}`, {
  method,
  headers: { 'X-apikey': key, ...(body ? { 'content-type': 'application/json' } : {}) },
  body: body ? JSON.stringify(body) : undefined,
}).then(async (res) => ({ status: res.status, body: await res.json() }));
const clientsPath = (sid = env.server.serverId) => `/servers/${sid}/oidc/clients`;

test('registration: the server makes the id and the secret, shown once; lists and reads never show the secret', async () => {
  const created = await api(clientsPath(), { method: 'POST', body: { client_name: 'Shop', redirect_uris: [REDIRECT] } });
  expect(created.status).toBe(200);
  expect(created.body).toMatchObject({ client_name: 'Shop', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_basic', tapgate_server: env.server.serverId });
  expect(created.body.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const one = await api(`${clientsPath()}/${created.body.client_id}`);
  expect(one.status).toBe(200);
  expect(one.body.client_secret).toBeUndefined();
  const list = await api(clientsPath());
  expect(list.body.clients.map((c) => c.client_id)).toContain(created.body.client_id);
  expect(list.body.clients.every((c) => c.client_secret === undefined)).toBe(true);
  // Removed: the provider no longer knows it.
  const config = await discover(env.server, created.body);
  expect((await api(`${clientsPath()}/${created.body.client_id}`, { method: 'DELETE' })).body).toEqual({ result: true });
  await expect(client.clientCredentialsGrant(config)).rejects.toMatchObject({ error: 'invalid_client' });
  expect((await api(`${clientsPath()}/${created.body.client_id}`)).status).toBe(404);
});

test('attacker: bad metadata, server-chosen fields, keys without the permission, another server\'s clients', async () => {
  const refused = [
    {},                                                        // no redirect URI
    { redirect_uris: ['not a url'] },
    { redirect_uris: [REDIRECT], client_id: 'chosen' },        // the server's to choose
    { redirect_uris: [REDIRECT], client_secret: 'weak' },
    { redirect_uris: [REDIRECT], tapgate_server: 'AAAAAAAAAAAAAAAAAAAAAA' },
    { redirect_uris: [REDIRECT], jwks_uri: 'https://169.254.169.254/keys' },  // the server would fetch it
    { redirect_uris: [REDIRECT], response_types: ['token'] },  // only the code flow
  ];
  for (const body of refused) expect({ body, status: (await api(clientsPath(), { method: 'POST', body })).status }).toEqual({ body, status: 400 });

  const sessionsOnly = await api(`/apikeys/?permissions=sessions&serverid=${env.server.serverId}`, { method: 'POST' });
  for (const [method, body] of [['GET'], ['POST', { redirect_uris: [REDIRECT] }]]) {
    expect((await api(clientsPath(), { method, body, key: sessionsOnly.body.apikey })).status).toBe(403);
  }
  // A client of this server is not reachable under another server, even by its id.
  const mine = await registerClient(env.server, { redirect_uris: [REDIRECT] });
  const other = await api('/servers', { method: 'POST', body: { serverName: 'Other' } });
  expect((await api(`${clientsPath(other.body.serverid)}/${mine.client_id}`)).status).toBe(404);
  expect((await api(`${clientsPath(other.body.serverid)}/${mine.client_id}`, { method: 'DELETE' })).status).toBe(404);
  expect((await api(clientsPath(other.body.serverid))).body.clients).toEqual([]);
});

test('private_key_jwt: a client authenticates with its own key; the code flow completes', async () => {
  const newKey = () => subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const { publicKey, privateKey } = await newKey();
  const { kty, crv, x, y } = await subtle.exportKey('jwk', publicKey);
  const jwk = { kty, crv, x, y, kid: 'rp-key-1', alg: 'ES256', use: 'sig' };
  const registered = await registerClient(env.server, { client_name: 'Keyed RP', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'private_key_jwt', token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [jwk] } });
  expect(registered.client_secret).toBeUndefined();
  const config = await discover(env.server, { client_id: registered.client_id }, client.PrivateKeyJwt({ key: privateKey, kid: 'rp-key-1' }));
  const auth = await Authenticator.create();
  try {
    await enrol(auth, env.rp, { userid: 'kim' });
    const { tokens } = await signInWith(auth, config, REDIRECT);
    expect(tokens.claims().sub).toBe('kim');
    // The same request signed by another key is refused.
    const stranger = await discover(env.server, { client_id: registered.client_id }, client.PrivateKeyJwt({ key: (await newKey()).privateKey, kid: 'rp-key-1' }));
    await expect(client.refreshTokenGrant(stranger, 'x')).rejects.toMatchObject({ error: 'invalid_client' });
  } finally {
    await auth.close();
  }
});

test('attacker: the relying-party API starts no login on the nonces the server makes (app., oidc., ciba.)', async () => {
  const base = `${env.server.url}/servers/${env.server.serverId}`;
  const { accounts } = await env.rp.accounts();
  for (const nonce of ['app.AAAA', 'oidc.guess', 'ciba.guess']) {
    for (const [method, path] of [['GET', '/sessions/qr/login'], ['GET', '/sessions/qr/enrol'], ['POST', '/sessions/provokelogin'], ['POST', `/accounts/${accounts[0].id}/provokelogin`], ['POST', '/users/kim/provokelogin']]) {
      const res = await fetch(`${base}${path}`, { method, headers: { 'X-apikey': env.server.rootApiKey, 'X-nonce': nonce } });
      expect({ nonce, path, status: res.status }).toEqual({ nonce, path, status: 400 });
      await res.arrayBuffer();
    }
    // Reading such a session is allowed (an app's backend checks its AppLogin so).
    expect((await env.rp.loginStatus(nonce)).loggedin).toBe(false);
  }
});
