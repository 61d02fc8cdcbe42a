// Its servers are shut down by the tests themselves (SIGTERM): one per test, through useServers.
// Health, readiness and graceful shutdown of a real server process: on SIGTERM it stops accepting
// connections, answers /readyz 503 on a connection it already has, ends status streams cleanly,
// lets a request in flight finish, closes the database and exits 0.
'use strict';
const net = require('node:net');
const { useServers } = require('./helpers/fixture');
const { eventually } = require('./helpers/flows');

jest.setTimeout(30_000);

const fx = useServers();

test('GET /healthz and /readyz answer 200 while running; other methods 405', async () => {
  const server = await fx.startServer();
  const health = await fetch(`${server.url}/healthz`);
  expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
  const ready = await fetch(`${server.url}/readyz`);
  expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
  expect((await fetch(`${server.url}/readyz`, { method: 'POST' })).status).toBe(405);
});

/** A raw HTTP/1.1 connection: what it received so far, and whether the server closed it. */
function rawConnection(port) {
  const socket = net.connect(port, '127.0.0.1');
  const state = { data: '', closed: false, socket };
  socket.setEncoding('utf8');
  socket.on('data', (d) => { state.data += d; });
  socket.on('close', () => { state.closed = true; });
  socket.on('error', () => {});
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(state));
    socket.once('error', reject);
  });
}

test('SIGTERM: readyz 503, status stream ended, the slow request in flight completes, new connections refused, exit 0', async () => {
  const server = await fx.startServer({ env: { TAPGATE_SHUTDOWN_GRACE_MS: '20000' } });
  // A status stream that shutdown must end cleanly (chunked encoding's last chunk).
  const stream = await rawConnection(server.port);
  stream.socket.write(`GET /servers/${server.serverId}/sessions/events HTTP/1.1\r\nHost: x\r\nX-apikey: ${server.rootApiKey}\r\nX-nonce: n1\r\n\r\n`);
  await eventually(() => stream.data.includes('event: status'));

  // A device request whose body arrives slowly: half of it now, the rest after SIGTERM.
  const body = '{"v":1,"padding":"' + 'x'.repeat(100) + '"}';
  const slow = await rawConnection(server.port);
  slow.socket.write(`POST /device/v1/ping HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
  slow.socket.write(body.slice(0, 40));

  const exited = server.exited;
  server.proc.kill('SIGTERM');
  await eventually(() => server.output().stderr.includes('draining'));

  // The stream ended with the terminating chunk, and the server closed it.
  await eventually(() => stream.closed);
  expect(stream.data.endsWith('0\r\n\r\n')).toBe(true);

  // New connections are refused while the slow request is still in flight.
  await expect(rawConnection(server.port)).rejects.toThrow(/ECONNREFUSED/);
  expect(server.proc.exitCode).toBeNull();

  // The rest of the body, with /readyz pipelined behind it on the same connection: the request
  // completes with the device API's answer, and the server reports itself not ready.
  // A new status stream asked for on it is refused (it would only be cut at the end of the grace).
  slow.socket.write(body.slice(40) + 'GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n' +
    `GET /servers/${server.serverId}/sessions/events HTTP/1.1\r\nHost: x\r\nX-apikey: ${server.rootApiKey}\r\nX-nonce: n2\r\n\r\n`);
  await eventually(() => slow.data.includes('server is shutting down') || slow.closed);
  const [first] = slow.data.split('\r\n', 1);
  expect(first).toMatch(/^HTTP\/1\.1 (200|4\d\d) /);
  expect(first).not.toMatch(/ 503 /);
  expect(slow.data).toMatch(/HTTP\/1\.1 503 [^]*"reason":"shutting down"/);
  expect(slow.data).toMatch(/"reason":"shutting down"[^]*HTTP\/1\.1 503 [^]*"error":"server is shutting down"/);
  expect(slow.data).not.toContain('event: status');

  expect(await exited).toEqual({ code: 0, signal: null });
  expect(server.output().stdout).toMatch(/"msg":"stopped","reason":"all requests done"/);
});
