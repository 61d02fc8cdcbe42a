import type { BiometricProvider } from './types.js';

/**
 * A deterministic BiometricProvider for Node tests and harnesses: it holds one 32-byte secret and
 * releases it while `approve` is true (a recognised finger), or returns null (cancelled).
 */
export class TestBiometricProvider implements BiometricProvider {
  approve = true;
  available = true;
  #secret: Uint8Array;

  constructor(secret?: Uint8Array) {
    this.#secret = secret ? new Uint8Array(secret) : globalThis.crypto.getRandomValues(new Uint8Array(32));
  }

  isAvailable(): boolean {
    return this.available;
  }

  async secret(): Promise<Uint8Array | null> {
    return this.approve ? new Uint8Array(this.#secret) : null;
  }
}
