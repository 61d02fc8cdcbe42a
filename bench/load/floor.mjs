#!/usr/bin/env node
// The floor: a bare node:http server answering the requests of a QR login (the relying party's
// GET …/sessions/qr/login, the device's POST /device/v1/start and /device/v1/login; plus the
// enrol QR and /device/v1/enrol so the load clients can enrol against it too) with canned
// answers of the same shape, size and headers as the reference server's: no database, no
// crypto, no validation beyond reading and parsing the JSON body. Its CPU per login is what any
// Node HTTP server pays for these three requests, the floor under the reference server's figure.
// The signatures it sends are fixed bytes: load clients talk to it with `verify: false`.
// Prints {"event":"listening", port, url, serverId} like server/dist/main.js.
import { createServer } from 'node:http';

const SERVER_ID = Buffer.alloc(16, 0x5a);
const SERVER_PK = Buffer.alloc(32, 0x6b);
const SIG = Buffer.alloc(64, 0x7c).toString('base64url');
const SERVER = { name: 'Tapgate Demo', pingTime: 0, pinTimeout: 1440, pinAttemptLimit: 3 };
const sid = SERVER_ID.toString('base64url');

// The reference server's answer headers (server/src/http.ts sendBytes).
const headers = (type, length) => ({
  'Content-Type': type,
  'Content-Length': String(length),
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
});

let session = 0;
let accounts = 0;
/** A QR session id: a counter in 16 bytes (unique, not random: the floor does no crypto). */
function sessionId() {
  const id = Buffer.alloc(16);
  id.writeUInt32BE(++session, 12);
  return id;
}

function send(res, status, type, body) {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, headers(type, bytes.length)).end(bytes);
}
const sendEnvelope = (res, body) => send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ body: JSON.stringify(body), sig: SIG }));

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

let origin;
const routes = {
  [`GET /servers/${sid}/sessions/qr/login`]: (req, res) =>
    send(res, 200, 'application/octet-stream', Buffer.concat([Buffer.of(1, 1), SERVER_ID, sessionId()])),
  [`GET /servers/${sid}/sessions/qr/enrol`]: (req, res) => {
    const url = Buffer.from(`${origin}/device`, 'latin1');
    send(res, 200, 'application/octet-stream', Buffer.concat([Buffer.of(1, 2), SERVER_ID, sessionId(), SERVER_PK, Buffer.of(url.length), url]));
  },
  'POST /device/v1/start': async (req, res) => {
    const j = await readJson(req);
    const kind = Buffer.from(j.qr, 'base64url')[1] === 2 ? 'enrol' : 'login';
    sendEnvelope(res, { kind, server: SERVER, time: Date.now(), announceInfo: null });
  },
  'POST /device/v1/enrol': async (req, res) => {
    await readJson(req);
    sendEnvelope(res, { result: 'SUCCESS', accountId: ++accounts, userId: null, pingTime: 0 });
  },
  'POST /device/v1/login': async (req, res) => {
    await readJson(req);
    sendEnvelope(res, { result: 'SUCCESS', pingTime: 0, sessionInfo: null });
  },
};

const server = createServer((req, res) => {
  const q = req.url.indexOf('?');
  const route = routes[`${req.method} ${q < 0 ? req.url : req.url.slice(0, q)}`];
  if (!route) {
    send(res, 404, 'application/json; charset=utf-8', '{"error":"not found"}');
    return;
  }
  Promise.resolve(route(req, res)).catch(() => send(res, 400, 'application/json; charset=utf-8', '{"error":"bad request"}'));
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address();
  origin = `http://127.0.0.1:${port}`;
  console.log(JSON.stringify({ event: 'listening', port, url: origin, serverId: sid }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
