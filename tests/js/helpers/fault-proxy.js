// A real HTTP proxy between the authenticator and the reference server that injects transport
// faults into one chosen request: the server down (connection refused), 5xx answers, hangs
// (timeouts), TCP resets, slow answers, duplicated delivery and stale (reordered) delivery — each
// either before the request reaches the server or after the server has processed it.
//
// Start the server with TAPGATE_PUBLIC_URL = proxy.url so the enrol QR (and so every later request)
// names the proxy. Every answer carries `Connection: close`, so each request opens its own
// connection and a closed listener really refuses the next one.
'use strict';
const http = require('node:http');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ACTIONS = [
  'pass',
  'down', // the server is down: this request's connection is refused (needs proxy.downBefore)
  '5xx-before', // a gateway answers 503 without forwarding
  '5xx-after', // forwarded and processed; the gateway then answers 502
  'reset-before', // TCP reset before forwarding
  'reset-after', // forwarded and processed, then a TCP reset instead of the answer
  'hang-before', // never forwarded, never answered
  'hang-after', // forwarded and processed; the answer never comes
  'slow', // forwarded; the answer comes after rule.delayMs
  'duplicate-first', // delivered twice; the device gets the first answer
  'duplicate-second', // delivered twice; the device gets the second answer
  'stale-replay', // the device's previous request is delivered again (late), then this one
];

class FaultProxy {
  constructor() {
    this.target = null;
    this.sockets = new Set();
    this.held = new Set();
    this.reset(null);
  }

  /** rule: {path, nth = 1, action, delayMs} for the next session; null = pass everything. */
  reset(rule) {
    if (rule && !ACTIONS.includes(rule.action)) throw new Error(`unknown fault ${rule.action}`);
    this.rule = rule;
    this.seen = {};
    this.log = []; // one entry per request the device made: {path, n, action, forwarded, status}
    this.delivered = []; // every request the server received through the proxy, in order
    this.previous = null; // the device's last request (for stale replays)
    this.gate = null; // optional async (entry) => void, awaited before a request is handled
  }

  async start() {
    this.server = http.createServer((req, res) => this.#handle(req, res).catch(() => req.socket.destroy()));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = this.server.address().port;
    this.url = `http://127.0.0.1:${this.port}`;
    this.listening = true;
    return this;
  }

  /** The server goes down: new connections are refused (the port is closed). */
  async down() {
    if (!this.listening) return;
    this.listening = false;
    await new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  /** … and comes back on the same port. */
  async up() {
    if (this.listening) return;
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.listening = true;
  }

  /** Ends everything held open (hung requests) and stops. */
  async stop() {
    this.releaseHeld();
    await this.down();
  }

  releaseHeld() {
    for (const res of this.held) res.socket?.destroy();
    this.held.clear();
  }

  async #forward(path, body) {
    this.delivered.push({ path, body });
    const res = await fetch(`${this.target}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return { status: res.status, text: await res.text() };
  }

  #reply(res, { status, text, type = 'application/json; charset=utf-8' }) {
    if (res.destroyed) return;
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), Connection: 'close' });
    res.end(text);
  }

  async #handle(req, res) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = req.url;
    const short = path.replace(/^\/device/, '');
    const n = (this.seen[short] = (this.seen[short] ?? 0) + 1);
    const mine = this.rule && this.rule.path === short && (this.rule.nth ?? 1) === n;
    const action = mine ? this.rule.action : 'pass';
    const entry = { path: short, n, action, forwarded: 0, status: null, body };
    this.log.push(entry);
    const previous = this.previous;
    this.previous = { path, body };
    if (this.gate) await this.gate(entry);
    const forward = async () => {
      entry.forwarded += 1;
      return this.#forward(path, body);
    };

    switch (action) {
      case 'pass':
      case 'down': {
        const r = await forward();
        entry.status = r.status;
        this.#reply(res, r);
        if (mine && this.rule.downAfter) res.on('finish', () => this.down());
        return;
      }
      case '5xx-before':
        entry.status = 503;
        this.#reply(res, { status: 503, text: '<html><body>503 Service Unavailable</body></html>', type: 'text/html' });
        return;
      case '5xx-after':
        await forward();
        entry.status = 502;
        this.#reply(res, { status: 502, text: '<html><body>502 Bad Gateway</body></html>', type: 'text/html' });
        return;
      case 'reset-before':
        req.socket.resetAndDestroy();
        return;
      case 'reset-after':
        await forward();
        req.socket.resetAndDestroy();
        return;
      case 'hang-before':
        this.held.add(res);
        return;
      case 'hang-after':
        await forward();
        this.held.add(res);
        return;
      case 'slow': {
        const r = await forward();
        await sleep(this.rule.delayMs ?? 500);
        entry.status = r.status;
        this.#reply(res, r);
        return;
      }
      case 'duplicate-first':
      case 'duplicate-second': {
        const first = await forward();
        const second = await forward();
        const r = action === 'duplicate-first' ? first : second;
        entry.status = r.status;
        this.#reply(res, r);
        return;
      }
      case 'stale-replay': {
        if (!previous) throw new Error('stale-replay needs an earlier request');
        this.delivered.push({ path: previous.path, body: previous.body, stale: true });
        await fetch(`${this.target}${previous.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: previous.body });
        const r = await forward();
        entry.status = r.status;
        this.#reply(res, r);
        return;
      }
      default:
        throw new Error(action);
    }
  }
}

module.exports = { FaultProxy, ACTIONS };
