// Push for the PWA: the server's local relay (/relay/v1/{token}), polled by the SDK's
// LocalPushRelay, so a push login or a logout reaches the app without a scan. The token is kept
// across reloads: the server stores it with each account at enrolment and on updatePushToken.
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

/**
 * Connects the relay, retrying while the server is unreachable; `report(text)` tells the user how
 * pushes arrive. Payloads the core rejects are reported, never thrown.
 */
export async function connectPush(auth, report, { intervalMs = 1000 } = {}) {
  const token = relayToken();
  for (;;) {
    try {
      const relay = await LocalPushRelay.connect(auth, { url: `${location.origin}/relay/v1`, token, intervalMs });
      relay.addEventListener('error', (e) => report(`a push was rejected: ${e.detail.error.code}`));
      // An enrolment that started before the token was stored must still learn it.
      auth.addEventListener('accountupdate', () => auth.updatePushToken(token).catch((err) => report(`token not registered: ${err.code}`)));
      report('through the server\'s relay (polled every second)');
      document.body.dataset.push = 'relay';
      return relay;
    } catch (err) {
      report(`not connected (${err.code ?? err.message}); retrying`);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}
