// Reads one HTTP/1.1 response from a byte stream (RFC 9112), for the Node transport. It reads only
// answers to its own requests, one at a time on a connection, so it is strict: whatever a server
// it talks to would not send (obsolete line folding, a body framed two ways, a 101, bytes after the
// answer) fails the request instead of being guessed at. The core still verifies every answer.
// No regular expression here can backtrack on a server's bytes: each one is linear.

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

/** All heads of one answer (interim 1xx ones included), and its trailer: far above any real answer. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size line or a trailer line. */
const MAX_LINE_BYTES = 4096;

// status-line = HTTP-version SP status-code SP [ reason-phrase ]; the reason's SP is often left out.
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-5]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// A field value: VCHAR, obs-text, SP and HTAB; no CR, LF, NUL or other controls.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// chunk-size [ BWS ";" chunk-ext ]: BWS only before an extension, never a bare trailing one.
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,15})(?:[\t ]*;[\t\x20-\x7e\x80-\xff]*)?$/;
const CONTENT_LENGTH = /^\d{1,15}$/;
const HEAD_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

type Phase =
  | { kind: 'head' }
  | { kind: 'length'; left: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; left: number }
  | { kind: 'chunk-end' }
  | { kind: 'trailers' }
  | { kind: 'until-close' }
  | { kind: 'done' };

/** `name: value` → [lower-case name, value without surrounding SP/HTAB], or an error. */
function parseField(line: string): [string, string] {
  const colon = line.indexOf(':');
  // A name must be a token right up to the colon: this also refuses obsolete line folding (a
  // line that starts with SP or HTAB) and whitespace before the colon (RFC 9112, 5.1).
  if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) throw new HttpResponseError('malformed header field');
  let start = colon + 1;
  let end = line.length;
  while (start < end && (line.charCodeAt(start) === 0x20 || line.charCodeAt(start) === 0x09)) start++;
  while (end > start && (line.charCodeAt(end - 1) === 0x20 || line.charCodeAt(end - 1) === 0x09)) end--;
  const value = line.slice(start, end);
  if (!FIELD_VALUE.test(value)) throw new HttpResponseError('malformed header field value');
  return [line.slice(0, colon).toLowerCase(), value];
}

/** The comma-separated list elements of a field's lines, lower-cased; empty elements kept. */
function listOf(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((t) => t.trim().toLowerCase());
}

