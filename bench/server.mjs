#!/usr/bin/env node
// The bench's reference server: the device API and relying-party REST API (@tapgate/server, SQLite
// or PostgreSQL)
// plus, on the same origin, the browser package (/sdk/), zxing-wasm (/vendor/zxing-wasm/) and the
// bench page (/bench/), so headless Chromium runs the browser build against a real server.
// Prints the {"event":"listening",…} line tests/js/helpers/server-process.js waits for.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '../web-demo/static.mjs';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { createTapgateServer, keepDeviceConnectionsAlive } = require('@tapgate/server');

const http = createServer();
keepDeviceConnectionsAlive(http);
await new Promise((resolve) => http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
const port = http.address().port;
const origin = `http://localhost:${port}`;
// TAPGATE_DATABASE_URL: PostgreSQL instead of SQLite; TAPGATE_PUBLIC_URL: another instance's
// origin for the device URL in QR codes (server-load.mjs's two-instance run).
const tapgate = await createTapgateServer({
  publicUrl: process.env.TAPGATE_PUBLIC_URL || origin,
  dataDir: process.env.TAPGATE_DATA_DIR,
  databaseUrl: process.env.TAPGATE_DATABASE_URL || undefined,
  // The key the signing keys are encrypted under: instances sharing a database share it.
  key: process.env.TAPGATE_KEY || undefined,
  serverName: 'Tapgate Bench',
});
const mounts = [
  ['/sdk/', join(root, 'js', 'dist'), join(root, 'build', 'precompressed', 'sdk')],  // as web-demo/start.mjs
  ['/vendor/zxing-wasm/', join(dirname(require.resolve('zxing-wasm/reader/zxing_reader.wasm')), '..', 'es')],
  ['/bench/', join(here, 'page')],
];
http.on('request', async (req, res) => {
  try {
    if (await tapgate.handle(req, res)) return;
    if (await serveStatic(req, res, mounts)) return;
    res.writeHead(404).end('not found');
  } catch (err) {
    console.error(err);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }
});
console.log(JSON.stringify({ event: 'listening', port, url: origin, serverId: tapgate.serverId, rootApiKey: tapgate.rootApiKey }));
const shutdown = async () => { http.close(); await tapgate.close(); process.exit(0); };
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
