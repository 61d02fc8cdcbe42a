// The demo relying party's backend: it holds the API key and talks to Tapgate's REST API like any
// website would, through the typed client (@tapgate/server/client); the browser only sees its own
// small API (/rp/api/*) and a session cookie holding the relying-party session's nonce. Browsers'
// EventSource cannot send X-apikey, so this backend reads the server's status channel itself and
// passes the events on (/rp/api/events).
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const QRCode = require('qrcode');
const { verifyTransactionApproval } = require('@tapgate/server');
const { TapgateClient, TapgateApiError } = require('@tapgate/server/client');
const MAX_FIELD_CHARS = 200;
/** What the browser's stream gets between events, as the server's own stream has it. */
const KEEP_ALIVE_MS = 5_000;

class UpstreamError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function createRelyingParty({ apiBase, serverId, apiKey }) {
  const tapgate = new TapgateClient({ baseUrl: apiBase, apiKey });

  // A QR's raw payload becomes both the picture (byte-mode QR) and the deep link.
  async function qrOf(payload) {
    const picture = await QRCode.toDataURL([{ data: payload, mode: 'byte' }], { errorCorrectionLevel: 'M', width: 320, margin: 2 });
    return { image: picture, link: `tapgate:${payload.toString('base64url')}`, bytes: payload.length };
  }

  async function newQr(kind, nonce, query) {
    try {
      const payload = kind === 'enrol' ? await tapgate.getEnrolQr(serverId, nonce, query) : await tapgate.getLoginQr(serverId, nonce, query);
      return qrOf(Buffer.from(payload));
    } catch (err) {
      throw new UpstreamError(502, `QR request failed: ${err.status ? `HTTP ${err.status}` : err.kind}`);
    }
  }

  const loginContext = (host) => ({
    announceinfo: { info: { origin: `http://${host}`, action: 'Sign in to Tapgate Demo Bank' } },
    sessioninfo: { info: { welcome: 'You are signed in.' } },
  });

  // What this site asked for each transaction: the session (nonce) it was made on, the exact text,
  // and the account logged in there at that moment, whose key alone may approve it. The server's
  // word (its `pk`, its `signeddata`) is never what a signature is checked against.
  const asked = new Map();

  /** The transaction as the server keeps it, with the expected account's Ed25519 signature checked here. */
  async function transaction(tid, nonce) {
    const tx = await tapgate.getTransaction(serverId, tid);
    const mine = asked.get(tid);
    if (!mine || mine.nonce !== nonce) throw new UpstreamError(404, 'no such transaction on this session');
    const verified = !!tx.signature && tx.text === mine.text && await verifyTransactionApproval({
      serverId, nonce: mine.nonce, tid, text: mine.text, expectedPk: mine.pk, signature: tx.signature,
    });
    return { tid: tx.tid, tstatus: tx.tstatus, amount: tx.amount, beneficiary: tx.beneficiary, description: tx.description,
      accountid: tx.accountid, expectedaccountid: mine.accountid, signature: tx.signature, verified };
  }

  /**
   * Passes the server's events for `nonce` on to the browser until it goes away. The client's
   * iterator reconnects to the server by itself (each time with a fresh `status`), so the
   * browser's stream outlives a dropped upstream one.
   */
  async function relayEvents(req, res, nonce) {
    const server = await tapgate.getServer(serverId);
    const upstreamAbort = new AbortController();
    let keepAlive;
    res.on('close', () => {
      clearInterval(keepAlive);
      upstreamAbort.abort();
    });
    const events = tapgate.sessionEvents(serverId, nonce, { signal: upstreamAbort.signal });
    // The first connection's refusal (a wrong key, say) is still the browser's error answer.
    const first = await events.next().catch((err) => {
      throw new UpstreamError(502, `status channel: ${err.status ? `HTTP ${err.status}` : err.kind}`);
    });
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    const send = (name, data) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    res.write('retry: 2000\n\n');
    // First what the page needs to draw a login's end: continuous (ACTIVE) or one-shot (DONE).
    send('server', { serverName: server.serverName, pingTime: server.pingTime });
    keepAlive = setInterval(() => res.write(': alive\n\n'), KEEP_ALIVE_MS);
    const relay = (e) => (e.event === 'status' ? send('status', e.status) : send(e.event, e));
    try {
      if (!first.done) relay(first.value);
      for await (const e of events) relay(e);
    } catch {
      // a failure no reconnection mends: end the browser's stream; its EventSource opens a new one
    }
    clearInterval(keepAlive);
    res.end();
  }

