// A server-sent-events client for tests: reads a text/event-stream response with fetch and keeps
// every event; `next(name)` resolves with the data of the next unread event of that name.
'use strict';

async function openEventStream(url, headers = {}) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: controller.signal });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const events = [];
  const waiters = [];
  let read = 0;  // events before this index were handed out by next()
  let buffer = '';
  let ended = false;

  const settle = () => {
    for (const w of [...waiters]) {
      const i = events.findIndex((e, k) => k >= read && e.name === w.name);
      if (i < 0) continue;
      read = i + 1;
      waiters.splice(waiters.indexOf(w), 1);
      clearTimeout(w.timer);
      w.resolve(events[i].data);
    }
  };

  (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const lines = block.split('\n').filter((l) => !l.startsWith(':'));
          const name = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
          const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data) events.push({ name, data: JSON.parse(data) });
        }
        settle();
      }
    } catch {
      // aborted by close()
    }
    ended = true;
    for (const w of waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error(`stream ended before a '${w.name}' event`));
    }
  })();

  return {
    headers: res.headers,
    events,
    names: () => events.map((e) => e.name),
    get ended() {
      return ended;
    },
    next(name, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const w = { name, resolve, reject };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no '${name}' event within ${timeoutMs} ms; got ${events.map((e) => e.name).join(', ')}`));
        }, timeoutMs);
        waiters.push(w);
        settle();
      });
    },
    close: () => controller.abort(),
  };
}

module.exports = { openEventStream };
