// Browser authenticator on the Tapgate SDK: scan or paste, confirm, PIN, done. All decisions are
// the WASM core's; this page only renders its events.
import { Authenticator } from '/sdk/esm/index.js';

const $ = (id) => document.getElementById(id);
const show = (id, on) => $(id).classList.toggle('hidden', !on);
const auth = await Authenticator.create({ storage: 'tapgate-demo' });
window.tapgate = auth;  // handy in the console
let current;

function renderLists() {
  $('accounts').replaceChildren(...auth.accounts.map((a) => Object.assign(document.createElement('li'), { textContent: `${a.userId ?? a.name} — ${a.serverName} (account #${a.accountId})` })));
  $('history').replaceChildren(...auth.history.slice().reverse().map((h) =>
    Object.assign(document.createElement('li'), { textContent: `${new Date(h.ended).toLocaleTimeString()} ${h.kind} ${h.historyStatus}${h.account ? ` as ${h.account.name}` : ''}` })));
}

function attach(session) {
  current = session;
  show('session', true);
  for (const id of ['confirm-enrol', 'confirm-login', 'pin-form']) show(id, false);
  $('outcome').textContent = '';
  $('pin-result').textContent = '';
  const renderState = () => ($('state').textContent = `${session.state}${session.pseudoState !== 'NONE' ? ` / ${session.pseudoState}` : ''}`);
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
      $('pin-prompt').textContent = d.context === 'FIRST_SET' ? 'Choose a PIN for this app (4 or more digits)' : `Enter your PIN${where}`;
      show('pin-form', true);
      $('pin').value = '';
      $('pin').focus();
    } else if (d.result === 'PIN_FAIL') {
      $('pin-result').textContent = `Wrong PIN — ${d.attemptsLeft} attempt${d.attemptsLeft === 1 ? '' : 's'} left`;
      $('pin').value = '';
    }
  });
  session.addEventListener('stop', () => {
    show('pin-form', false);
    show('confirm-enrol', false);
    show('confirm-login', false);
    const ok = session.historyStatus.startsWith('LOGGED_IN');
    $('outcome').textContent = ok ? (session.isRegistration ? 'Enrolled and logged in.' : 'Logged in.')
      : session.error ? `Error: ${session.error.message} (${session.error.code})` : `Ended: ${session.historyStatus}`;
    $('outcome').className = `status ${ok ? 'ok' : 'bad'}`;
    session.finished.then(renderLists, (err) => { report(err); renderLists(); });  // rejects when saving failed
  });
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
$('pin-cancel').addEventListener('click', () => current.inputCancel().catch(report));
$('pin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('pin-submit').disabled = true;
  try {
    await current.setPinBiometric({ pin: $('pin').value });
  } catch (err) {
    report(err);
  } finally {
    $('pin-submit').disabled = false;
  }
});
renderLists();
document.body.dataset.ready = 'true';
