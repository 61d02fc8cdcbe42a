// A keep-alive HTTP/1.1 client on node:http for the load clients: one Agent per origin, sockets
// reused across requests, bodies read into one Buffer. It stays this small on purpose: every
// microsecond here is client CPU that the shared machine takes from the server being measured.
import http from 'node:http';

export class HttpFailure extends Error {
  constructor(message, cause) {
    super(message, { cause });
    this.code = 'NETWORK_ERROR';
  }
}

/** `request(method, path, headers, body?)` → {status, body: Buffer} against `origin` (http: only). */
export function httpClient(origin, maxSockets) {
  const u = new URL(origin);
  if (u.protocol !== 'http:') throw new Error(`the load client speaks http: only, not ${u.protocol}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 80);
  const request = (method, path, headers, body) =>
    new Promise((resolve, reject) => {
      const req = http.request({ agent, host, port, method, path, headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }));
        res.on('error', (err) => reject(new HttpFailure(`${method} ${path}: ${err.message}`, err)));
      });
      req.on('error', (err) => reject(new HttpFailure(`${method} ${path}: ${err.message}`, err)));
      req.end(body);
    });
  return { request, close: () => agent.destroy() };
}
