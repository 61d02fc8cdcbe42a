// A stand-in for Google's and Apple's push endpoints, for tests: one TLS server (a self-signed
// certificate for 127.0.0.1 made with the openssl CLI) that speaks HTTP/1.1 and HTTP/2 and plays
//   POST /token                                  Google's OAuth 2.0 token endpoint (JWT bearer grant)
//   POST /v1/projects/{project}/messages:send    FCM HTTP v1
//   POST /3/device/{token}                       APNs (HTTP/2 only, as Apple's)
// It checks what a real endpoint would refuse (the grant JWT's RS256 signature against the service
// account's public key, the bearer token it issued, HTTP/2 for APNs) and keeps every request.
// `answerFor({kind, token, attempt})` may override the answer per device token ({status, json, headers}).
'use strict';
const { execFileSync } = require('node:child_process');
const { createPublicKey, generateKeyPairSync, randomBytes, verify } = require('node:crypto');
const fs = require('node:fs');
const http2 = require('node:http2');
const os = require('node:os');
const path = require('node:path');

/** A self-signed certificate for 127.0.0.1: { dir, keyPath, certPath, key, cert }. */
function selfSignedCert() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-push-tls-'));
  const keyPath = path.join(dir, 'key.pem');
  const certPath = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyPath, '-out', certPath,
  ], { stdio: 'ignore' });
  return { dir, keyPath, certPath, key: fs.readFileSync(keyPath), cert: fs.readFileSync(certPath) };
}

/** A service account as Google issues it (RSA 2048), for a token endpoint at `tokenUri`. */
function serviceAccount(tokenUri, projectId = 'tapgate-test') {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    json: {
      type: 'service_account',
      project_id: projectId,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: `tapgate-push@${projectId}.iam.gserviceaccount.com`,
      client_id: '1234567890',
      token_uri: tokenUri,
    },
    publicKey,
  };
}

/** An APNs signing key as Apple hands it out (.p8: PKCS #8 PEM, P-256). */
function apnsKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { p8: privateKey.export({ type: 'pkcs8', format: 'pem' }), publicKey };
}

/** Verifies a compact JWT with `publicKey`; returns { header, claims } or throws. */
function verifyJwt(jwt, publicKey, alg) {
  const parts = String(jwt).split('.');
  if (parts.length !== 3) throw new Error('not a compact JWT');
  const [head, body, sig] = parts;
  const header = JSON.parse(Buffer.from(head, 'base64url'));
  if (header.alg !== alg) throw new Error(`alg ${header.alg}, expected ${alg}`);
  const key = alg === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' } : publicKey;
  if (!verify('sha256', Buffer.from(`${head}.${body}`), key, Buffer.from(sig, 'base64url'))) throw new Error('JWT signature does not verify');
  return { header, claims: JSON.parse(Buffer.from(body, 'base64url')) };
}

async function startNativePushService({ answerFor = () => null, accessTokenLifetimeS = 3600, grantPublicKey = () => null } = {}) {
  const tls = selfSignedCert();
  const received = [];
  const issued = new Set();
  const attempts = new Map();
  const waiters = [];
  const server = http2.createSecureServer({ key: tls.key, cert: tls.cert, allowHTTP1: true });
  // Connections are tracked so close() need not wait for a sender's idle keep-alive or HTTP/2 connection.
  const sockets = new Set();
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !k.startsWith(':')));
      const send = (status, json, extra = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...extra });
        res.end(json === undefined ? '' : JSON.stringify(json));
      };
      let entry;
      const url = new URL(req.url, 'https://127.0.0.1');
      let m;
      if (req.method === 'POST' && url.pathname === '/token') {
        entry = { kind: 'token', form: Object.fromEntries(new URLSearchParams(body)) };
        let ok = false;
        try {
          const key = grantPublicKey();
          entry.jwt = verifyJwt(entry.form.assertion, key, 'RS256');
          ok = entry.form.grant_type === 'urn:ietf:params:oauth:grant-type:jwt-bearer';
        } catch (err) {
          entry.error = err.message;
        }
        if (!ok) send(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
        else {
          const accessToken = `ya29.${randomBytes(24).toString('base64url')}`;
          issued.add(accessToken);
          entry.accessToken = accessToken;
          send(200, { access_token: accessToken, expires_in: accessTokenLifetimeS, token_type: 'Bearer' });
        }
      } else if (req.method === 'POST' && (m = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(url.pathname))) {
        let message;
        try {
          message = JSON.parse(body).message;
        } catch {}
        const token = message?.token;
        const attempt = (attempts.get(`fcm ${token}`) ?? 0) + 1;
        attempts.set(`fcm ${token}`, attempt);
        entry = { kind: 'fcm', project: m[1], token, message, attempt };
        const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
        const custom = answerFor({ kind: 'fcm', token, attempt });
        if (!bearer || !issued.has(bearer)) send(401, { error: { code: 401, status: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials.' } });
        else if (custom) send(custom.status, custom.json, custom.headers);
        else send(200, { name: `projects/${m[1]}/messages/${randomBytes(8).toString('hex')}` });
      } else if (req.method === 'POST' && (m = /^\/3\/device\/([^/]+)$/.exec(url.pathname))) {
        const attempt = (attempts.get(`apns ${m[1]}`) ?? 0) + 1;
        attempts.set(`apns ${m[1]}`, attempt);
        entry = { kind: 'apns', token: m[1], attempt };
        try {
          entry.payload = JSON.parse(body);
        } catch {}
        const custom = answerFor({ kind: 'apns', token: m[1], attempt });
        if (req.httpVersion !== '2.0') send(400, { reason: 'BadRequest' });  // Apple speaks HTTP/2 only
        else if (custom) send(custom.status, custom.json, custom.headers);
        else send(200, undefined, { 'apns-id': 'B6F2A1C4-0000-4000-8000-000000000000' });
      } else {
        entry = { kind: 'other' };
        send(404, { error: 'not found' });
      }
      received.push({ ...entry, method: req.method, path: req.url, httpVersion: req.httpVersion, headers, body });
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${server.address().port}`;
  return {
    origin,
    certPath: tls.certPath,
    cert: tls.cert,
    received,
    /** Forgets every access token issued: FCM answers 401 to them from now on. */
    revokeAccessTokens: () => issued.clear(),
    /** Waits for a request matching `filter` at index ≥ `from`; resolves with it. */
    async next(filter, from = 0, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.slice(from).find(filter);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no matching request within ${timeoutMs} ms`);
        await new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    close: () => new Promise((resolve) => {
      server.close(() => {
        fs.rmSync(tls.dir, { recursive: true, force: true });
        resolve();
      });
      for (const s of sockets) s.destroy();
    }),
  };
}

module.exports = { startNativePushService, serviceAccount, apnsKey, verifyJwt, selfSignedCert };