export class Http1ResponseParser {
  #phase: Phase = { kind: 'head' };
  // Bytes of a head or line not complete yet: the first #held bytes of #store, which grows by
  // doubling, so a server sending its head a byte at a time costs linear time, not quadratic.
  #store: Buffer = EMPTY;
  #held = 0;
  #headBytes = 0;  // of the heads already read (interim answers) and of the trailer
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
    let data = chunk;
    // The held bytes were searched already, all but the last 3 (they may begin a CRLFCRLF).
    let from = Math.max(0, this.#held - 3);
    if (this.#held) {
      const size = this.#held + chunk.length;
      if (size > this.#store.length) {
        const grown = Buffer.allocUnsafe(Math.max(size, 2 * this.#store.length));
        this.#store.copy(grown, 0, 0, this.#held);
        this.#store = grown;
      }
      chunk.copy(this.#store, this.#held);
      data = this.#store.subarray(0, size);
      this.#held = 0;
    }
    while (data.length) {
      const phase = this.#phase;
      switch (phase.kind) {
        case 'head': {
          const end = data.indexOf(HEAD_END, from);
          from = 0;
          if (end < 0) {
            if (this.#headBytes + data.length > MAX_HEAD_BYTES) throw new HttpResponseError('the answer\'s header is too large');
            return this.#hold(data);
          }
          this.#headBytes += end + 4;
          if (this.#headBytes > MAX_HEAD_BYTES) throw new HttpResponseError('the answer\'s header is too large');
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
          const line = this.#line(data, from);
          from = 0;
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
          // Exactly CRLF after the data: anything else means the chunk was longer than its size.
          if (data.length < 2) {
            if (data[0] !== 0x0d) throw new HttpResponseError('a chunk is longer than its size');
            return this.#hold(data);
          }
          if (data[0] !== 0x0d || data[1] !== 0x0a) throw new HttpResponseError('a chunk is longer than its size');
          this.#phase = { kind: 'chunk-size' };
          data = data.subarray(2);
          break;
        }
        case 'trailers': {
          const line = this.#line(data, from);
          from = 0;
          if (!line) return null;
          this.#headBytes += line.text.length + 2;
          if (this.#headBytes > MAX_HEAD_BYTES) throw new HttpResponseError('the answer\'s trailer is too large');
          if (line.text === '') this.#phase = { kind: 'done' };
          else parseField(line.text);  // checked, not used: nothing here reads trailer fields
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
      const [name, value] = parseField(lines[i]);
      const list = fields.get(name);
      if (list) list.push(value);
      else fields.set(name, [value]);
    }
    if (code < 200) {
      // 100 Continue and other interim answers precede the real one; a 101 switch is never asked for.
      if (code === 101) throw new HttpResponseError('unexpected protocol switch');
      return;
    }
    this.#status = code;
    const http11 = status[1] === '1';
    const connection = listOf(fields.get('connection') ?? []);
    this.#keepAlive = http11 ? !connection.includes('close') : connection.includes('keep-alive');
    const coding = fields.get('transfer-encoding');
    const lengths = fields.get('content-length');
    if (this.noBody || code === 204 || code === 304) {
      this.#phase = { kind: 'done' };
    } else if (coding) {
      // A body framed two ways is how responses are smuggled; only plain chunked is ever sent
      // here, and an HTTP/1.0 answer with a coding went through something that did not decode it
      // (RFC 9112, 6.1: its framing is faulty).
      if (lengths) throw new HttpResponseError('both Transfer-Encoding and Content-Length');
      if (!http11) throw new HttpResponseError('Transfer-Encoding in an HTTP/1.0 answer');
      const list = listOf(coding);
      if (list.length !== 1 || list[0] !== 'chunked') throw new HttpResponseError(`unsupported transfer coding ${coding.join(', ')}`);
      this.#phase = { kind: 'chunk-size' };
    } else if (lengths) {
      // Repeats of one value are allowed (RFC 9110, 8.6); an empty or differing one is not.
      const list = listOf(lengths);
      if (!list.every((l) => CONTENT_LENGTH.test(l) && l === list[0])) throw new HttpResponseError('malformed Content-Length');
      const length = Number(list[0]);
      if (length > this.maxBodyBytes) throw this.#tooLarge();
      this.#phase = length === 0 ? { kind: 'done' } : { kind: 'length', left: length };
    } else {
      this.#keepAlive = false;
      this.#phase = { kind: 'until-close' };
    }
  }

  /** A CRLF-terminated line at the start of `data`, or null (the bytes wait for more). */
  #line(data: Buffer, from: number): { text: string; rest: Buffer } | null {
    const end = data.indexOf('\r\n', from);
    if (end < 0) {
      if (data.length > MAX_LINE_BYTES) throw new HttpResponseError('a chunk or trailer line is too long');
      return this.#hold(data);
    }
    if (end > MAX_LINE_BYTES) throw new HttpResponseError('a chunk or trailer line is too long');
    return { text: data.toString('latin1', 0, end), rest: data.subarray(end + 2) };
  }

  /** Keeps the unfinished `data` for the next feed; returns null for the caller to return. */
  #hold(data: Buffer): null {
    // Still the whole store (nothing of it was consumed): it just goes on growing. Otherwise a
    // fresh store: the body may hold views of the old one's bytes, which must not be overwritten.
    const whole = data.buffer === this.#store.buffer && data.byteOffset === this.#store.byteOffset;
    if (!whole) {
      this.#store = Buffer.allocUnsafeSlow(Math.max(256, 2 * data.length));
      data.copy(this.#store);
    }
    this.#held = data.length;
    return null;
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
