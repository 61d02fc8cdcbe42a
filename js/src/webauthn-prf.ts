import type { BiometricProvider } from './types.js';

/** Where the provider keeps the id of its WebAuthn credential (the id is no secret). */
export interface CredentialIdStore {
  get(): string | null;
  set(id: string): void;
}

export interface WebAuthnPrfOptions {
  /** Default: localStorage under `tapgate.webauthn-prf.credential`. */
  store?: CredentialIdStore;
  /** The relying party id; default: the page's host (WebAuthn's default). */
  rpId?: string;
  /** The name the platform shows for the credential. Default: 'Tapgate'. */
  name?: string;
}

// A fixed salt: the PRF output is then the same 32 bytes at every verification of one credential.
const SALT = new TextEncoder().encode('tapgate biometric secret v1 ....').slice(0, 32);
const STORE_KEY = 'tapgate.webauthn-prf.credential';

const toB64 = (b: ArrayBuffer): string => btoa(String.fromCharCode(...new Uint8Array(b)));
const fromB64 = (s: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

function localStorageStore(): CredentialIdStore {
  return { get: () => globalThis.localStorage.getItem(STORE_KEY), set: (id) => globalThis.localStorage.setItem(STORE_KEY, id) };
}

type PrfResults = { prf?: { enabled?: boolean; results?: { first?: ArrayBuffer | ArrayBufferView } } };

function prfOutput(credential: Credential | null): Uint8Array | null {
  const first = ((credential as PublicKeyCredential | null)?.getClientExtensionResults() as PrfResults | undefined)?.prf?.results?.first;
  if (!first) return null;
  const bytes = ArrayBuffer.isView(first) ? new Uint8Array(first.buffer, first.byteOffset, first.byteLength) : new Uint8Array(first);
  const secret = bytes.length === 32 ? new Uint8Array(bytes) : null;
  bytes.fill(0);  // the browser's copy of the secret: only ours (which the SDK wipes after use) stays
  return secret;
}

/** The user cancelled, the platform did not recognise them, or the credential is gone: null, not an error. */
function cancelled(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'NotAllowedError' || name === 'AbortError';
}

/**
 * The browser's platform biometric as a BiometricProvider, through the WebAuthn PRF extension: at
 * 'enrol' it creates a platform credential with user verification (its id is kept in `store`), and
 * each 'verify' asks that credential for its PRF output over a fixed salt, a 32-byte secret released
 * only after the user is verified. The page must be a secure context whose host is a domain.
 */
export class WebAuthnPrfBiometricProvider implements BiometricProvider {
  #store: CredentialIdStore;
  #rpId: string | undefined;
  #name: string;

  constructor(options: WebAuthnPrfOptions = {}) {
    this.#store = options.store ?? localStorageStore();
    this.#rpId = options.rpId;
    this.#name = options.name ?? 'Tapgate';
  }

  async isAvailable(): Promise<boolean> {
    const pkc = globalThis.PublicKeyCredential as (typeof PublicKeyCredential & { getClientCapabilities?: () => Promise<Record<string, boolean>> }) | undefined;
    if (!pkc?.isUserVerifyingPlatformAuthenticatorAvailable) return false;
    try {
      if (!(await pkc.isUserVerifyingPlatformAuthenticatorAvailable())) return false;
      // Where the browser can tell, it says whether it knows PRF; elsewhere create/get will.
      const caps = await pkc.getClientCapabilities?.();
      return caps?.['extension:prf'] !== false;
    } catch {
      return false;
    }
  }

  async secret(purpose: 'enrol' | 'verify'): Promise<Uint8Array | null> {
    try {
      if (purpose === 'enrol') {
        const id = await this.#create();
        if (!id) return null;
        this.#store.set(id.stored);
        // Some browsers give the PRF output only at get(): ask right away then.
        return id.output ?? (await this.#get(id.stored));
      }
      const stored = this.#store.get();
      return stored ? await this.#get(stored) : null;
    } catch (err) {
      if (cancelled(err)) return null;
      throw err;
    }
  }

  async #create(): Promise<{ stored: string; output: Uint8Array | null } | null> {
    const credential = await navigator.credentials.create({
      publicKey: {
        rp: { name: this.#name, ...(this.#rpId ? { id: this.#rpId } : {}) },
        user: { id: globalThis.crypto.getRandomValues(new Uint8Array(16)), name: this.#name, displayName: this.#name },
        challenge: globalThis.crypto.getRandomValues(new Uint8Array(32)),
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -257 }],
        authenticatorSelection: { authenticatorAttachment: 'platform', userVerification: 'required', residentKey: 'preferred' },
        extensions: { prf: { eval: { first: SALT } } } as AuthenticationExtensionsClientInputs,
      },
    });
    if (!credential) return null;
    return { stored: toB64((credential as PublicKeyCredential).rawId), output: prfOutput(credential) };
  }

  async #get(stored: string): Promise<Uint8Array | null> {
    const credential = await navigator.credentials.get({
      publicKey: {
        challenge: globalThis.crypto.getRandomValues(new Uint8Array(32)),
        ...(this.#rpId ? { rpId: this.#rpId } : {}),
        allowCredentials: [{ type: 'public-key', id: fromB64(stored) }],
        userVerification: 'required',
        extensions: { prf: { eval: { first: SALT } } } as AuthenticationExtensionsClientInputs,
      },
    });
    return prfOutput(credential);
  }
}
