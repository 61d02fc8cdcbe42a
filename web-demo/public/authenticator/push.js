// Push for the PWA. Web Push where the browser has it and the user allowed notifications: the
// service worker receives the push and hands the payload to this page (or opens it). Otherwise,
// and until then, the server's local relay (/relay/v1/{token}), polled by the SDK's
// LocalPushRelay while the page is open. The relay token is kept across reloads: the server
// stores a device's token with each account at enrolment and on updatePushToken.
import { LocalPushRelay } from '/sdk/esm/index.js';

const TOKEN_KEY = 'tapgate-demo-relay-token';
const RETRY_MS = 5_000;

function relayToken() {
  let token = localStorage.getItem(TOKEN_KEY);
  if (!token) {
    token = `relay-${Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
    localStorage.setItem(TOKEN_KEY, token);
  }
  return token;
}

const webPushAvailable = () => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

/** Subscribes through the service worker; the token is the subscription, as the server expects it. */
async function subscribeWebPush() {
  const { publicKey } = await (await fetch('/webpush/v1/vapid')).json();
  const registration = await navigator.serviceWorker.ready;
  const subscription = (await registration.pushManager.getSubscription())
    ?? (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey }));
  return `webpush:${JSON.stringify(subscription.toJSON())}`;
}

/**
 * Sets up push for `auth`; `report(text)` tells the user how pushes arrive. Returns a handle:
 * { relay, token, enableWebPush() } (enableWebPush asks for permission: call it from a click).
 */
export async function connectPush(auth, report, { intervalMs = 1000 } = {}) {
  const handle = { relay: null, token: null, enableWebPush: null };
  const useToken = async (token) => {
    handle.token = token;
    await auth.updatePushToken(token);
  };
  // An enrolment that started before the token was stored must still learn it.
  auth.addEventListener('accountupdate', () => handle.token && auth.updatePushToken(handle.token).catch((err) => report(`token not registered: ${err.code}`)));

  // Pushes the service worker received: for this page, or the one a notification opened.
  navigator.serviceWorker?.addEventListener('message', (e) => {
    if (e.data?.type === 'tapgate-push') auth.processPush(e.data.data).catch((err) => report(`a push was rejected: ${err.code}`));
  });
  navigator.serviceWorker?.startMessages();

  if (webPushAvailable()) {
    handle.enableWebPush = async () => {
      if ((await Notification.requestPermission()) !== 'granted') return report('through the server\'s relay (notifications not allowed)');
      try {
        await useToken(await subscribeWebPush());
        handle.relay?.close();
        handle.relay = null;
        report('through Web Push');
        document.body.dataset.push = 'webpush';
      } catch (err) {
        report(`through the server's relay (Web Push failed: ${err.message})`);
      }
    };
    if (Notification.permission === 'granted') {
      try {
        await useToken(await subscribeWebPush());
        report('through Web Push');
        document.body.dataset.push = 'webpush';
        return handle;
      } catch (err) {
        console.warn('Web Push unavailable, using the relay:', err);
      }
    }
  }

  for (;;) {
    try {
      const token = relayToken();
      handle.token = token;
      handle.relay = await LocalPushRelay.connect(auth, { url: `${location.origin}/relay/v1`, token, intervalMs });
      handle.relay.addEventListener('error', (e) => report(`a push was rejected: ${e.detail.error.code}`));
      report('through the server\'s relay (polled every second while this page is open)');
      document.body.dataset.push = 'relay';
      return handle;
    } catch (err) {
      report(`not connected (${err.code ?? err.message}); retrying`);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}
