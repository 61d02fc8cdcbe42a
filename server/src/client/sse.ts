// A parser of `text/event-stream` (the WHATWG HTML "server-sent events" interpretation): fed the
// decoded text as it arrives, it returns the events completed so far. EventSource cannot send
// X-apikey, so the client reads the stream with fetch and parses it here.

export interface SseEvent {
  /** `event:`; "message" when the event names none. */
  name: string;
  /** The `data:` lines joined by "\n". */
  data: string;
}

export class SseParser {
  /** The last `id:` seen (the stream's Last-Event-ID), or null. */
  lastEventId: string | null = null;
  /** The last valid `retry:` (reconnection delay in ms), or null. */
  retryMs: number | null = null;
  #pending = '';
  #name = '';
  #data: string[] = [];

  /** The events that `text` completes. */
  push(text: string): SseEvent[] {
    this.#pending += text;
    const events: SseEvent[] = [];
    // A line ends at CRLF, LF or CR; a CR at the very end may be the first half of a CRLF.
    for (;;) {
      const end = this.#pending.search(/\r\n|\n|\r(?=[^\n])/);
      if (end < 0) break;
      const line = this.#pending.slice(0, end);
      this.#pending = this.#pending.slice(end + (this.#pending.startsWith('\r\n', end) ? 2 : 1));
      const event = this.#line(line);
      if (event) events.push(event);
    }
    return events;
  }

  #line(line: string): SseEvent | null {
    if (line === '') {
      // A blank line dispatches the event, if it has data.
      const event = this.#data.length ? { name: this.#name || 'message', data: this.#data.join('\n') } : null;
      this.#name = '';
      this.#data = [];
      return event;
    }
    if (line.startsWith(':')) return null;  // a comment: the server's keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#name = value;
        break;
      case 'data':
        this.#data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
      // unknown fields are ignored
    }
    return null;
  }
}
