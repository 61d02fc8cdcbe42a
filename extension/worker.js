// The extension's background service worker: it holds the Authenticator (state in IndexedDB) and
// every running session, so a login lives on when the popup closes. Push logins come by Web Push
// where the browser can subscribe, and by pulling (retrieveMessages) on an alarm, at start and
// whenever the popup connects; with no popup open, a login request shows a notification. The popup
// shows the sessions and sends the user's answers over a port (protocol.js).
import { Authenticator } from './sdk/esm/index.worker.js';
import { BIOMETRIC_KEY, FORWARDED_EVENTS, PORT_NAME, SESSION_METHODS, errorInfo, isOwnPage, sessionSnapshot } from './protocol.js';
import { PopupBiometric } from './biometric.js';
import { webPushToken } from './web-push.js';

const PULL_ALARM = 'tapgate-pull';
const PULL_PERIOD_MINUTES = 0.5;  // the shortest period Chrome allows a packed extension
// Chrome stops an idle extension worker after 30 s; an extension API call resets that timer, so a
// worker with a session running calls one this often until the session is final.
const KEEPALIVE_MS = 20_000;

const ports = new Set();
const tracked = new Map();  // session id → { session, prompt, verdict, serverUrl }
let keepAlive = null;
let pulling = null;
const biometric = new PopupBiometric();
let biometricOffered = false;  // what the open Authenticator was told (the core learns it at create)
let generation = 0;  // which Authenticator: session ids start again in each
let ready = open();

// The biometric is offered when the popup last said its WebAuthn PRF is there (a worker cannot
// run WebAuthn: the popup does, and hands the secret over, biometric.js).
async function open() {
  biometricOffered = (await chrome.storage.local.get(BIOMETRIC_KEY))[BIOMETRIC_KEY] === true;
  generation += 1;
  const opening = Authenticator.create({ storage: 'tapgate-extension', ...(biometricOffered ? { biometric } : {}) });
  opening.then((auth) => {
    self.tapgate = auth;  // handy in the worker's console, as window.tapgate is in the PWA
    auth.addEventListener('session', (e) => track(auth, e.detail.session));
    auth.addEventListener('accountupdate', () => broadcastState(auth));
    auth.addEventListener('accountdeleted', () => broadcastState(auth));
    auth.addEventListener('error', (e) => console.warn('tapgate: state not saved:', e.detail?.error?.code));
    pull();
  }, (err) => console.error('tapgate: the authenticator did not open:', err.code, err.message));
  return opening;
}

/** The popup says whether it has the biometric; a change reopens the Authenticator once no session runs. */
async function biometricAvailable(available) {
  await ready.catch(() => null);
  if (available === biometricOffered) return;
  await chrome.storage.local.set({ [BIOMETRIC_KEY]: available });
  if ([...tracked.values()].some((e) => !e.session.isFinal)) return;  // the next start takes it up
  (await ready).close();
  tracked.clear();
  ready = open();
  broadcastState(await ready);
}

const snapshot = (entry) => sessionSnapshot(entry.session, entry);
const broadcast = (message) => ports.forEach((port) => port.postMessage(message));
const stateMessage = (auth) => ({ type: 'state', generation, accounts: auth.accounts, sessions: [...tracked.values()].map(snapshot), biometric: biometricOffered });
function broadcastState(auth) {
  broadcast(stateMessage(auth));
}

/** Follows a session until its `finished` settles, forwarding each event to the open popups. */
function track(auth, session) {
  const entry = { session, prompt: null, verdict: null, serverUrl: null };
  tracked.set(session.id, entry);
  for (const name of FORWARDED_EVENTS) {
    session.addEventListener(name, (e) => {
      const prompted = remember(entry, name, e.detail);
      broadcast({ type: 'event', session: session.id, name, detail: e.detail, snapshot: snapshot(entry) });
      if (name === 'statechange') {
        broadcastState(auth);
        holdWorker();
      }
      if (prompted && !ports.size) notify(entry);
      if (name === 'stop') chrome.notifications.clear(notificationId(session));
      if (name === 'secondfactor' && e.detail.result === 'SUCCESS' && session.isRegistration && entry.serverUrl) subscribePush(auth, entry.serverUrl);
    });
  }
  session.finished.then(() => null, errorInfo).then((error) => {
    if (tracked.get(session.id) !== entry) return;  // of an Authenticator since reopened
    tracked.delete(session.id);
    broadcast({ type: 'finished', session: session.id, error });
    holdWorker();
  });
  broadcastState(auth);
}

