// The demo's OpenID Connect card (web-demo/oidc-card.mjs) over HTTP: what its sign-in asks the
// provider for (PKCE S256, state, nonce, one HttpOnly cookie per browser), the callback reloaded,
// the CIBA route's refusal of cross-site and non-JSON requests, and its one client, which a restart
// replaces. The flows themselves, with a phone, are tests/e2e/demo-oidc.test.js.
const { randomBytes } = require('node:crypto');
const { useServer, DEMO_SCRIPT } = require('./helpers/fixture');

jest.setTimeout(60_000);

const CLIENT_NAME = 'Tapgate demo (OpenID Connect)';
const rootApiKey = randomBytes(32).toString('base64url');
let dataDir;
let demo;

const demoOptions = () => ({ script: DEMO_SCRIPT, dataDir, env: { TAPGATE_ROOT_API_KEY: rootApiKey } });
const env = useServer(() => {
  dataDir = env.tempDir('tapgate-demo-oidc-card-');
  return demoOptions();
});
beforeAll(() => {
  demo = env.server;
});
const demoClients = async () => {
  const res = await fetch(`${demo.url}/servers/${demo.serverId}/oidc/clients`, { headers: { 'X-apikey': rootApiKey } });
  return (await res.json()).clients.filter((c) => c.client_name === CLIENT_NAME);
};
const postCiba = (headers, body = JSON.stringify({ userid: 'alice' })) =>
  fetch(`${demo.url}/oidc-demo/ciba`, { method: 'POST', headers, body });


test('"Sign in with Tapgate" sends the browser to the provider with PKCE S256, state and nonce, and one cookie per browser', async () => {
  const res = await fetch(`${demo.url}/oidc-demo/start`, { redirect: 'manual' });
  expect(res.status).toBe(303);
  const to = new URL(res.headers.get('location'));
  expect(to.href.startsWith(`${demo.url}/oidc/`)).toBe(true);
  const [client] = await demoClients();
  expect(Object.fromEntries([...to.searchParams].filter(([k]) => ['client_id', 'redirect_uri', 'response_type', 'code_challenge_method'].includes(k)))).toEqual({
    client_id: client.client_id, redirect_uri: `${demo.url}/oidc-demo/callback`, response_type: 'code', code_challenge_method: 'S256',
  });
  for (const param of ['code_challenge', 'state', 'nonce']) expect(to.searchParams.get(param)).toMatch(/^[A-Za-z0-9_-]{22,}$/);
  const cookie = res.headers.get('set-cookie');
  expect(cookie).toMatch(/^oidc_demo=[A-Za-z0-9_-]{22}; Path=\/; HttpOnly; SameSite=Lax$/);
  // The same browser starting again keeps its entry (and its CIBA request), with a fresh state.
  const again = await fetch(`${demo.url}/oidc-demo/start`, { redirect: 'manual', headers: { cookie: cookie.split(';')[0] } });
  expect(again.headers.get('set-cookie')).toBe(cookie);
  expect(new URL(again.headers.get('location')).searchParams.get('state')).not.toBe(to.searchParams.get('state'));
});

test('the callback without a sign-in under way (reloaded, another browser) goes back to the card, with no outcome', async () => {
  const res = await fetch(`${demo.url}/oidc-demo/callback?code=x&state=y`, { redirect: 'manual' });
  expect({ status: res.status, location: res.headers.get('location') }).toEqual({ status: 303, location: '/#oidc' });
  expect(await (await fetch(`${demo.url}/oidc-demo/result`)).json()).toEqual({});
});

test('a push is started only by same-origin JSON of a bounded size', async () => {
  const json = { 'content-type': 'application/json' };
  const refusals = [
    await postCiba({ ...json, origin: 'https://elsewhere.example' }),
    await postCiba({ ...json }),
    await postCiba({ origin: demo.url, 'content-type': 'text/plain' }),
  ];
  expect(refusals.map((r) => r.status)).toEqual([403, 403, 403]);
  expect((await postCiba({ ...json, origin: demo.url }, JSON.stringify({ userid: 'a'.repeat(2000) }))).status).toBe(413);
  expect((await postCiba({ ...json, origin: demo.url }, JSON.stringify({ userid: 42 }))).status).toBe(400);
  // Same-origin JSON reaches the provider, which knows no device of this user.
  const unknown = await postCiba({ ...json, origin: demo.url });
  expect({ status: unknown.status, error: (await unknown.json()).error }).toEqual({ status: 400, error: 'unknown_user_id' });
});

test('a restart replaces the demo\'s client: one registered, the old one gone', async () => {
  const [before] = await demoClients();
  await demo.stop();
  demo = await env.startServer(demoOptions());
  const after = await demoClients();
  expect(after).toHaveLength(1);
  expect(after[0].client_id).not.toBe(before.client_id);
  expect(after[0]).toMatchObject({
    redirect_uris: [`${demo.url}/oidc-demo/callback`],
    grant_types: ['authorization_code', 'refresh_token', 'urn:openid:params:grant-type:ciba'],
    backchannel_token_delivery_mode: 'poll',
  });
});
