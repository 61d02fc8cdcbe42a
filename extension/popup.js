// The extension's popup: the same session pane as the PWA, showing the sessions the background
// worker (worker.js) holds and sending it the user's answers, so a session outlives the popup. It
// reads the login QR from the tab the user is looking at (chrome.tabs.captureVisibleTab) or from
// an uploaded image, and hands the bytes to the worker.
import { WebAuthnPrfBiometricProvider, scanQr } from './sdk/esm/index.js';
import { SessionView } from './session-view.js';
import { WorkerConnection } from './remote-session.js';

const $ = (id) => document.getElementById(id);
const item = (text) => Object.assign(document.createElement('li'), { textContent: text });
function renderLists() {
  $('accounts').replaceChildren(...worker.accounts.map((a) => item(`${a.userId ?? a.name} — ${a.serverName}`)));
  const pending = [...worker.sessions.values()].filter((s) => s.state === 'STARTING' || s.state === 'USER_INTERACTION');
  $('pending').replaceChildren(...pending.map((s) => item(`${s.isRegistration ? 'enrol' : 'login'} at ${s.serverName || 'server'}: ${s.pseudoState}`)));
}

const view = new SessionView({ onChange: renderLists });
const report = (err) => view.report(err);
const worker = new WorkerConnection({
  onSession: (remote) => {
    view.attach(remote);
    remote.replayPrompt();
  },
  onState: () => {
    renderLists();
    document.body.dataset.biometric = String(worker.biometric);
    document.body.dataset.ready = 'true';
  },
  // The worker was stopped (its sessions with it): start over with the one that takes its place.
  onDisconnect: () => location.reload(),
  onBiometricRequest: biometricSecret,
});

// The platform biometric (WebAuthn PRF, credential id in this extension's localStorage), where
// this browser has one: the worker offers it to sessions, and asks this page for its secret.
const prf = new WebAuthnPrfBiometricProvider();
prf.isAvailable().then((available) => worker.offerBiometric(available));
async function biometricSecret(purpose) {
  try {
    const secret = await prf.secret(purpose);
    if (!secret) return null;
    const bytes = Array.from(secret);
    secret.fill(0);
    return bytes;
  } catch (err) {
    report(err);
    return null;
  }
}

async function startFromImage(image) {
  $('scan-error').textContent = '';
  const bytes = await scanQr(image);
  if (!bytes) throw new Error('no QR code found');
  await worker.startSession(bytes);
}

// The page the user is looking at: the active tab of the last focused browser window. When this
// popup is opened as a tab of its own (tests, "open in tab"), that tab is skipped.
async function visibleTabPicture() {
  const own = await chrome.tabs.getCurrent();
  const windows = await chrome.windows.getAll({ windowTypes: ['normal'], populate: true });
  const candidates = windows
    .map((w) => ({ w, tab: w.tabs.find((t) => t.active) }))
    .filter(({ tab }) => tab && tab.id !== own?.id)
    .sort((a, b) => Number(b.w.focused) - Number(a.w.focused));
  if (!candidates.length) throw new Error('no tab to read');
  const dataUrl = await chrome.tabs.captureVisibleTab(candidates[0].w.id, { format: 'png' });
  return (await fetch(dataUrl)).blob();
}

$('capture').addEventListener('click', () => visibleTabPicture().then(startFromImage).catch(report));
$('qr-file').addEventListener('change', (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (file) startFromImage(file).catch(report);
});
