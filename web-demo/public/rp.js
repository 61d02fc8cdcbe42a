// Relying-party page: QR enrol and login, push login, logout and a transaction through its backend
// (/rp/api/*), with the status and the state diagram driven live by the server's status channel.
import { createStateDiagram } from './state-diagram.js';

const $ = (id) => document.getElementById(id);
const diagram = createStateDiagram($('diagram'));
const MAX_LOGGED_EVENTS = 14;
let stream;          // EventSource of the current relying-party session
let pingTime = 0;    // > 0: logins are continuous (ACTIVE until logout), else one-shot (DONE)
let pendingTid = null;
let matchCode = null; // code matching: the code this page shows for its login QR

diagram.set('NONE');

function setStatus(text, cls = '') {
  $('status').textContent = text;
  $('status').className = `status ${cls}`;
}

function setLoggedIn(loggedIn) {
  $('logout').disabled = !loggedIn;
}

function setCanProvoke(can) {
  $('push-login').disabled = !can;
  $('canprovoke').textContent = can
    ? 'Push login: available (canprovoke) — the account last logged in on this session gets a push.'
    : 'Push login: not available yet (log in once on this session first).';
}

function logEvent(name, data) {
  const detail = data.userid ? ` ${data.userid}` : data.hsid ? ` ${data.hsid.slice(0, 8)}…` : '';
  const li = Object.assign(document.createElement('li'), { textContent: `${new Date().toLocaleTimeString()} ${name}${detail}` });
  li.dataset.event = name;
  $('events').prepend(li);
  while ($('events').children.length > MAX_LOGGED_EVENTS) $('events').lastChild.remove();
}

const loggedInState = () => (pingTime > 0 ? ['ACTIVE', 'LOGGED_IN'] : ['DONE', 'LOGGED_IN_ONE_SHOT']);

// What each status-channel event means for this page and for the session it shows.
const handlers = {
  server: (d) => (pingTime = d.pingTime),
  status: (s) => {
    setCanProvoke(s.canprovoke);
    matchCode = s.matchcode;
    setLoggedIn(s.loggedin);
    $('transaction').disabled = false;
    if (s.loggedin) {
      setStatus(`Logged in as ${s.userid}`, 'ok');
      diagram.set(...loggedInState());
    } else if (s.cancelled) diagram.set('DONE', 'ABORTED');
    else if (s.scanned) diagram.set('USER_INTERACTION');
    else if (s.hsid) diagram.set('STARTING');
  },
  qr: () => diagram.set('STARTING'),
  scanned: () => {
    setStatus(matchCode ? `Scanned — type ${matchCode} on the authenticator…` : 'Scanned — confirm on the authenticator…');
    diagram.set('USER_INTERACTION');
  },
  loggedin: (d) => {
    setStatus(`Logged in as ${d.userid}`, 'ok');
    for (const id of ['enrol-qr', 'login-qr']) $(id).replaceChildren();  // used: it cannot log in again
    setLoggedIn(true);
    diagram.set(...loggedInState());
    refreshTransaction();
  },
  loggedout: () => {
    setStatus('Logged out.', 'bad');
    setLoggedIn(false);
    diagram.set('DONE', 'LOGGED_OUT');
  },
  cancelled: () => {
    setStatus(matchCode ? `Cancelled on the authenticator (or the code typed there was not ${matchCode}).` : 'Cancelled on the authenticator.', 'bad');
    diagram.set('DONE', 'ABORTED');
    refreshTransaction();
  },
  canprovoke: () => setCanProvoke(true),
};

function openStream() {
  stream?.close();
  stream = new EventSource('/rp/api/events');
  for (const [name, handle] of Object.entries(handlers)) {
    stream.addEventListener(name, (e) => {
      const data = JSON.parse(e.data);
      if (name !== 'server' && name !== 'status') logEvent(name, data);
      handle(data);
    });
  }
  stream.addEventListener('open', () => (document.body.dataset.live = 'true'));
  stream.addEventListener('error', () => (document.body.dataset.live = 'false'));  // EventSource retries by itself
}

