// The worker's BiometricProvider. A service worker has no WebAuthn, so the popup the user is
// answering in runs the WebAuthn PRF prompt (the SDK's WebAuthnPrfBiometricProvider) and hands
// the 32-byte secret back over its port; the worker's core derives the biometric key from it and
// wipes it. With no popup to ask (it closed), the answer is null: BIOMETRIC_FAIL, the PIN remains.
// Messages: biometricRequest / biometricSecret (protocol.js).
export class PopupBiometric {
  #port = null;
  #pending = new Map();  // requestId → { port, resolve }
  #nextRequest = 1;

  isAvailable() {
    return true;  // the worker offers it only when the popup said it has it
  }

  /** The popup whose call is being answered: the one that shows the prompt. */
  askFrom(port) {
    this.#port = port;
  }

  secret(purpose) {
    const port = this.#port;
    if (!port) return Promise.resolve(null);
    const requestId = this.#nextRequest++;
    return new Promise((resolve) => {
      this.#pending.set(requestId, { port, resolve });
      port.postMessage({ type: 'biometricRequest', requestId, purpose });
    });
  }

  /** A popup's answer; only the popup that was asked may answer. */
  take(port, { requestId, secret }) {
    const pending = this.#pending.get(requestId);
    if (!pending || pending.port !== port) return;
    this.#pending.delete(requestId);
    const ok = Array.isArray(secret) && secret.length === 32 && secret.every((b) => Number.isInteger(b) && b >= 0 && b <= 255);
    pending.resolve(ok ? Uint8Array.from(secret) : null);
  }

  /** A popup closed: what it was asked is answered null. */
  forget(port) {
    if (this.#port === port) this.#port = null;
    for (const [id, pending] of this.#pending) {
      if (pending.port !== port) continue;
      this.#pending.delete(id);
      pending.resolve(null);
    }
  }
}
