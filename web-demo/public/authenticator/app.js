// Browser authenticator (a PWA) on the Tapgate SDK: scan with the camera, upload or deep-link,
// confirm, PIN pad, done. All decisions are the WASM core's; this page only renders its events.
import { Authenticator, FallbackStorage, IndexedDbStorage, WebAuthnPrfBiometricProvider, scanQrFromCamera } from '/sdk/esm/index.js';
import { takeDeepLink } from './deep-link.js';
import { SessionView } from './session-view.js';
import { connectPush } from './push.js';

const $ = (id) => document.getElementById(id);
const show = (id, on) => $(id).classList.toggle('hidden', !on);
// IndexedDB when the browser lets this site keep data; otherwise memory, and the user is told.
const storage = new FallbackStorage(new IndexedDbStorage('tapgate-demo'));
storage.addEventListener('fallback', (e) => {
  $('storage-warning').textContent = `This browser does not let the app keep data (${e.detail.error.code}): accounts last only until the page closes.`;
  show('storage-warning', true);
});
// The platform biometric (WebAuthn PRF), where this browser has one; otherwise PIN only.
const prf = new WebAuthnPrfBiometricProvider();
const biometric = (await prf.isAvailable()) ? prf : undefined;
const auth = await Authenticator.create({ storage, biometric });
window.tapgate = auth;  // handy in the console
let cameraScan;  // AbortController of the running camera scan

function renderLists() {
  $('accounts').replaceChildren(...auth.accounts.map((a) => Object.assign(document.createElement('li'), { textContent: `${a.userId ?? a.name} — ${a.serverName} (account #${a.accountId})` })));
  $('history').replaceChildren(...auth.history.slice().reverse().map((h) =>
    Object.assign(document.createElement('li'), { textContent: `${new Date(h.ended || h.started).toLocaleTimeString()} ${h.kind} ${h.historyStatus}${h.account ? ` as ${h.account.name}` : ''}` })));
}

const view = new SessionView({ onChange: renderLists });
const report = (err) => view.report(err);
const attach = (session) => view.attach(session);

async function start(data) {
  $('scan-error').textContent = '';
  try {
    attach(await auth.startSession(data));
  } catch (err) {
    if (err.session) attach(err.session);
    report(err);
  }
}

async function scanWithCamera() {
  $('scan-error').textContent = '';
  cameraScan?.abort();
  const controller = (cameraScan = new AbortController());
  show('camera', true);
  show('scan-stop', true);
  $('scan-camera').disabled = true;
  try {
    const bytes = await scanQrFromCamera(auth, { video: $('camera'), signal: controller.signal });
    await start(bytes);
  } catch (err) {
    if (!controller.signal.aborted) report(err);
  } finally {
    show('camera', false);
    show('scan-stop', false);
    $('scan-camera').disabled = false;
  }
}

$('scan-camera').addEventListener('click', scanWithCamera);
$('scan-stop').addEventListener('click', () => cameraScan?.abort());
$('qr-file').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  const bytes = await auth.scanQr(file).catch((err) => (report(err), undefined));
  e.target.value = '';
  if (bytes === null) report(new Error('no QR code found in that image'));
  else if (bytes) await start(bytes);
});
$('start-link').addEventListener('click', () => start($('link').value));
window.addEventListener('hashchange', () => {
  const link = takeDeepLink(location, history);
  if (link) start(link);
});

// Push logins (and sessions from any other source) appear here; logouts end sessions by themselves.
auth.addEventListener('session', (e) => attach(e.detail.session));
auth.addEventListener('accountupdate', renderLists);
auth.addEventListener('accountdeleted', renderLists);
connectPush(auth, (text) => ($('push-status').textContent = text)).then((handle) => {
  window.tapgatePush = handle;  // handy in the console
  if (handle.enableWebPush && document.body.dataset.push !== 'webpush') {
    show('enable-web-push', true);
    $('enable-web-push').onclick = () => handle.enableWebPush().then(() => show('enable-web-push', document.body.dataset.push !== 'webpush'));
  }
});

renderLists();
takePushFromNotification();
const link = takeDeepLink(location, history);
if (link) start(link);
registerServiceWorker();
document.body.dataset.ready = 'true';

// A notification the service worker showed (no page was open) opens /authenticator/?push=<payload>.
function takePushFromNotification() {
  const url = new URL(location.href);
  const payload = url.searchParams.get('push');
  if (!payload) return;
  url.searchParams.delete('push');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
  auth.processPush(payload).catch(report);
}

// The offline shell: the service worker keeps what this page loaded (HTML, SDK modules, the core's
// wasm) so the app starts without a network. Pages loaded before it took control tell it their URLs.
async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register('./sw.js');
    const registration = await navigator.serviceWorker.ready;
    const urls = [location.href, ...performance.getEntriesByType('resource').map((e) => e.name)];
    const channel = new MessageChannel();
    const stored = new Promise((resolve) => (channel.port1.onmessage = resolve));
    registration.active.postMessage({ type: 'cache', urls }, [channel.port2]);
    await stored;
    document.body.dataset.offlineReady = 'true';
  } catch (err) {
    console.warn('offline shell unavailable:', err);
  }
}
