// The servers' Ed25519 signing keys: encrypted at rest under a key that is not in the database,
// and rotated with an overlap during which devices accept the old key's signature beside the new
// one's (docs/protocol.md §3, §6.1 `rekey`; docs/server-api.md §3).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AEAD_KEY_BYTES, aeadOpen, aeadSeal, fromB64u, randomBytes, sign } from './crypto';

/**
 * Encrypts and decrypts the servers' secret keys. `context` is the server id: a wrapped key moved
 * to another server's row does not open. The file/environment key (LocalKeyWrapper) is the only
 * implementation shipped; a KMS plugs in here (docs/server-api.md §3).
 */
export interface KeyWrapper {
  wrap(secret: Uint8Array, context: Uint8Array): Promise<Uint8Array>;
  /** Rejects when the wrapped bytes do not open with this key and context. */
  unwrap(wrapped: Uint8Array, context: Uint8Array): Promise<Uint8Array>;
}

export class KeyUnwrapError extends Error {}

/** XChaCha20-Poly1305 under a 32-byte key held in memory, the server id as associated data. */
export class LocalKeyWrapper implements KeyWrapper {
  readonly #key: Uint8Array;
  constructor(key: Uint8Array) {
    if (key.length !== AEAD_KEY_BYTES) throw new Error(`the key encrypting the server keys must be ${AEAD_KEY_BYTES} bytes`);
    this.#key = Uint8Array.from(key);
  }
  async wrap(secret: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
    return aeadSeal(this.#key, secret, context);
  }
  async unwrap(wrapped: Uint8Array, context: Uint8Array): Promise<Uint8Array> {
    const opened = aeadOpen(this.#key, wrapped, context);
    if (!opened) throw new KeyUnwrapError('a server signing key does not decrypt with the configured key');
    return opened;
  }
}

/** Where the key comes from: given (a wrapper, or base64url text), a file, or made beside the database. */
export interface KeySource {
  keyWrapper?: KeyWrapper;
  /** base64url of 32 bytes (TAPGATE_KEY). */
  key?: string;
  /** A file holding exactly 32 bytes (TAPGATE_KEY_FILE); it must exist. */
  keyFile?: string;
}

export const DEFAULT_KEY_FILE = 'tapgate.key';

/**
 * The wrapper for `source`; with nothing configured, the key file `tapgate.key` in `dir` (made
 * with 32 random bytes, mode 0600, on first start), or a random key kept in memory when `dir` is
 * null (an in-memory database: its keys die with it).
 */
export function resolveKeyWrapper(source: KeySource, dir: string | null): KeyWrapper {
  if (source.keyWrapper) return source.keyWrapper;
  if (source.key !== undefined) {
    const key = fromB64u(source.key.trim());
    if (!key || key.length !== AEAD_KEY_BYTES) throw new Error(`TAPGATE_KEY must be base64url (no padding) of ${AEAD_KEY_BYTES} bytes`);
    return new LocalKeyWrapper(key);
  }
  if (source.keyFile !== undefined) return new LocalKeyWrapper(readKeyFile(source.keyFile));
  if (dir === null) return new LocalKeyWrapper(randomBytes(AEAD_KEY_BYTES));
  const file = path.join(dir, DEFAULT_KEY_FILE);
  try {
    fs.mkdirSync(dir, { recursive: true });
    // 'wx': of two instances starting at once on one directory, one creates, the other reads.
    fs.writeFileSync(file, randomBytes(AEAD_KEY_BYTES), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the key file ${file}: ${(err as Error).message}`);
  }
  return new LocalKeyWrapper(readKeyFile(file));
}

function readKeyFile(file: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read the key file ${file}: ${(err as Error).message}`);
  }
  if (bytes.length !== AEAD_KEY_BYTES) throw new Error(`the key file ${file} must hold exactly ${AEAD_KEY_BYTES} bytes (it has ${bytes.length})`);
  return new Uint8Array(bytes);
}

/** The signatures of one input: by the current key, and by the previous one during an overlap. */
export interface Signatures {
  sig: Uint8Array;
  sigPrev?: Uint8Array;
}

/**
 * What a server signs with (ServerRecord.sk): its current key and, until the overlap of a rotation
 * ends, the previous one. Devices accept either, so both signing is what keeps a device that has
 * not yet heard of the new key working.
 */
export class ServerSigner {
  constructor(
    readonly secretKey: Uint8Array,
    readonly previousSecretKey: Uint8Array | null,
  ) {}
  sign(message: Uint8Array): Signatures {
    const sig = sign(this.secretKey, message);
    return this.previousSecretKey ? { sig, sigPrev: sign(this.previousSecretKey, message) } : { sig };
  }
}

/** How long a rotation's previous key keeps signing beside the new one, unless retired earlier. */
export const DEFAULT_KEY_OVERLAP_MS = 7 * 24 * 3600 * 1000;
/** The longest overlap: the rekey message lives that long, and devices refuse a longer-lived one (src/limits.hpp kMaxRekeyLifetimeMs). */
export const MAX_KEY_OVERLAP_MS = 90 * 24 * 3600 * 1000;
