// Two server instances on one database, not one server: useServers, not useServer.
// Sign in with Tapgate on two instances sharing one PostgreSQL database (the provider's sessions,
// interactions, codes, tokens and CIBA requests are in it): the authorization request and the
// device's login go to instance A, the token, userinfo and refresh requests to instance B; a CIBA
// request made at B is settled by the device's answer at A. Needs TAPGATE_TEST_DATABASE_URL
// (scripts/test.sh starts a throwaway cluster); without it the suite is skipped.
'use strict';
const { randomBytes } = require('node:crypto');
const { LocalPushRelay } = require('@tapgate/authenticator/node');
const { TEST_DATABASE_URL } = require('./helpers/server-process');
const { useServers } = require('./helpers/fixture');
const { relyingParty, nextEvent, reach } = require('./helpers/rp');
const { PIN, enrol } = require('./helpers/flows');
const { registerClient, discover, signInWith, client } = require('./helpers/oidc');

const REDIRECT = 'https://rp.example/callback';
const CIBA = 'urn:openid:params:grant-type:ciba';
const describeOnPostgres = TEST_DATABASE_URL ? describe : describe.skip;

describeOnPostgres('two instances, one database', () => {
  const fx = useServers();
  let a;
  let b;
  let auth;
  let registered;

  beforeAll(async () => {
    const db = await fx.testDatabase();
    const env = { TAPGATE_DATABASE_URL: db.url, TAPGATE_ROOT_API_KEY: 'oidc-scale-out', TAPGATE_KEY: randomBytes(32).toString('base64url'), TAPGATE_OIDC: '1' };
    a = await fx.startServer({ env });
    // One issuer: B serves under A's public URL, as instances behind one balancer do.
    b = await fx.startServer({ env: { ...env, TAPGATE_PUBLIC_URL: a.url } });
    auth = await fx.authenticator();
    await enrol(auth, relyingParty(a), { userid: 'olga' });
    fx.closeLater(await LocalPushRelay.connect(auth, { url: `${a.url}/relay/v1`, intervalMs: 50 }));
    registered = await registerClient(b, { client_name: 'Balanced RP', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token', CIBA], backchannel_token_delivery_mode: 'poll' });
  });

  /** openid-client set up on A's discovery document with every endpoint moved to B. */
  async function configAtB() {
    const atA = await discover(a, registered);
    const meta = atA.serverMetadata();
    const moved = Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, typeof v === 'string' && k.endsWith('_endpoint') ? v.replace(a.url, b.url) : v]));
    const config = new client.Configuration(moved, registered.client_id, registered.client_secret);
    client.allowInsecureRequests(config);
    return { atA, config };
  }

  test('code flow: authorized at A, the code redeemed, userinfo read and the token refreshed at B', async () => {
    const { atA, config } = await configAtB();
    expect(config.serverMetadata().token_endpoint).toBe(`${b.url}/oidc/token`);
    expect(atA.serverMetadata().issuer).toBe(`${a.url}/oidc`);
    const { tokens } = await signInWith(auth, atA, REDIRECT, { params: { scope: 'openid offline_access', prompt: 'consent' }, exchange: config });
    expect(tokens.claims()).toMatchObject({ iss: `${a.url}/oidc`, sub: 'olga' });
    expect(await client.fetchUserInfo(config, tokens.access_token, 'olga')).toMatchObject({ sub: 'olga' });
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    expect(refreshed.claims().sub).toBe('olga');
  });

  test('CIBA: requested and polled at B, the push and the answer through A', async () => {
    const { config } = await configAtB();
    const pushed = nextEvent(auth, 'session');
    const request = await client.initiateBackchannelAuthentication(config, { scope: 'openid', login_hint: 'olga', binding_message: 'A to B' });
    const { session } = await pushed;
    await reach(session, 'WAIT_FOR_SECOND_FACTOR');
    expect(session.announceInfo.info['Binding message']).toBe('A to B');
    await session.setPinBiometric({ pin: PIN });
    const tokens = await client.pollBackchannelAuthenticationGrant(config, { ...request, interval: 0.1 });
    expect(tokens.claims().sub).toBe('olga');
  });
});

if (!TEST_DATABASE_URL) test('skipped: needs TAPGATE_TEST_DATABASE_URL (scripts/test.sh runs it on PostgreSQL)', () => {});
