// The popup's side of the worker's port (protocol.js): the worker's sessions as RemoteSession
// objects with the properties, events and methods of the SDK's Session that the shared session
// pane (session-view.js) uses, so the pane drives a session it does not hold.
import { PORT_NAME, errorFromInfo } from './protocol.js';

export class RemoteSession extends EventTarget {
  #snap;
  #call;
  #finished;
  #settle;

  constructor(snapshot, call) {
    super();
    this.#snap = snapshot;
    this.#call = call;
    this.#finished = new Promise((resolve, reject) => (this.#settle = (error) => (error ? reject(errorFromInfo(error)) : resolve(this))));
  }

  get id() { return this.#snap.id; }
  get state() { return this.#snap.state; }
  get pseudoState() { return this.#snap.pseudoState; }
  get historyStatus() { return this.#snap.historyStatus; }
  get isFinal() { return this.#snap.isFinal; }
  get isRegistration() { return this.#snap.isRegistration; }
  get announceInfo() { return this.#snap.announceInfo; }
  get transaction() { return this.#snap.transaction; }
  get serverName() { return this.#snap.serverName; }
  get candidateAccounts() { return this.#snap.candidateAccounts; }
  get account() { return this.#snap.account; }
  get error() { return this.#snap.error ? errorFromInfo(this.#snap.error) : null; }
  get finished() { return this.#finished; }

  setAccount(account, userInput = '', options = {}) {
    return this.#call('setAccount', [account ? { serverId: account.serverId, accountId: account.accountId } : account, userInput, options]);
  }
  setPinBiometric(input) { return this.#call('setPinBiometric', [input]); }
  inputCancel() { return this.#call('inputCancel', []); }
  stopSession() { return this.#call('stopSession', []); }

  /** An event the worker forwarded, with the session's snapshot just after it. */
  receive(name, detail, snapshot) {
    this.#snap = snapshot;
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  /** Shows a pane attached after the fact the prompt (and failed verdict) still open. */
  replayPrompt() {
    for (const event of [this.#snap.prompt, this.#snap.verdict]) if (event) this.dispatchEvent(new CustomEvent(event.name, { detail: event.detail }));
  }

  settle(error) { this.#settle(error); }
}

/**
 * The port to the worker. `onSession(remote)` runs for each running session first seen (in the
 * first state message: those the worker already holds), `onState()` after every state message,
 * `onBiometricRequest(purpose)` when a session needs the biometric's secret: it resolves with its
 * 32 bytes as an array, or null.
 */
export class WorkerConnection {
  #port = chrome.runtime.connect({ name: PORT_NAME });
  #calls = new Map();
  #nextCall = 1;
  #generation = null;
  sessions = new Map();  // id → RemoteSession
  accounts = [];

  biometric = false;  // the worker's Authenticator offers the biometric

  constructor({ onSession, onState, onDisconnect, onBiometricRequest }) {
    this.#port.onDisconnect.addListener(onDisconnect);
    this.#port.onMessage.addListener((m) => {
      if (m.type === 'state') {
        if (m.generation !== this.#generation) this.sessions.clear();  // the worker reopened its Authenticator
        this.#generation = m.generation;
        this.accounts = m.accounts;
        this.biometric = m.biometric;
        for (const snap of m.sessions) {
          const known = this.sessions.get(snap.id);
          if (known || snap.isFinal) continue;
          const remote = new RemoteSession(snap, (method, args) => this.call(snap.id, method, args));
          this.sessions.set(snap.id, remote);
          onSession(remote);
        }
        onState();
      } else if (m.type === 'event') {
        this.sessions.get(m.session)?.receive(m.name, m.detail, m.snapshot);
      } else if (m.type === 'finished') {
        this.sessions.get(m.session)?.settle(m.error);
      } else if (m.type === 'biometricRequest') {
        onBiometricRequest(m.purpose).then((secret) => this.#port.postMessage({ type: 'biometricSecret', requestId: m.requestId, secret }));
      } else if (m.type === 'reply') {
        const call = this.#calls.get(m.callId);
        this.#calls.delete(m.callId);
        if (m.error) call?.reject(errorFromInfo(m.error));
        else call?.resolve(m.result);
      }
    });
  }

  /** Tells the worker whether this popup has the biometric (a WebAuthn PRF platform authenticator). */
  offerBiometric(available) {
    this.#port.postMessage({ type: 'biometric', available });
  }

  /** `target`: 'auth' (startSession) or a session id. */
  call(target, method, args) {
    const callId = this.#nextCall++;
    return new Promise((resolve, reject) => {
      this.#calls.set(callId, { resolve, reject });
      this.#port.postMessage({ type: 'call', callId, target, method, args });
    });
  }

  /** Starts a session from a QR's bytes or a link; the session itself arrives as onSession. */
  startSession(data) {
    return this.call('auth', 'startSession', [typeof data === 'string' ? data : Array.from(data)]);
  }
}
