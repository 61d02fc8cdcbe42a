// Thin wrapper over libsodium-wrappers: the only module that touches the sodium API. Random bytes
// and base64url come from Node instead (the exception issue 13 allows where Node is faster): the
// wrappers' randombytes_buf costs 47 µs for 16 bytes against 3 µs for node:crypto's (the same OS
// CSPRNG underneath), and to_base64 3 µs against 1 µs. Signatures, verification, hashing and the
// AEAD stay libsodium's: Node's Ed25519 verify is slower (256 µs with a KeyObject made per key
// against 144 µs), and its sign gains 15 µs only with a cached KeyObject.
// `import =` keeps the live module object: libsodium adds its functions only once `ready` resolves.
import sodium = require('libsodium-wrappers');
import { randomFillSync } from 'node:crypto';

let readyPromise: Promise<void> | null = null;

/** Resolves once libsodium is initialised; every other function here needs it. */
export function cryptoReady(): Promise<void> {
  if (!readyPromise) readyPromise = sodium.ready;
  return readyPromise;
}

export const SIGN_PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const HASH_BYTES = 32;

export interface SignKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export function signKeyPair(): SignKeyPair {
  const kp = sodium.crypto_sign_keypair();
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}

export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return sodium.crypto_sign_detached(message, secretKey);
}

/** Ed25519 detached verification; false (never a throw) for keys or signatures of the wrong size. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== SIGN_PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  try {
    return sodium.crypto_sign_verify_detached(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** BLAKE2b-256 of the concatenation of the parts (crypto_generichash, no key). */
export function hash(...parts: Uint8Array[]): Uint8Array {
  return sodium.crypto_generichash(HASH_BYTES, concat(...parts), null);
}

/** `n` bytes from the OS CSPRNG (node:crypto; what libsodium's randombytes_buf reads too). */
export function randomBytes(n: number): Uint8Array {
  return randomFillSync(new Uint8Array(n));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

export function toB64u(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');
}

/** Strict base64url (no padding) decoding: null for anything that is not the canonical encoding. */
export function fromB64u(text: unknown): Uint8Array | null {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    // Node's decoder is lenient (it skips what is not base64): the round trip makes it strict.
    const bytes = new Uint8Array(Buffer.from(text, 'base64url'));  // a copy: not a view into Node's shared pool
    return toB64u(bytes) === text ? bytes : null;
  } catch {
    return null;
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** crypto_box_seal: anonymous encryption to an X25519 public key (push messages). */
export function boxSeal(message: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return sodium.crypto_box_seal(message, publicKey);
}

export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 24;

/** XChaCha20-Poly1305 (IETF): nonce ‖ ciphertext, the nonce random (24 bytes make that safe). */
export function aeadSeal(key: Uint8Array, message: Uint8Array, ad: Uint8Array): Uint8Array {
  const nonce = randomBytes(AEAD_NONCE_BYTES);
  return concat(nonce, sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, ad, null, nonce, key));
}

/** Opens aeadSeal's output; null when the key, the associated data or the bytes are wrong. */
export function aeadOpen(key: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | null {
  if (sealed.length < AEAD_NONCE_BYTES) return null;
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed.subarray(AEAD_NONCE_BYTES), ad, sealed.subarray(0, AEAD_NONCE_BYTES), key);
  } catch {
    return null;
  }
}
