// GET /metrics (server/src/metrics.ts, metrics-endpoint.ts) on a real server process: refused
// without the bearer token, absent when no token is configured; with it, the Prometheus text
// format whose counters follow real enrolments, logins and wrong PINs of a Node SDK
// authenticator, real pushes through the local relay and a real status stream. Route labels are
// route patterns: no server id, account id or nonce appears in any label.
'use strict';
const { useServer } = require('./helpers/fixture');
const { startServer } = require('./helpers/server-process');
const { PIN, enrol, login, eventually } = require('./helpers/flows');
const { openEventStream } = require('./helpers/sse');
const { parsePrometheus: parse, sampleValue } = require('./helpers/prometheus');

jest.setTimeout(120_000);

const TOKEN = 'metrics-test-token-0123456789';
const env = useServer({ env: { TAPGATE_METRICS_TOKEN: TOKEN } });

const scrape = (url = env.server.url, headers = { Authorization: `Bearer ${TOKEN}` }) => fetch(`${url}/metrics`, { headers });

async function metrics() {
  const res = await scrape();
  expect(res.status).toBe(200);
  return parse(await res.text());
}

const value = sampleValue;

describe('access', () => {
  test('no token, a wrong token, another scheme: 401 with WWW-Authenticate; other methods 405', async () => {
    for (const headers of [{}, { Authorization: 'Bearer wrong-token-0123456789' }, { Authorization: `Basic ${TOKEN}` }, { Authorization: `Bearer ${TOKEN}x` }]) {
      const res = await scrape(env.server.url, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(await res.json()).toEqual({ error: 'a valid metrics bearer token is required' });
    }
    const post = await fetch(`${env.server.url}/metrics`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  test('the right token: the Prometheus text format, with the default process metrics', async () => {
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parse(await res.text());
    expect(value(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
  });

  test('without a configured token there is no /metrics (404), and nothing else changes', async () => {
    const plain = await env.startServer();
    expect((await scrape(plain.url)).status).toBe(404);
    expect((await scrape(plain.url, {})).status).toBe(404);
    expect((await fetch(`${plain.url}/healthz`)).status).toBe(200);
  });

  test('the typed client: metrics(token) is the text; a wrong token is unauthorized, no token configured not_found', async () => {
    const { TapgateClient } = require('@tapgate/server/client');
    const client = new TapgateClient({ baseUrl: env.server.url, apiKey: env.server.rootApiKey });
    const text = await client.metrics(TOKEN);
    expect(parse(text).some((s) => s.name === 'tapgate_status_streams_open')).toBe(true);
    await expect(client.metrics('wrong-token-0123456789')).rejects.toMatchObject({ kind: 'unauthorized', status: 401, operationId: 'metrics' });
    const plain = await env.startServer();
    await expect(new TapgateClient({ baseUrl: plain.url, apiKey: plain.rootApiKey }).metrics(TOKEN)).rejects.toMatchObject({ kind: 'not_found', status: 404 });
  });

  test('two servers in one process keep their own registries: each counts only its own requests', async () => {
    const start = () => env.startInProcess(({ url, dir, databaseUrl }) => ({ publicUrl: url, dataDir: dir, databaseUrl, metricsToken: TOKEN }));
    const [one, two] = [await start(), await start()];
    const count = async (s) => value(parse(await (await scrape(s.url)).text()), 'tapgate_http_request_duration_seconds_count', { route: '/healthz' });
    for (let i = 0; i < 3; i++) expect((await fetch(`${one.url}/healthz`)).status).toBe(200);
    expect(await count(one)).toBe(3);
    expect(await count(two)).toBe(0);
  });

  test('a short token is refused at start', async () => {
    await expect(startServer({ env: { TAPGATE_METRICS_TOKEN: 'short' } })).rejects.toThrow(/metrics token must be at least 16/);
  });
});

describe('counters follow real flows', () => {
  test('enrolment and logins by outcome, wrong PINs and the block', async () => {
    const before = await metrics();
    const auth = await env.authenticator();
    expect((await enrol(auth, env.rp, { userid: 'metered' })).verdict.result).toBe('SUCCESS');
    const ok = await login(auth, env.rp);
    expect(ok.verdict.result).toBe('SUCCESS');
    await ok.session.finished;
    // Three wrong PINs on one login session: two PIN_FAIL, then PIN_BLOCKED (the default limit of 3).
    const { session } = await login(auth, env.rp, { pin: '0000' });
    await session.setPinBiometric({ pin: '0000' });
    expect(await session.setPinBiometric({ pin: '0000' })).toMatchObject({ result: 'PIN_BLOCKED' });
    await session.finished;
    // Blocked: the right PIN is answered PIN_BLOCKED, not counted as a failure again.
    const blocked = await login(auth, env.rp, { pin: PIN });
    expect(blocked.verdict.result).toBe('PIN_BLOCKED');
    await blocked.session.finished;

    const after = await metrics();
    const delta = (name, labels) => value(after, name, labels) - value(before, name, labels);
    expect(delta('tapgate_enrolments_total', { outcome: 'success' })).toBe(1);
    expect(delta('tapgate_enrolments_total')).toBe(1);
    expect(delta('tapgate_logins_total', { outcome: 'success' })).toBe(1);
    expect(delta('tapgate_logins_total', { outcome: 'pin_fail' })).toBe(2);
    expect(delta('tapgate_logins_total', { outcome: 'pin_blocked' })).toBe(2);
    expect(delta('tapgate_logins_total')).toBe(5);
    expect(delta('tapgate_pin_failures_total')).toBe(3);
    expect(delta('tapgate_pin_blocks_total')).toBe(1);
    // The device requests of these flows, by route: /v1/login five times with status 200.
    expect(delta('tapgate_http_request_duration_seconds_count', { route: '/device/v1/login', method: 'POST', status: '200' })).toBe(5);
    expect(delta('tapgate_http_request_duration_seconds_count', { route: '/device/v1/enrol', method: 'POST', status: '200' })).toBe(1);
    // The store's statements were timed.
    expect(delta('tapgate_db_query_duration_seconds_count', { statement: 'select' })).toBeGreaterThan(0);
    expect(delta('tapgate_db_query_duration_seconds_count', { statement: 'update' })).toBeGreaterThan(0);
  });

  test('refused logins are counted too: an unsigned refusal (malformed, unknown session) as rejected', async () => {
    const before = await metrics();
    const post = (body) => fetch(`${env.server.url}/device/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ v: 1, session: 'AAAAAAAAAAAAAAAAAAAAAA' })).status).toBe(404);
    expect((await post({ v: 1, nosuchfield: 1 })).status).toBe(400);
    const after = await metrics();
    expect(value(after, 'tapgate_logins_total', { outcome: 'rejected' }) - value(before, 'tapgate_logins_total', { outcome: 'rejected' })).toBe(2);
  });

  test('pushes by sender and outcome; open status streams', async () => {
    const auth = await env.enrolled({ userid: 'pushed' });
    await env.pushRelay(auth);
    const before = await metrics();
    const account = auth.accounts[0];
    await env.rp.sendMessage(account.accountId, 'hello');
    await eventually(async () => value(await metrics(), 'tapgate_push_deliveries_total', { sender: 'relay', outcome: 'delivered' }) > value(before, 'tapgate_push_deliveries_total', { sender: 'relay', outcome: 'delivered' }));
    // An FCM token on a server without FCM: not pushed, counted as unconfigured (the app pulls the message).
    await auth.updatePushToken('fcm:metrics-test-token');
    await env.rp.sendMessage(account.accountId, 'not pushed');
    await eventually(async () => value(await metrics(), 'tapgate_push_deliveries_total', { sender: 'fcm', outcome: 'unconfigured' }) === 1);

    expect(value(await metrics(), 'tapgate_status_streams_open')).toBe(0);
    const nonce = env.rp.newNonce();
    const stream = await openEventStream(`${env.server.url}/servers/${env.server.serverId}/sessions/events`, { 'X-apikey': env.server.rootApiKey, 'X-nonce': nonce });
    try {
      expect(value(await metrics(), 'tapgate_status_streams_open')).toBe(1);
    } finally {
      stream.close();
    }
    await eventually(async () => value(await metrics(), 'tapgate_status_streams_open') === 0);
  });

  test('route labels are route patterns: no server id, account id, nonce or key id in any label', async () => {
    const auth = await env.enrolled({ userid: 'labelled' });
    const account = auth.accounts[0];
    await fetch(`${env.server.url}/servers/${env.server.serverId}/accounts/${account.accountId}`, { headers: { 'X-apikey': env.server.rootApiKey } });
    await fetch(`${env.server.url}/servers/${env.server.serverId}/no/such/route`, { headers: { 'X-apikey': env.server.rootApiKey } });
    await fetch(`${env.server.url}/device/v1/nothing-here`, { method: 'POST' });
    const samples = await metrics();
    const routes = new Set(samples.filter((s) => s.name === 'tapgate_http_request_duration_seconds_count').map((s) => s.labels.route));
    expect([...routes]).toEqual(expect.arrayContaining([
      '/servers/{sid}/accounts/{accountid}',
      '/servers/{sid}/unmatched',
      '/device/unmatched',
      '/device/v1/enrol',
      '/servers/{sid}/sessions/qr/enrol',
      '/metrics',
    ]));
    const labelValues = samples.flatMap((s) => Object.values(s.labels));
    expect(labelValues.filter((v) => v.includes(env.server.serverId) || v.includes(env.server.rootApiKey))).toEqual([]);
    expect([...routes].filter((r) => r.split('/').includes(String(account.accountId)))).toEqual([]);
    // Every route label is a pattern of the tables, a fixed path or `unmatched`.
    for (const route of routes) expect(route).toMatch(/^\/(device\/(v1\/[a-z/]+|unmatched)|servers(\/\{sid\}(\/[a-z{}]+)*)?|apikeys(\/\{keyid\})?|relay\/v1\/\{token\}|oidc\/\*|metrics|healthz|readyz|openapi\.json|webpush\/v1\/vapid)$/);
  });
});
