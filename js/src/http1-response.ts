// Reads one HTTP/1.1 response from a byte stream (RFC 9112), for the Node transport. It reads only
// answers to its own requests, one at a time on a connection, so it is strict: whatever a server
// it talks to would not send (obsolete line folding, a body framed two ways, a 101, bytes after the
// answer) fails the request instead of being guessed at. The core still verifies every answer.

/** A response the parser refuses; the transport reports it as a network fault. */
export class HttpResponseError extends Error {
  readonly code = 'BAD_HTTP_RESPONSE';
}

export interface HttpResponse {
  status: number;
  body: Buffer;
  /** The connection may carry the next request (HTTP/1.1, no `Connection: close`, self-delimited body). */
  keepAlive: boolean;
}

/** Head (status line and fields) and each chunk-size or trailer line: far above any real answer. */
export const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4096;

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const FIELD = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[\t ]*([\t\x20-\x7e\x80-\xff]*?)[\t ]*$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,15})[\t ]*(?:;[\t\x20-\x7e\x80-\xff]*)?$/;
const HEAD_END = Buffer.from('\r\n\r\n');

type Phase =
  | { kind: 'head' }
  | { kind: 'length'; left: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; left: number }
  | { kind: 'chunk-end' }
  | { kind: 'trailers' }
  | { kind: 'until-close' }
  | { kind: 'done' };

export class Http1ResponseParser {
  #phase: Phase = { kind: 'head' };
  #pending: Buffer = Buffer.alloc(0);  // bytes of a head or line not complete yet
  #trailerBytes = 0;
  #body: Buffer[] = [];
  #bodySize = 0;
  #status = 0;
  #keepAlive = false;
  #received = 0;

  /** `noBody`: the request was HEAD, so the answer has no body whatever its fields say. */
  constructor(private readonly maxBodyBytes: number, private readonly noBody = false) {}

  /** Bytes of the answer seen so far (0: the server closed or reset before answering at all). */
  get received(): number {
    return this.#received;
  }