async function api(path, init) {
  const res = await fetch(`/rp/api/${path}`, init);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

function showQr(target, qr, kind) {
  const img = Object.assign(document.createElement('img'), { src: qr.image, alt: `${kind} QR code` });
  img.dataset.kind = kind;
  const link = Object.assign(document.createElement('p'), { className: 'muted', textContent: qr.link });
  link.dataset.link = kind;
  target.replaceChildren(img, link);
  if (qr.matchcode) {
    const code = Object.assign(document.createElement('p'), { className: 'match-code', textContent: 'Type this code on the authenticator: ' });
    code.append(Object.assign(document.createElement('b'), { id: 'match-code', textContent: qr.matchcode }));
    target.append(code);
  }
  if (qr.vash) {
    const print = Object.assign(document.createElement('p'), { className: 'vash', textContent: 'Fingerprint: ' });
    print.append(Object.assign(document.createElement('b'), { id: 'enrol-vash', textContent: qr.vash }),
      '; check that your app shows the same.');
    target.append(print);
  }
}

async function newSessionQr(kind) {
  const params = new URLSearchParams({ kind });
  if (kind === 'enrol') params.set('userid', $('userid').value);
  if (kind === 'login' && $('codematch').checked) params.set('codematch', 'true');
  for (const id of ['enrol-qr', 'login-qr', 'tx-qr', 'tx-result']) $(id).replaceChildren();
  try {
    const qr = await api(`qr?${params}`, { method: 'POST' });
    showQr($(`${kind}-qr`), qr, kind);
    pendingTid = null;
    matchCode = qr.matchcode;
    setStatus(kind === 'enrol' ? 'Waiting for the authenticator to enrol…'
      : matchCode ? `Waiting for the authenticator… type ${matchCode} there.` : 'Waiting for the authenticator…');
    setCanProvoke(false);
    setLoggedIn(false);
    $('events').replaceChildren();
    openStream();  // the new QR is a new relying-party session: listen to that one
  } catch (err) {
    $(`${kind}-qr`).textContent = err.message;
  }
}

async function pushLogin() {
  try {
    await api('provoke', { method: 'POST' });
    setStatus('Push sent — confirm on the authenticator…');
  } catch (err) {
    setStatus(`Push login failed: ${err.message}`, 'bad');
  }
}

async function logout() {
  try {
    await api('logout', { method: 'POST' });  // the stream reports `loggedout`
  } catch (err) {
    setStatus(`Logout failed: ${err.message}`, 'bad');
  }
}

async function askTransaction() {
  const details = { amount: $('tx-amount').value, beneficiary: $('tx-beneficiary').value, description: $('tx-description').value };
  try {
    const tx = await api('transaction', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(details) });
    pendingTid = tx.tid;
    showQr($('tx-qr'), tx, 'transaction');
    renderTransaction({ tstatus: 'PENDING', ...details, pushed: tx.pushed });
  } catch (err) {
    $('tx-result').textContent = err.message;
  }
}

async function refreshTransaction() {
  if (!pendingTid) return;
  const tx = await api(`transaction?tid=${encodeURIComponent(pendingTid)}`);
  renderTransaction(tx);
  if (tx.tstatus !== 'PENDING') {
    pendingTid = null;
    $('tx-qr').replaceChildren();
  }
}

function renderTransaction(tx) {
  const lines = [`${tx.amount} to ${tx.beneficiary} (${tx.description}): ${tx.tstatus}`];
  if (tx.tstatus === 'PENDING') lines.push(tx.pushed ? 'Sent to the authenticator by push; or scan the QR.' : 'Scan the QR with the authenticator.');
  if (tx.signature) {
    lines.push(`Signature ${tx.signature.slice(0, 22)}… by account #${tx.accountid}: ${tx.verified
      ? 'verified (Ed25519) by this site with the key of the signed-in account'
      : `NOT valid for the signed-in account #${tx.expectedaccountid}`}`);
  }
  const p = Object.assign(document.createElement('div'), { className: `status ${tx.tstatus === 'SIGNED' && tx.verified ? 'ok' : tx.tstatus === 'PENDING' ? '' : 'bad'}` });
  p.dataset.tstatus = tx.tstatus;
  p.replaceChildren(...lines.map((t) => Object.assign(document.createElement('p'), { textContent: t })));
  $('tx-result').replaceChildren(p);
}

$('enrol').addEventListener('click', () => newSessionQr('enrol'));
$('login').addEventListener('click', () => newSessionQr('login'));
$('push-login').addEventListener('click', pushLogin);
$('logout').addEventListener('click', logout);
$('transaction').addEventListener('click', askTransaction);

// A reload keeps the session (cookie): listen to it again.
api('status').then((s) => {
  if (s.session) openStream();
});