  async function readJson(req) {
    let text = '';
    for await (const chunk of req) {
      text += chunk;
      if (text.length > 4096) throw new UpstreamError(413, 'body too large');
    }
    try {
      const j = JSON.parse(text || '{}');
      if (j && typeof j === 'object') return j;
    } catch {
      // answered below
    }
    throw new UpstreamError(400, 'body must be a JSON object');
  }

  return {
    async handle(req, res) {
      const url = new URL(req.url, 'http://x');
      if (!url.pathname.startsWith('/rp/api/')) return false;
      const route = `${req.method} ${url.pathname.slice('/rp/api/'.length)}`;
      const nonce = /(?:^|;\s*)rp_nonce=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1];
      const send = (status, body, headers = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
        res.end(JSON.stringify(body));
        return true;
      };
      const needNonce = () => {
        if (!nonce) throw new UpstreamError(409, 'no session yet: show an enrol or login QR first');
        return nonce;
      };

      try {
        switch (route) {
          case 'POST qr': {
            // A new QR starts a new relying-party session (a new nonce in the cookie).
            const kind = url.searchParams.get('kind') === 'enrol' ? 'enrol' : 'login';
            const fresh = randomBytes(16).toString('base64url');
            const user = (url.searchParams.get('userid') ?? '').trim().slice(0, 64) || 'demo-user';
            // Code matching: the device asks for the code this page shows (the server draws it).
            const codematch = kind === 'login' && url.searchParams.get('codematch') === 'true';
            const query = kind === 'enrol' ? { userid: user, name: `${user} @ Tapgate Demo Bank` } : { usercontext: loginContext(req.headers.host), codematch };
            const qr = await newQr(kind, fresh, query);
            const matchcode = codematch ? (await tapgate.getLoginStatus(serverId, fresh)).matchcode : null;
            // The enrol page shows the server key's fingerprint: the user checks the app shows the same.
            const vash = kind === 'enrol' ? (await tapgate.getServerVash(serverId)).vash : null;
            return send(200, { kind, ...qr, matchcode, vash }, { 'set-cookie': `rp_nonce=${fresh}; Path=/; HttpOnly; SameSite=Strict` });
          }
          case 'GET status': {
            if (!nonce) return send(200, { session: false, loggedin: false });
            const s = await tapgate.getLoginStatus(serverId, nonce);
            return send(200, { session: true, loggedin: s.loggedin, userid: s.userid, accountid: s.accountid, scanned: s.scanned, cancelled: s.cancelled, canprovoke: s.canprovoke, matchcode: s.matchcode });
          }
          case 'GET events':
            await relayEvents(req, res, needNonce());
            return true;
          case 'POST provoke': {
            // Push login: only to the account last logged in on this session (canprovoke).
            // codematch=true: number matching, the page shows `matchcode` (else the server's default).
            const codematch = url.searchParams.get('codematch') === 'true' || undefined;
            const { matchcode } = await tapgate.provokeLogin(serverId, needNonce(), { usercontext: loginContext(req.headers.host), codematch });
            return send(200, { result: true, matchcode });
          }
          case 'POST logout':
            await tapgate.logout(serverId, needNonce());
            return send(200, { result: true });
          case 'POST transaction': {
            const j = await readJson(req);
            const field = (k) => String(j[k] ?? '').trim().slice(0, MAX_FIELD_CHARS);
            const details = { amount: field('amount'), beneficiary: field('beneficiary'), description: field('description') };
            const status = await tapgate.getLoginStatus(serverId, needNonce());
            if (!status.loggedin || !status.pk) throw new UpstreamError(409, 'sign in first: a transaction is approved by the signed-in user');
            const created = await tapgate.createTransaction(serverId, needNonce(), details);
            asked.set(created.tid, { nonce, text: JSON.stringify(details), accountid: status.accountid, pk: status.pk });
            return send(200, { tid: created.tid, pushed: created.pushed, ...(await qrOf(Buffer.from(created.qrdata, 'base64url'))) });
          }
          case 'GET transaction':
            return send(200, await transaction(url.searchParams.get('tid') ?? '', needNonce()));
          default:
            return send(404, { error: 'not found' });
        }
      } catch (err) {
        if (res.headersSent) {
          res.end();
          return true;
        }
        // The server's refusals keep their status (a 409 stays a 409); no answer at all is a 502.
        const status = err instanceof UpstreamError ? err.status : err instanceof TapgateApiError ? (err.status ?? 502) : 502;
        return send(status, { error: String(err.message ?? err) });
      }
    },
  };
}
