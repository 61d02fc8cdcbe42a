import { chmod, mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { storageError } from './errors.js';
import type { StateStorage } from './types.js';

const KEY_FILE = 'state.key';
const STATE_FILE = 'state.bin';
const IV_BYTES = 12;

/**
 * Node storage: the state blob encrypted with AES-256-GCM under a key kept in a file only its
 * owner can read. Writes go to a temporary file that is synced and then renamed over the old one,
 * so a crash mid-write leaves the previous state loadable.
 */
export class FileStorage implements StateStorage {
  readonly dir: string;
  #key?: Promise<CryptoKey>;

  constructor(dir: string) {
    this.dir = dir;
  }

  async load(): Promise<string | null> {
    let sealed: Buffer;
    try {
      sealed = await readFile(join(this.dir, STATE_FILE));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw storageError('STORAGE_UNAVAILABLE', `cannot read ${STATE_FILE}: ${(err as Error).message}`);
    }
    const key = await this.#keyOrFail(false);
    try {
      const bytes = new Uint8Array(sealed);
      const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES) }, key, bytes.subarray(IV_BYTES));
      return new TextDecoder().decode(plain);
    } catch {
      throw storageError('STATE_CORRUPT', `${STATE_FILE} does not decrypt with ${KEY_FILE}; it was left untouched`);
    }
  }

  async save(state: string): Promise<void> {
    const key = await this.#keyOrFail(true);
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const cipher = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(state)));
    const sealed = new Uint8Array(IV_BYTES + cipher.length);
    sealed.set(iv);
    sealed.set(cipher, IV_BYTES);
    await writeAtomically(join(this.dir, STATE_FILE), sealed, 0o600);
  }

  #keyOrFail(create: boolean): Promise<CryptoKey> {
    this.#key ??= this.#loadKey(create).catch((err) => {
      this.#key = undefined;
      throw err;
    });
    return this.#key;
  }

  async #loadKey(create: boolean): Promise<CryptoKey> {
    const path = join(this.dir, KEY_FILE);
    let raw: Uint8Array<ArrayBuffer>;
    try {
      raw = new Uint8Array(await readFile(path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw storageError('STORAGE_UNAVAILABLE', `cannot read ${KEY_FILE}: ${(err as Error).message}`);
      }
      if (!create) throw storageError('STATE_CORRUPT', `${STATE_FILE} exists but ${KEY_FILE} is missing`);
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      raw = crypto.getRandomValues(new Uint8Array(32));
      await writeFile(path, raw, { mode: 0o600, flag: 'wx' });
    }
    if (raw.length !== 32) throw storageError('STATE_CORRUPT', `${KEY_FILE} is not a 256-bit key`);
    const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    raw.fill(0);
    return key;
  }
}

async function writeAtomically(path: string, data: Uint8Array, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(tmp, mode);
  await rename(tmp, path);
}
