#!/usr/bin/env node
// The bench's reference server: the device API and relying-party REST API (@tapgate/server, SQLite
// or PostgreSQL)
// plus, on the same origin, the browser package (/sdk/), zxing-wasm (/vendor/zxing-wasm/) and the
// bench page (/bench/), so headless Chromium runs the browser build against a real server.
// Prints the {"event":"listening",…} line tests/js/helpers/server-process.js waits for.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentSecurityPolicy } from '../web-demo/security-headers.mjs';
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
// origin for the device URL in QR codes (two instances on one database).
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
// The bench page runs the authenticator (the core and the QR reader are WebAssembly), so it gets
// the authenticator's policy, 'wasm-unsafe-eval' included; serveStatic would give it a relying
// party's, under which Chromium refuses to compile the core.
const benchPage = join(here, 'page', 'index.html');
async function serveBenchPage(req, res) {
  if (req.method !== 'GET' || !['/bench/', '/bench/index.html'].includes(new URL(req.url, origin).pathname)) return false;
  const html = await readFile(benchPage);
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache',
    'content-security-policy': contentSecurityPolicy('/authenticator/', html.toString('utf8')) });
  res.end(html);
  return true;
}

http.on('request', async (req, res) => {
  try {
    if (await tapgate.handle(req, res)) return;
    if (await serveBenchPage(req, res)) return;
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