// What a popup opened later must still show: the open prompt and a failed verdict after it.
// True when the event is a new prompt for the user.
function remember(entry, name, detail) {
  if (name === 'confirmenrol') entry.serverUrl = detail.server.url;
  if (name === 'confirmenrol' || name === 'confirmlogin' || (name === 'secondfactor' && !detail.result)) {
    entry.prompt = { name, detail };
    entry.verdict = null;
    return true;
  }
  if (name === 'secondfactor') {
    entry.verdict = detail.result.endsWith('_FAIL') ? { name, detail } : null;
  } else if (name === 'statechange' && detail.state !== 'USER_INTERACTION') {
    entry.prompt = entry.verdict = null;
  }
  return false;
}

function holdWorker() {
  const running = [...tracked.values()].some((e) => !e.session.isFinal);
  if (running && !keepAlive) keepAlive = setInterval(() => chrome.runtime.getPlatformInfo(), KEEPALIVE_MS);
  if (!running && keepAlive) keepAlive = (clearInterval(keepAlive), null);
}

const notificationId = (session) => `tapgate-session-${session.id}`;
function notify({ session }) {
  const where = session.announceInfo?.info?.origin ?? session.serverName ?? 'a site';
  chrome.notifications.create(notificationId(session), {
    type: 'basic',
    iconUrl: 'icon-192.png',
    title: 'Tapgate: sign-in request',
    message: `${session.transaction ? 'Approve a transaction for' : 'Log in to'} ${where}? Open Tapgate to answer.`,
    requireInteraction: true,
  });
}
chrome.notifications.onClicked.addListener((id) => {
  if (id.startsWith('tapgate-session-')) chrome.windows.create({ url: 'popup.html', type: 'popup', width: 380, height: 760 });
});

/** One pull at a time; a failed pull is retried by the next alarm. */
function pull() {
  pulling ??= ready.then((auth) => auth.retrieveMessages())
    .catch((err) => console.warn('tapgate: pulling messages failed:', err.code ?? err))
    .finally(() => (pulling = null));
  return pulling;
}
chrome.alarms.get(PULL_ALARM).then((alarm) => alarm ?? chrome.alarms.create(PULL_ALARM, { periodInMinutes: PULL_PERIOD_MINUTES }));
chrome.alarms.onAlarm.addListener((alarm) => alarm.name === PULL_ALARM && pull());

// Web Push: subscribed after an enrolment with that server's key; where the browser cannot
// subscribe (no push service reachable) the alarm's pulls are the way messages come.
async function subscribePush(auth, serverUrl) {
  try {
    await auth.updatePushToken(await webPushToken(self.registration, serverUrl));
  } catch (err) {
    console.warn('tapgate: no Web Push, pulling instead:', err.code ?? err.message);
  }
}
self.addEventListener('push', (event) => {
  let data;
  try {
    data = event.data?.json();
  } catch {
    return;
  }
  if (typeof data?.tapgate !== 'string') return;
  event.waitUntil(ready.then((auth) => auth.processPush(data)).catch((err) => console.warn('tapgate: a push was rejected:', err.code)));
});

chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== PORT_NAME || !isOwnPage(port.sender, chrome.runtime)) {
    port.disconnect();
    return;
  }
  ports.add(port);
  port.onDisconnect.addListener(() => {
    ports.delete(port);
    biometric.forget(port);
  });
  port.onMessage.addListener((message) => {
    if (message?.type === 'biometric') biometricAvailable(message.available === true);
    else if (message?.type === 'biometricSecret') biometric.take(port, message);
    else answer(port, message);
  });
  ready.then((auth) => {
    for (const entry of tracked.values()) chrome.notifications.clear(notificationId(entry.session));
    port.postMessage(stateMessage(auth));
    pull();
  });
});

/** A popup's call: start a session from QR data, or a Session method on a tracked session. */
async function answer(port, message) {
  if (message?.type !== 'call') return;
  const reply = (body) => ports.has(port) && port.postMessage({ type: 'reply', callId: message.callId, ...body });
  try {
    const auth = await ready;
    const args = Array.isArray(message.args) ? message.args : [];
    let result;
    biometric.askFrom(port);  // the popup the user is answering in runs the biometric prompt
    if (message.target === 'auth' && message.method === 'startSession') {
      result = (await auth.startSession(Array.isArray(args[0]) ? Uint8Array.from(args[0]) : args[0])).id;
    } else {
      const entry = tracked.get(message.target);
      if (!entry || !SESSION_METHODS.includes(message.method)) throw Object.assign(new Error(`no running session ${message.target} with a method ${message.method}`), { code: 'INVALID_ARGUMENT' });
      result = await entry.session[message.method](...args);
    }
    reply({ result: result ?? null });
  } catch (err) {
    reply({ error: errorInfo(err) });
  }
}
