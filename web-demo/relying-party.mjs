// The demo relying party's backend: it holds the API key and talks to Tapgate's REST API like any
// website would; the browser only sees its own small API (/rp/api/*) and a session cookie.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const QRCode = createRequire(import.meta.url)('qrcode');

export function createRelyingParty({ apiBase, serverId, apiKey }) {
  const base = `${apiBase}/servers/${serverId}`;
  const call = (path, nonce) => fetch(`${base}${path}`, { headers: { 'X-apikey': apiKey, ...(nonce ? { 'X-nonce': nonce } : {}) } });

  // One QR per request: its raw payload becomes both the picture (byte-mode QR) and the deep link.
  async function newQr(kind, nonce, query) {
    const res = await call(`/sessions/qr/${kind}?${query}`, nonce);
    if (!res.ok) throw new Error(`QR request failed: HTTP ${res.status}`);
    const payload = Buffer.from(await res.arrayBuffer());
    const picture = await QRCode.toDataURL([{ data: payload, mode: 'byte' }], { errorCorrectionLevel: 'M', width: 320, margin: 2 });
    return { image: picture, link: `tapgate:${payload.toString('base64url')}`, bytes: payload.length };
  }

  return {
    async handle(req, res) {
      const url = new URL(req.url, 'http://x');
      if (!url.pathname.startsWith('/rp/api/')) return false;
      const cookieNonce = /(?:^|;\s*)rp_nonce=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1];
      const send = (status, body, headers = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
        res.end(JSON.stringify(body));
        return true;
      };

      if (url.pathname === '/rp/api/qr' && req.method === 'POST') {
        const kind = url.searchParams.get('kind') === 'enrol' ? 'enrol' : 'login';
        const nonce = randomBytes(16).toString('base64url');
        const query = new URLSearchParams();
        if (kind === 'enrol') {
          const user = (url.searchParams.get('userid') ?? '').trim().slice(0, 64) || 'demo-user';
          query.set('userid', user);
          query.set('name', `${user} @ Tapgate Demo Bank`);
        } else {
          query.set('usercontext', JSON.stringify({
            announceinfo: { info: { origin: `http://${req.headers.host}`, action: 'Sign in to Tapgate Demo Bank' } },
            sessioninfo: { info: { welcome: 'You are signed in.' } },
          }));
        }
        try {
          const qr = await newQr(kind, nonce, query);
          return send(200, { kind, ...qr }, { 'set-cookie': `rp_nonce=${nonce}; Path=/; HttpOnly; SameSite=Strict` });
        } catch (err) {
          return send(502, { error: String(err.message ?? err) });
        }
      }

      if (url.pathname === '/rp/api/status' && req.method === 'GET') {
        if (!cookieNonce) return send(200, { loggedin: false });
        const status = await (await call('/sessions/', cookieNonce)).json();
        return send(200, { loggedin: status.loggedin, userid: status.userid, accountid: status.accountid, scanned: status.scanned, cancelled: status.cancelled });
      }

      return send(404, { error: 'not found' });
    },
  };
}
