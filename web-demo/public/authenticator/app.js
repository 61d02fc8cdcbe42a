// Browser authenticator (a PWA) on the Tapgate SDK: scan with the camera, upload or deep-link,
// confirm, PIN pad, done. All decisions are the WASM core's; this page only renders its events.
import { Authenticator, FallbackStorage, IndexedDbStorage, scanQrFromCamera } from '/sdk/esm/index.js';
import { takeDeepLink } from './deep-link.js';
import { PinPad } from './pin-pad.js';
import { connectPush } from './push.js';

const $ = (id) => document.getElementById(id);
const show = (id, on) => $(id).classList.toggle('hidden', !on);
// IndexedDB when the browser lets this site keep data; otherwise memory, and the user is told.
const storage = new FallbackStorage(new IndexedDbStorage('tapgate-demo'));
storage.addEventListener('fallback', (e) => {
  $('storage-warning').textContent = `This browser does not let the app keep data (${e.detail.error.code}): accounts last only until the page closes.`;
  show('storage-warning', true);
});
const auth = await Authenticator.create({ storage });
window.tapgate = auth;  // handy in the console
let current;
let cameraScan;  // AbortController of the running camera scan

const pinPad = new PinPad($('pin-pad'), {
  onSubmit: async (pin) => {
    pinPad.disabled = true;
    $('pin-result').textContent = '';
    try {
      await current.setPinBiometric({ pin });
    } catch (err) {
      report(err);
    } finally {
      pinPad.disabled = false;
    }
  },
  onCancel: () => current?.inputCancel().catch(report),
});

function renderLists() {
  $('accounts').replaceChildren(...auth.accounts.map((a) => Object.assign(document.createElement('li'), { textContent: `${a.userId ?? a.name} — ${a.serverName} (account #${a.accountId})` })));
  $('history').replaceChildren(...auth.history.slice().reverse().map((h) =>
    Object.assign(document.createElement('li'), { textContent: `${new Date(h.ended || h.started).toLocaleTimeString()} ${h.kind} ${h.historyStatus}${h.account ? ` as ${h.account.name}` : ''}` })));
}

const attached = new WeakSet();

// Every session gets listeners once (a scan and the Authenticator's `session` event both name it);
// the session pane shows the latest, and any session's end updates the lists.
function attach(session) {
  if (attached.has(session)) return;
  attached.add(session);
  current = session;
  show('session', true);
  for (const id of ['confirm-enrol', 'confirm-login', 'pin-section']) show(id, false);
  $('outcome').textContent = '';
  $('pin-result').textContent = '';
  const renderState = () => {
    if (session === current) $('state').textContent = `${session.state}${session.pseudoState !== 'NONE' ? ` / ${session.pseudoState}` : ''}`;
    if (session.state === 'ACTIVE') {
      renderOutcome(session);
      renderLists();  // the history shows the login while it lasts
    }
  };
  renderState();
  session.addEventListener('statechange', renderState);
  session.addEventListener('confirmenrol', (e) => {
    $('enrol-server').textContent = e.detail.server.name;
    $('enrol-user').textContent = e.detail.name || e.detail.userId || 'a new account';
    $('vash').textContent = e.detail.visualHash;
    show('confirm-enrol', true);
  });
  session.addEventListener('confirmlogin', (e) => {
    $('login-origin').textContent = session.announceInfo?.info?.origin ?? session.serverName;
    const tx = e.detail.transaction;
    $('tx-details').textContent = tx ? `Sign: ${tx.amount} to ${tx.beneficiary} — ${tx.description}` : '';
    show('tx-details', !!tx);
    $('candidates').replaceChildren(...e.detail.accounts.map((a) => {
      const b = Object.assign(document.createElement('button'), { textContent: a.name });
      b.onclick = () => session.setAccount(a).catch(report);
      return b;
    }));
    show('confirm-login', true);
  });
  session.addEventListener('secondfactor', (e) => {
    show('confirm-enrol', false);
    show('confirm-login', false);
    const d = e.detail;
    if (!d.result) {
      const where = session.announceInfo?.info?.origin ? ` for ${session.announceInfo.info.origin}` : '';
      const tx = session.transaction;
      $('pin-prompt').textContent = d.context === 'FIRST_SET' ? 'Choose a PIN for this app (4 or more digits)'
        : tx ? `Enter your PIN to sign ${tx.amount} to ${tx.beneficiary} (${tx.description})${where}` : `Enter your PIN${where}`;
      pinPad.reset();
      show('pin-section', true);
    } else if (d.result === 'PIN_FAIL') {
      $('pin-result').textContent = `Wrong PIN — ${d.attemptsLeft} attempt${d.attemptsLeft === 1 ? '' : 's'} left`;
      pinPad.reset();
    }
  });
  session.addEventListener('stop', () => {
    session.finished.then(renderLists, (err) => { report(err); renderLists(); });  // rejects when saving failed
    renderOutcome(session);
  });
}

// A one-shot login ends (DONE) once logged in; a continuous one stays ACTIVE until a logout.
function renderOutcome(session) {
  if (session !== current) return;
  for (const id of ['pin-section', 'confirm-enrol', 'confirm-login']) show(id, false);
  const ok = session.state === 'ACTIVE' || session.historyStatus.startsWith('LOGGED_IN');
  $('outcome').textContent = ok ? (session.isRegistration ? 'Enrolled and logged in.' : 'Logged in.')
    : session.error ? `Error: ${session.error.message} (${session.error.code})` : `Ended: ${session.historyStatus}`;
  $('outcome').className = `status ${ok ? 'ok' : 'bad'}`;
}

function report(err) {
  $('scan-error').textContent = `${err.message}${err.code ? ` (${err.code}${err.numericCode ? ` ${err.numericCode}` : ''})` : ''}`;
}

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
$('accept-enrol').addEventListener('click', () => current.setAccount().catch(report));
for (const b of document.querySelectorAll('[data-stop]')) b.addEventListener('click', () => current.stopSession().catch(report));
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
