// A minimal HTTP/1.1 client over one keep-alive net.Socket, one request at a time: the load
// clients' transport. Each slot owns one connection per origin, so there is no pool to manage.
// It writes the request in one write and reads a response framed by Content-Length or chunked
// transfer coding; anything else (a closed socket, a malformed answer) fails the request with
// HttpFailure and the next request opens a fresh connection.
import net from 'node:net';

export class HttpFailure extends Error {
  constructor(message) {
    super(message);
    this.code = 'NETWORK_ERROR';
  }
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** Parses a complete response at the start of `buf`: {status, body, length} or null if incomplete. */
function parseResponse(buf) {
  const end = buf.indexOf(HEADER_END);
  if (end < 0) return null;
  const head = buf.toString('latin1', 0, end);
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (!m) throw new HttpFailure(`not an HTTP response: ${JSON.stringify(head.slice(0, 40))}`);
  const status = Number(m[1]);
  const start = end + 4;
  const cl = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
  const close = /\r\nconnection:[ \t]*close/i.test(head);
  if (cl) {
    const length = Number(cl[1]);
    if (buf.length < start + length) return null;
    return { status, body: buf.subarray(start, start + length), length: start + length, close };
  }
  if (/\r\ntransfer-encoding:[ \t]*chunked/i.test(head)) {
    const parts = [];
    let at = start;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at);
      if (lineEnd < 0) return null;
      const size = parseInt(buf.toString('latin1', at, lineEnd), 16);
      if (!Number.isFinite(size)) throw new HttpFailure('malformed chunk size');
      const dataStart = lineEnd + 2;
      if (buf.length < dataStart + size + 2) return null;
      if (size === 0) return { status, body: Buffer.concat(parts), length: dataStart + 2, close };
      parts.push(buf.subarray(dataStart, dataStart + size));
      at = dataStart + size + 2;
    }
  }
  if (status === 204 || status === 304) return { status, body: Buffer.alloc(0), length: start, close };
  throw new HttpFailure('response without Content-Length or chunked coding');
}

/** One connection to `origin` (http: only): `request(method, path, headers, body?)` → {status, body}. */
export function connection(origin) {
  const u = new URL(origin);
  if (u.protocol !== 'http:') throw new Error(`the load client speaks http: only, not ${u.protocol}`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 80);
  const hostHeader = `Host: ${u.host}\r\n`;
  let socket = null;
  let pending = null; // {resolve, reject}
  let buf = Buffer.alloc(0);

  const fail = (err) => {
    const p = pending;
    pending = null;
    socket?.destroy();
    socket = null;
    buf = Buffer.alloc(0);
    p?.reject(err instanceof HttpFailure ? err : new HttpFailure(err.message));
  };

  function open() {
    const s = net.connect({ host, port, noDelay: true });
    s.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (!pending) return;
      let r;
      try {
        r = parseResponse(buf);
      } catch (err) {
        fail(err);
        return;
      }
      if (!r) return;
      const p = pending;
      pending = null;
      buf = Buffer.alloc(0);
      if (r.close) {
        s.destroy();
        socket = null;
      }
      p.resolve({ status: r.status, body: r.body });
    });
    s.on('error', (err) => { if (socket === s) fail(err); });
    s.on('close', () => { if (socket === s) fail(new HttpFailure('connection closed')); });
    return s;
  }

  function request(method, path, headers, body) {
    if (pending) return Promise.reject(new Error('one request at a time per connection'));
    if (!socket || socket.destroyed) socket = open();
    let head = `${method} ${path} HTTP/1.1\r\n${hostHeader}`;
    for (const k in headers) head += `${k}: ${headers[k]}\r\n`;
    if (body) head += `Content-Length: ${body.length}\r\n`;
    head += '\r\n';
    return new Promise((resolve, reject) => {
      pending = { resolve, reject };
      socket.write(body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : head, 'latin1');
    });
  }

  return { request, close: () => { const s = socket; socket = null; s?.destroy(); } };
}
