// The JSON access log of a real run: one line per request with the documented fields, and none of
// the secrets the run used (API key, nonce, account key, push token, message text) anywhere in stdout.
'use strict';
const { useServer } = require('./helpers/fixture');
const { enrol, login, eventually } = require('./helpers/flows');

jest.setTimeout(60_000);

const API_KEY = 'access-log-test-key-0123456789abcdef';
const env = useServer({ env: { TAPGATE_ROOT_API_KEY: API_KEY } });

test('one JSON line per request with time, level, msg, method, path, status, durationMs, requestId; no secrets', async () => {
  const { server, rp } = env;
  const auth = await env.authenticator();
  const { nonce: enrolNonce } = await enrol(auth, rp, { userid: 'logged-user' });
  const push = await env.pushRelay(auth);
  const { nonce } = await login(auth, rp);
  const account = (await rp.accounts()).accounts[0];
  await rp.sendMessage(account.id, 'secret-note-text');
  const status = await rp.loginStatus(nonce);
  expect(status.loggedin).toBe(true);
  // A request id the caller chose is echoed and logged.
  const res = await fetch(`${server.url}/healthz`, { headers: { 'X-Request-Id': 'trace-42' } });
  expect(res.headers.get('x-request-id')).toBe('trace-42');
  await eventually(() => server.output().stdout.includes('"requestId":"trace-42"'));
  await eventually(() => server.output().stdout.includes('/relay/v1/{token}'));

  const stdout = server.output().stdout;
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));  // every line is JSON
  const requests = lines.filter((l) => l.msg === 'request');
  for (const l of requests) {
    expect(Object.keys(l).sort()).toEqual(['durationMs', 'level', 'method', 'msg', 'path', 'requestId', 'status', 'time']);
    expect(Number.isNaN(Date.parse(l.time))).toBe(false);
    expect(typeof l.durationMs).toBe('number');
  }
  const paths = requests.map((l) => `${l.method} ${l.path} ${l.status}`);
  expect(paths).toContain(`GET /servers/${server.serverId}/sessions/qr/enrol 200`);
  expect(paths).toContain('POST /device/v1/enrol 200');
  expect(paths).toContain('POST /device/v1/login 200');
  expect(paths).toContain(`POST /servers/${server.serverId}/accounts/${account.id}/messages 200`);
  expect(paths).toContain('GET /relay/v1/{token} 200');
  expect(requests.find((l) => l.requestId === 'trace-42')).toMatchObject({ path: '/healthz', status: 200, level: 'info' });

  const accountKey = (await rp.loginStatus(nonce)).pk;
  const secrets = { API_KEY, nonce, enrolNonce, accountKey, pushToken: push.token, note: 'secret-note-text', userid: 'logged-user' };
  for (const [name, secret] of Object.entries(secrets)) {
    expect(typeof secret === 'string' && secret.length > 8).toBe(true);
    expect({ name, found: stdout.includes(secret) }).toEqual({ name, found: false });
  }
  expect(stdout.includes(encodeURIComponent(push.token))).toBe(false);
});
