// The one message protocol between the extension's background worker (worker.js), which holds
// the Authenticator and its sessions, and its popup (popup.js), which shows them and relays the
// user's answers. Messages go over a chrome.runtime port named PORT_NAME, JSON only.
//
// Popup → worker:
//   { type: 'call', callId, target: 'auth', method: 'startSession', args: [number[] | string] }
//     → reply result: the new session's id (the session itself comes in a state message first)
//   { type: 'call', callId, target: <session id>, method: one of SESSION_METHODS, args }
//     → reply result: what the Session method resolved with
//   { type: 'biometric', available }          whether the popup has the WebAuthn PRF biometric
//   { type: 'biometricSecret', requestId, secret: number[32] | null }   answers a biometricRequest
// Worker → popup:
//   { type: 'state', generation, accounts: Account[], sessions: SessionSnapshot[], biometric }
//     on connect and on change; `generation` counts the worker's Authenticators (session ids
//     start again in each); `biometric`: the Authenticator offers the biometric
//   { type: 'event', session: id, name, detail, snapshot }                a Session event
//   { type: 'finished', session: id, error: ErrorInfo | null }            its `finished` settled
//   { type: 'reply', callId, result } | { type: 'reply', callId, error: ErrorInfo }
//   { type: 'biometricRequest', requestId, purpose: 'enrol' | 'verify' }   run the WebAuthn prompt
//
// SessionSnapshot: the Session's plain properties (SNAPSHOT_FIELDS), `error` as ErrorInfo, and
// `prompt` / `verdict`: the session's last open prompt event (confirmenrol, confirmlogin or a
// secondfactor prompt) and the failed verdict after it, { name, detail } or null, so a popup
// opened after the event still shows it.

export const PORT_NAME = 'tapgate-popup';
export const BIOMETRIC_KEY = 'biometricAvailable';  // chrome.storage.local: the popup's last word on it
export const SESSION_METHODS = ['setAccount', 'setPinBiometric', 'inputCancel', 'stopSession'];
export const FORWARDED_EVENTS = ['statechange', 'confirmenrol', 'confirmlogin', 'secondfactor', 'login', 'error', 'stop'];
const SNAPSHOT_FIELDS = ['id', 'state', 'pseudoState', 'historyStatus', 'isFinal', 'isRegistration', 'isAppLogin',
  'announceInfo', 'transaction', 'serverName', 'serverId', 'candidateAccounts', 'account'];

/** A TapgateError (or any Error) as plain data: { code, numericCode, kind, message }. */
export function errorInfo(err) {
  return { code: err?.code ?? 'INTERNAL', numericCode: err?.numericCode ?? 0, kind: err?.kind ?? 'misuse', message: String(err?.message ?? err) };
}

/** An Error rebuilt from errorInfo, with the same fields the SDK's TapgateError has. */
export function errorFromInfo(info) {
  return Object.assign(new Error(info.message), info);
}

export function sessionSnapshot(session, { prompt = null, verdict = null } = {}) {
  const snap = Object.fromEntries(SNAPSHOT_FIELDS.map((f) => [f, session[f]]));
  const error = session.error;
  return { ...snap, error: error ? errorInfo(error) : null, prompt, verdict };
}

/**
 * Only this extension's own pages may drive the worker: a port from anywhere else (a content
 * script in a web page, had the extension one) is refused. Web pages and other extensions cannot
 * reach onConnect at all (no externally_connectable, no onConnectExternal listener).
 */
export function isOwnPage(sender, runtime) {
  const base = runtime.getURL('');
  return sender?.id === runtime.id && typeof sender.url === 'string' && sender.url.startsWith(base)
    && (sender.origin === undefined || `${sender.origin}/` === base);
}
