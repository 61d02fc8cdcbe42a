// The extension's popup: the same SDK, WASM core and session pane as the PWA, in an MV3 extension
// page. It reads the login QR from the tab the user is looking at (chrome.tabs.captureVisibleTab)
// or from an uploaded image, and shows the accounts and the sessions waiting for the user.
import { Authenticator } from './sdk/esm/index.js';
import { SessionView } from './session-view.js';

const $ = (id) => document.getElementById(id);
const auth = await Authenticator.create({ storage: 'tapgate-extension' });

const item = (text) => Object.assign(document.createElement('li'), { textContent: text });
function renderLists() {
  $('accounts').replaceChildren(...auth.accounts.map((a) => item(`${a.userId ?? a.name} — ${a.serverName}`)));
  const pending = auth.sessions.filter((s) => s.state === 'STARTING' || s.state === 'USER_INTERACTION');
  $('pending').replaceChildren(...pending.map((s) => item(`${s.isRegistration ? 'enrol' : 'login'} at ${s.serverName || 'server'}: ${s.pseudoState}`)));
}

const view = new SessionView({ onChange: renderLists });
const report = (err) => view.report(err);

async function startFromImage(image) {
  $('scan-error').textContent = '';
  const bytes = await auth.scanQr(image);
  if (!bytes) throw new Error('no QR code found');
  try {
    view.attach(await auth.startSession(bytes));
  } catch (err) {
    if (err.session) view.attach(err.session);
    throw err;
  }
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
renderLists();
document.body.dataset.ready = 'true';