  /** Feeds bytes; returns the response once it is complete. Throws HttpResponseError. */
  feed(chunk: Buffer): HttpResponse | null {
    this.#received += chunk.length;
    let data = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = Buffer.alloc(0);
    while (data.length) {
      const phase = this.#phase;
      switch (phase.kind) {
        case 'head': {
          const end = data.indexOf(HEAD_END);
          if (end < 0) {
            if (data.length > MAX_HEAD_BYTES) throw new HttpResponseError('the answer\'s header is too large');
            this.#pending = data;
            return null;
          }
          if (end > MAX_HEAD_BYTES) throw new HttpResponseError('the answer\'s header is too large');
          this.#head(data.toString('latin1', 0, end));
          data = data.subarray(end + 4);
          break;
        }
        case 'length': {
          const take = Math.min(phase.left, data.length);
          this.#append(data.subarray(0, take));
          phase.left -= take;
          data = data.subarray(take);
          if (phase.left === 0) this.#phase = { kind: 'done' };
          break;
        }
        case 'chunk-size': {
          const line = this.#line(data);
          if (!line) return null;
          const m = CHUNK_SIZE.exec(line.text);
          if (!m) throw new HttpResponseError('malformed chunk size');
          const size = parseInt(m[1], 16);
          if (this.#bodySize + size > this.maxBodyBytes) throw this.#tooLarge();
          this.#phase = size === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', left: size };
          data = line.rest;
          break;
        }
        case 'chunk-data': {
          const take = Math.min(phase.left, data.length);
          this.#append(data.subarray(0, take));
          phase.left -= take;
          data = data.subarray(take);
          if (phase.left === 0) this.#phase = { kind: 'chunk-end' };
          break;
        }
        case 'chunk-end': {
          const line = this.#line(data);
          if (!line) return null;
          if (line.text !== '') throw new HttpResponseError('a chunk is longer than its size');
          this.#phase = { kind: 'chunk-size' };
          data = line.rest;
          break;
        }
        case 'trailers': {
          const line = this.#line(data);
          if (!line) return null;
          this.#trailerBytes += line.text.length + 2;
          if (this.#trailerBytes > MAX_HEAD_BYTES) throw new HttpResponseError('the answer\'s trailer is too large');
          if (line.text === '') this.#phase = { kind: 'done' };
          else if (!FIELD.test(line.text)) throw new HttpResponseError('malformed trailer field');
          data = line.rest;
          break;
        }
        case 'until-close':
          this.#append(data);
          return null;
        case 'done':
          // Nothing was asked for: a server that sends more is not one to send the next request to.
          throw new HttpResponseError('bytes after the end of the answer');
      }
    }
    return this.#phase.kind === 'done' ? this.#result() : null;
  }

  /** The connection closed: the answer if it was framed by the close, else a truncation error. */
  end(): HttpResponse {
    if (this.#phase.kind === 'until-close') {
      this.#phase = { kind: 'done' };
      return this.#result();
    }
    if (this.#phase.kind === 'done') return this.#result();
    throw new HttpResponseError('the connection closed before the answer was complete');
  }

  #head(text: string): void {
    const lines = text.split('\r\n');
    const status = STATUS_LINE.exec(lines[0]);
    if (!status) throw new HttpResponseError('not an HTTP/1.1 status line');
    const code = Number(status[2]);
    const fields = new Map<string, string[]>();
    for (let i = 1; i < lines.length; i++) {
      const m = FIELD.exec(lines[i]);
      if (!m) throw new HttpResponseError('malformed header field');  // also obsolete line folding
      const name = m[1].toLowerCase();
      const list = fields.get(name);
      if (list) list.push(m[2]);
      else fields.set(name, [m[2]]);
    }
    if (code < 200) {
      // 100 Continue and other interim answers precede the real one; a 101 switch is never asked for.
      if (code === 101) throw new HttpResponseError('unexpected protocol switch');
      return;
    }
    this.#status = code;
    const tokens = (name: string) => (fields.get(name) ?? []).flatMap((v) => v.split(',')).map((t) => t.trim().toLowerCase()).filter(Boolean);
    const connection = tokens('connection');
    this.#keepAlive = status[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    const coding = tokens('transfer-encoding');
    const lengths = tokens('content-length');
    if (this.noBody || code === 204 || code === 304) {
      this.#phase = { kind: 'done' };
    } else if (coding.length) {
      // A body framed two ways is how responses are smuggled; only plain chunked is ever sent here.
      if (lengths.length) throw new HttpResponseError('both Transfer-Encoding and Content-Length');
      if (coding.length !== 1 || coding[0] !== 'chunked') throw new HttpResponseError(`unsupported transfer coding ${coding.join(', ')}`);
      this.#phase = { kind: 'chunk-size' };
    } else if (lengths.length) {
      if (!lengths.every((l) => /^\d{1,15}$/.test(l) && l === lengths[0])) throw new HttpResponseError('malformed Content-Length');
      const length = Number(lengths[0]);
      if (length > this.maxBodyBytes) throw this.#tooLarge();
      this.#phase = length === 0 ? { kind: 'done' } : { kind: 'length', left: length };
    } else {
      this.#keepAlive = false;
      this.#phase = { kind: 'until-close' };
    }
  }

  /** A CRLF-terminated line at the start of `data`, or null (the bytes wait for more). */
  #line(data: Buffer): { text: string; rest: Buffer } | null {
    const end = data.indexOf('\r\n');
    if (end < 0) {
      if (data.length > MAX_LINE_BYTES) throw new HttpResponseError('a chunk line is too long');
      this.#pending = data;
      return null;
    }
    if (end > MAX_LINE_BYTES) throw new HttpResponseError('a chunk line is too long');
    return { text: data.toString('latin1', 0, end), rest: data.subarray(end + 2) };
  }

  #append(bytes: Buffer): void {
    if (!bytes.length) return;
    this.#bodySize += bytes.length;
    if (this.#bodySize > this.maxBodyBytes) throw this.#tooLarge();
    this.#body.push(bytes);
  }

  #tooLarge(): HttpResponseError {
    return new HttpResponseError(`the answer is larger than ${this.maxBodyBytes} bytes`);
  }

  #result(): HttpResponse {
    const body = this.#body.length === 1 ? this.#body[0] : Buffer.concat(this.#body, this.#bodySize);
    return { status: this.#status, body, keepAlive: this.#keepAlive };
  }
}
