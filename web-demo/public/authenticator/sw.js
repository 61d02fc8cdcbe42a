// Service worker of the authenticator PWA: an offline shell. Static files (this app, the SDK, the
// core's wasm, the QR reader once used) are served network-first and kept in a cache, so the app
// still starts and scans offline; the Tapgate and relying-party APIs are never cached. It also
// receives Web Push messages and hands them to the app (push handlers at the end).
const CACHE = 'tapgate-authenticator-v1';
const SHELL = ['./', './app.js', './session-view.js', './pin-pad.js', './deep-link.js', './push.js', './manifest.webmanifest', './icon.svg', '/style.css'];
const STATIC_PREFIXES = ['/authenticator/', '/sdk/', '/vendor/', '/style.css'];

const isStatic = (url) => url.origin === self.location.origin && STATIC_PREFIXES.some((p) => url.pathname.startsWith(p));

// 'force-cache' takes what the page already downloaded from the HTTP cache: no second download.
const keep = async (urls) => {
  const cache = await caches.open(CACHE);
  const wanted = urls.map((u) => new URL(u, self.location.href)).filter(isStatic);
  await Promise.all(wanted.map(async (url) => {
    const res = await fetch(url, { cache: 'force-cache' });
    if (res.ok) await cache.put(url.href.split('#')[0], res);
  }));
};

self.addEventListener('install', (event) => {
  event.waitUntil(keep(SHELL).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

// The page lists what it loaded before this worker controlled it (its SDK modules and wasm).
self.addEventListener('message', (event) => {
  if (event.data?.type !== 'cache') return;
  event.waitUntil(keep(event.data.urls).then(() => event.ports[0]?.postMessage('stored'), (err) => event.ports[0]?.postMessage(`failed: ${err}`)));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || !isStatic(url)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const res = await fetch(event.request);
      if (res.ok) await cache.put(event.request, res.clone());
      return res;
    } catch (err) {
      // Offline: the cached copy; a deep link (?link=…) opens the cached shell.
      const cached = (await cache.match(event.request, { ignoreSearch: event.request.mode === 'navigate' }));
      if (cached) return cached;
      throw err;
    }
  })());
});

// Web Push: the data is { tapgate: '<sealed message>' }, which only the app (its WASM core and
// keys) can open. An open app gets it at once; otherwise a notification opens the app with it.
self.addEventListener('push', (event) => {
  let data;
  try {
    data = event.data?.json();
  } catch {
    return;
  }
  if (typeof data?.tapgate !== 'string') return;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const app = windows.find((w) => new URL(w.url).pathname.startsWith('/authenticator/'));
    if (app) {
      app.postMessage({ type: 'tapgate-push', data });
      return;
    }
    await self.registration.showNotification('Tapgate Authenticator', { body: 'A sign-in request is waiting.', tag: 'tapgate', data });
  })());
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const payload = event.notification.data?.tapgate;
  event.waitUntil(self.clients.openWindow(payload ? `./?push=${encodeURIComponent(payload)}` : './'));
});
