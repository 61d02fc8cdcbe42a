// Most tests run the CLI to a failed start; the one that starts a server does so through useServers.
// The CLI's settings (server/src/config.ts): flags win over the environment, bad values stop the
// start with a message and exit code 1, and the access log can be turned off.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { REPO_ROOT } = require('./helpers/server-process');
const { useServers } = require('./helpers/fixture');

jest.setTimeout(30_000);

const fx = useServers();

const MAIN = path.join(REPO_ROOT, 'server', 'dist', 'main.js');
const runBad = (args, env = {}) =>
  spawnSync(process.execPath, [MAIN, ...args], { env: { ...process.env, PORT: '0', TAPGATE_DATA_DIR: '/nonexistent-not-reached', ...env }, encoding: 'utf8', timeout: 15_000 });

test('invalid settings exit 1 with a message naming the setting, before anything listens', () => {
  for (const [args, env, message] of [
    [['--port', 'abc'], {}, /invalid PORT "abc"/],
    [[], { PORT: '70000' }, /invalid PORT "70000"/],
    [['--rp-rate=-1'], {}, /invalid TAPGATE_RP_RATE "-1"/],
    [['--device-burst', '0'], {}, /invalid TAPGATE_DEVICE_BURST "0"/],
    [['--access-log', 'maybe'], {}, /invalid TAPGATE_ACCESS_LOG "maybe"/],
    [['--no-such-flag', '1'], {}, /unknown argument "--no-such-flag"/],
    [['--host'], {}, /--host needs a value/],
    [['--device-origins', 'https://ok.example,evil'], {}, /invalid TAPGATE_DEVICE_ORIGINS entry "evil"/],
    [[], { TAPGATE_WEBPUSH_ALLOW_HOSTS: 'https://push.example/x' }, /invalid TAPGATE_WEBPUSH_ALLOW_HOSTS entry "https:\/\/push.example\/x"/],
    [['--retention-interval-ms=-1'], {}, /invalid TAPGATE_RETENTION_INTERVAL_MS "-1"/],
    [['--session-retention-ms', '1000'], {}, /invalid TAPGATE_SESSION_RETENTION_MS "1000"/],
    [[], { TAPGATE_AUDIT_RETENTION_DAYS: '0' }, /invalid TAPGATE_AUDIT_RETENTION_DAYS "0"/],
    [['--database-url', 'mysql://u:hunter2@db/x'], {}, /invalid TAPGATE_DATABASE_URL: a postgres:\/\/ or postgresql:\/\/ URL/],
    [['--admin', 'maybe'], {}, /invalid TAPGATE_ADMIN "maybe"/],
    [['--admin', '1', '--admin-server', 'not-a-server'], {}, /invalid TAPGATE_ADMIN_SERVER "not-a-server"/],
    [['--admin-idle-min', '0'], { TAPGATE_ADMIN: '1' }, /invalid TAPGATE_ADMIN_IDLE_MIN "0"/],
    [['--admin-session-h', '1000'], { TAPGATE_ADMIN: '1' }, /invalid TAPGATE_ADMIN_SESSION_H "1000"/],
  ]) {
    const r = runBad(args, env);
    expect({ args, status: r.status, stdout: r.stdout }).toEqual({ args, status: 1, stdout: '' });
    expect(r.stderr).toMatch(message);
  }
});

test('a PostgreSQL URL that cannot be reached stops the start; its password appears nowhere', () => {
  const r = runBad([], { TAPGATE_DATABASE_URL: 'postgresql://tapgate:hunter2@127.0.0.1:1/tapgate' });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/cannot start: PostgreSQL at postgresql:\/\/tapgate:\*\*\*@127\.0\.0\.1:1\/tapgate/);
  expect(r.stdout + r.stderr).not.toMatch(/hunter2/);
  expect(runBad(['--database-url', 'mysql://u:hunter2@db/x']).stderr).not.toMatch(/hunter2/);
});

test('flags win over the environment; --access-log 0 leaves stdout to the listening line', async () => {
  const server = await fx.startServer({ env: { TAPGATE_ACCESS_LOG: '1', TAPGATE_RP_RATE: '1000' }, args: ['--access-log', '0', '--rp-rate=0.2', '--rp-burst=1'] });
  const get = () => fetch(`${server.url}/servers`, { headers: { 'X-apikey': server.rootApiKey } });
  expect((await get()).status).toBe(200);
  expect((await get()).status).toBe(429);  // the flag's rate, not the environment's
  const lines = server.output().stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]).event).toBe('listening');
});
