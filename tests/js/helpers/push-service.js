// A stand-in Web Push service for tests: an HTTP endpoint that accepts pushes (201) and keeps them,
// and a browser-side subscription (P-256 key pair + auth secret) that can decrypt them (RFC 8291,
// aes128gcm) and check their VAPID authorisation (RFC 8292), as a browser's push stack would.
'use strict';
const http = require('node:http');
const { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } = require('node:crypto');

/** `statusFor(path)` picks the answer per subscription (default 201 Created). */
async function startPushService({ statusFor = () => 201 } = {}) {
  const received = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url, method: req.method, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(statusFor(req.url)).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    received,
    /** Resolves with the n-th push (0-based) received, waiting for it if need be. */
    async nth(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length <= n) {
        if (Date.now() > deadline) throw new Error(`push #${n} not received within ${timeoutMs} ms`);
        await new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return received[n];
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

function newSubscription(endpoint) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  const uaPublic = ecdh.getPublicKey();
  return {
    json: { endpoint, keys: { p256dh: uaPublic.toString('base64url'), auth: auth.toString('base64url') } },
    /** RFC 8291 §3 + RFC 8188: one aes128gcm record, padding delimiter 0x02. */
    decrypt(body) {
      const salt = body.subarray(0, 16);
      const idlen = body[20];
      const asPublic = body.subarray(21, 21 + idlen);
      const record = body.subarray(21 + idlen);
      const ecdhSecret = ecdh.computeSecret(asPublic);
      const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
      const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, auth, keyInfo, 32));
      const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
      const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
      const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
      decipher.setAuthTag(record.subarray(record.length - 16));
      const plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
      let end = plain.length - 1;
      while (end >= 0 && plain[end] === 0) end--;
      if (plain[end] !== 2) throw new Error('not the last record (padding delimiter is not 0x02)');
      return plain.subarray(0, end).toString('utf8');
    },
  };
}

/** Checks `Authorization: vapid t=<JWT>, k=<key>` (ES256 over the JWT); returns { key, claims }. */
function verifyVapid(authorization) {
  const m = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(authorization ?? '');
  if (!m) throw new Error(`not a VAPID authorisation: ${authorization}`);
  const [jwt, key] = [m[1], m[2]];
  const point = Buffer.from(key, 'base64url');
  const publicKey = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') },
    format: 'jwk',
  });
  const [head, payload, sig] = jwt.split('.');
  const ok = verify('sha256', Buffer.from(`${head}.${payload}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'));
  if (!ok) throw new Error('VAPID JWT signature does not verify');
  return { key, header: JSON.parse(Buffer.from(head, 'base64url')), claims: JSON.parse(Buffer.from(payload, 'base64url')) };
}

module.exports = { startPushService, newSubscription, verifyVapid };
