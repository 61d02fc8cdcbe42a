// The Node entry's default transport: node:http / node:https over keep-alive agents. Node's global
// `fetch` (undici, web streams, a Request and a Response object per call) cost about as much CPU
// per login as the core itself (issue 13); a device talks to one or two servers, so a pooled
// connection and a string body are all it needs. `options.fetch` still replaces it.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { FetchLike } from './types.js';

/**
 * An answer is read whole before the core sees it; beyond this the request fails (a hostile
 * server's endless body). Far above anything the core accepts, so the core still judges every
 * oversized answer it can hold (a 20 MB server name is its BAD_RESPONSE, not a network error).
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 64 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
};

type Init = Parameters<FetchLike>[1];

/** One HTTP exchange; resolves with the status and the whole body as text. */
function exchange(url: URL, init: Init): Promise<{ status: number; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const body = Buffer.from(init.body ?? '', 'utf8');
    let req: ClientRequest;
    try {
      req = send(url, {
        method: init.method,
        agent: agents[url.protocol as keyof typeof agents],
        headers: { ...init.headers, 'content-length': String(body.length) },
        signal: init.signal,
      });
    } catch (err) {
      reject(err);
      return;
    }
    req.on('error', (err) => reject(Object.assign(err, { reused: req.reusedSocket })));
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          reject(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`));  // settles first: the errors destroy() causes come too late
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks, size).toString('utf8'), reused: req.reusedSocket }));
      res.on('aborted', () => reject(new Error('the connection closed before the answer was complete')));
    });
    req.end(body);  // headers and body leave in one write
  });
}

/**
 * A FetchLike over node:http(s). Only http: and https: URLs (the core validates every URL it
 * sends to). A request whose pooled connection the server had just closed (ECONNRESET/EPIPE on a
 * reused socket, before any answer) is sent once more on a fresh one, as browsers do: the server
 * closed an idle connection and never read it.
 */
export const nodeFetch: FetchLike = async (input, init) => {
  const url = new URL(input);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`unsupported protocol ${url.protocol}`);
  let answer;
  try {
    answer = await exchange(url, init);
  } catch (err) {
    const { code, reused } = err as NodeJS.ErrnoException & { reused?: boolean };
    if (!reused || (code !== 'ECONNRESET' && code !== 'EPIPE') || init.signal?.aborted) throw err;
    answer = await exchange(url, init);
  }
  const { status, body } = answer;
  return { status, text: async () => body };
};
