// The extension's popup: the same SDK and WASM core as the PWA, in an MV3 extension page. It reads
// the login QR from the tab the user is looking at (chrome.tabs.captureVisibleTab) or from an
// uploaded image, and shows the accounts and the sessions waiting for the user.
import { Authenticator } from './sdk/esm/index.js';
import { PinPad } from './pin-pad.js';

const $ = (id) => document.getElementById(id);
const show = (id, on) => $(id).classList.toggle('hidden', !on);
const auth = await Authenticator.create({ storage: 'tapgate-extension' });
let current;

const pinPad = new PinPad($('pin-pad'), {
  onSubmit: async (pin) => {
    pinPad.disabled = true;
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

const item = (text) => Object.assign(document.createElement('li'), { textContent: text });
function renderLists() {
  $('accounts').replaceChildren(...auth.accounts.map((a) => item(`${a.userId ?? a.name} — ${a.serverName}`)));
  const pending = auth.sessions.filter((s) => s.state === 'STARTING' || s.state === 'USER_INTERACTION');
  $('pending').replaceChildren(...pending.map((s) => item(`${s.isRegistration ? 'enrol' : 'login'} at ${s.serverName || 'server'}: ${s.pseudoState}`)));
}

function report(err) {
  $('scan-error').textContent = `${err.message}${err.code ? ` (${err.code})` : ''}`;
}

function attach(session) {
  current = session;
  show('session', true);
  for (const id of ['confirm-enrol', 'confirm-login', 'pin-section']) show(id, false);
  $('outcome').textContent = '';
  $('pin-result').textContent = '';
  const render = () => {
    $('state').textContent = `${session.state}${session.pseudoState !== 'NONE' ? ` / ${session.pseudoState}` : ''}`;
    renderLists();
  };
  render();
  session.addEventListener('statechange', render);
  session.addEventListener('confirmenrol', (e) => {
    $('enrol-server').textContent = e.detail.server.name;
    $('vash').textContent = e.detail.visualHash;
    show('confirm-enrol', true);
  });
  session.addEventListener('confirmlogin', (e) => {
    $('login-origin').textContent = session.announceInfo?.info?.origin ?? session.serverName;
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
    if (!e.detail.result) {
      const where = session.announceInfo?.info?.origin ? ` for ${session.announceInfo.info.origin}` : '';
      $('pin-prompt').textContent = e.detail.context === 'FIRST_SET' ? 'Choose a PIN (4 or more digits)' : `Enter your PIN${where}`;
      pinPad.reset();
      show('pin-section', true);
    } else if (e.detail.result === 'PIN_FAIL') {
      $('pin-result').textContent = `Wrong PIN — ${e.detail.attemptsLeft} left`;
    }
  });
  session.addEventListener('stop', () => {
    for (const id of ['pin-section', 'confirm-enrol', 'confirm-login']) show(id, false);
    const ok = session.historyStatus.startsWith('LOGGED_IN');
    $('outcome').textContent = ok ? (session.isRegistration ? 'Enrolled and logged in.' : 'Logged in.')
      : session.error ? `Error: ${session.error.message} (${session.error.code})` : `Ended: ${session.historyStatus}`;
    $('outcome').className = `status ${ok ? 'ok' : 'bad'}`;
    session.finished.then(renderLists);
  });
}

async function startFromImage(image) {
  $('scan-error').textContent = '';
  const bytes = await auth.scanQr(image);
  if (!bytes) throw new Error('no QR code found');
  try {
    attach(await auth.startSession(bytes));
  } catch (err) {
    if (err.session) attach(err.session);
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
$('accept-enrol').addEventListener('click', () => current.setAccount().catch(report));
for (const b of document.querySelectorAll('[data-stop]')) b.addEventListener('click', () => current.stopSession().catch(report));
renderLists();
document.body.dataset.ready = 'true';
