#!/usr/bin/env node
// `npm start`: the reference server (device API + relying-party REST API), a demo relying party
// and the browser authenticator, all on one origin: http://localhost:8080 (PORT to change).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRelyingParty } from './relying-party.mjs';
import { createOidcCard } from './oidc-card.mjs';
import { serveStatic } from './static.mjs';
import { BASE_HEADERS } from './security-headers.mjs';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { createTapgateServer, keepDeviceConnectionsAlive } = require('@tapgate/server');

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';

const http = createServer();
keepDeviceConnectionsAlive(http);
await new Promise((resolve) => http.listen(port, host, resolve));
const actualPort = http.address().port;
const origin = process.env.TAPGATE_PUBLIC_URL ?? `http://localhost:${actualPort}`;

// The demo's relying party needs the root key in clear on every start, and the server keeps only a
// digest: so the demo chooses the key itself (TAPGATE_ROOT_API_KEY, else a fresh one per start).
const rootApiKey = process.env.TAPGATE_ROOT_API_KEY || randomBytes(32).toString('base64url');
const tapgate = await createTapgateServer({
  publicUrl: origin,
  rootApiKey,
  dataDir: process.env.TAPGATE_DATA_DIR ?? join(root, 'data'),
  serverName: process.env.TAPGATE_SERVER_NAME ?? 'Tapgate Demo Bank',
  // Browser origins besides the public one that may call the device API: the pages opened by the
  // listening address instead of localhost, and those named (the browser extension's).
  deviceOrigins: [`http://127.0.0.1:${actualPort}`, ...(process.env.TAPGATE_DEVICE_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean)],
  // "Sign in with Tapgate": the OpenID provider at ${origin}/oidc (docs/oidc.md), the page's fourth card.
  oidc: true,
});
const relyingParty = createRelyingParty({ apiBase: `http://127.0.0.1:${actualPort}`, serverId: tapgate.serverId, apiKey: rootApiKey });

/** The OpenID card's backend (oidc-card.mjs), once its client is registered. */
let oidcCard = null;

// The third element: where scripts/build.mjs leaves precompressed copies (static.mjs).
const mounts = [
  ['/sdk/', join(root, 'js', 'dist'), join(root, 'build', 'precompressed', 'sdk')],
  ['/vendor/zxing-wasm/', join(dirname(require.resolve('zxing-wasm/reader/zxing_reader.wasm')), '..', 'es')],
  ['/', join(here, 'public')],
];

http.on('request', async (req, res) => {
  for (const [name, value] of Object.entries(BASE_HEADERS)) res.setHeader(name, value);
  try {
    if (await tapgate.handle(req, res)) return;
    if (await relyingParty.handle(req, res)) return;
    if (oidcCard && await oidcCard.handle(req, res)) return;
    if (await serveStatic(req, res, mounts)) return;
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  } catch (err) {
    console.error('request failed:', err);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('internal error');
  }
});

// Registered once requests are served: it registers its client through the relying-party API.
oidcCard = await createOidcCard({ origin, apiBase: `http://127.0.0.1:${actualPort}`, serverId: tapgate.serverId, apiKey: rootApiKey });

console.log(JSON.stringify({ event: 'listening', port: actualPort, url: origin, serverId: tapgate.serverId }));
console.error(`Tapgate demo on ${origin}/  (authenticator: ${origin}/authenticator/)`);
if (!process.env.TAPGATE_ROOT_API_KEY) {
  console.error(`Relying-party REST API: ${origin}/servers/  X-apikey: ${rootApiKey}  (a new one each start: set TAPGATE_ROOT_API_KEY to choose it)`);
}

const shutdown = async () => {
  http.close();
  await tapgate.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
