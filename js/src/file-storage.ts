import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { storageError } from './errors.js';
import type { StateStorage } from './types.js';

const KEY_FILE = 'state.key';
const STATE_FILE = 'state.bin';
const KEY_BYTES = 32;
const IV_BYTES = 12;

/**
 * Node storage: the state blob encrypted with AES-256-GCM under a key kept in a file only its
 * owner can read. Both files are written to a temporary file that is synced and then moved into
 * place (the key with `link`, which never replaces an existing key; the state with `rename`), and
 * the folder is synced after the move, so a crash or power loss leaves the previous files loadable.
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
    let raw = await readKeyFile(path);
    if (raw?.length !== KEY_BYTES) {
      // A key file that is missing or short (a crash while it was first written) is only ever
      // replaced while there is no state it could have encrypted: an account is never discarded.
      if (!create || (await exists(join(this.dir, STATE_FILE)))) {
        throw storageError('STATE_CORRUPT', raw ? `${KEY_FILE} is not a 256-bit key` : `${STATE_FILE} exists but ${KEY_FILE} is missing`);
      }
      raw = await createKeyFile(this.dir, path, raw);
    }
    const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    raw.fill(0);
    return key;
  }
}

/** The key file's bytes, or null when there is none. */
async function readKeyFile(path: string): Promise<Uint8Array<ArrayBuffer> | null> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw storageError('STORAGE_UNAVAILABLE', `cannot read ${KEY_FILE}: ${(err as Error).message}`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw storageError('STORAGE_UNAVAILABLE', `cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * Writes a fresh key completely (temporary file, fsync) before it gets its name, so the key file is
 * either absent or whole. `link` fails if the name exists: when another process got there first,
 * its key is used rather than overwritten. `torn` is the short file a crash left, removed first.
 */
async function createKeyFile(dir: string, path: string, torn: Uint8Array | null): Promise<Uint8Array<ArrayBuffer>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const raw = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  const tmp = tempName(path);
  await writeSynced(tmp, raw, 0o600);
  try {
    // Re-read just before removing: only a file that is still short goes.
    if (torn && (await readKeyFile(path))?.length !== KEY_BYTES) await unlink(path).catch(ignoreMissing);
    try {
      await link(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      raw.fill(0);
      const theirs = await readKeyFile(path);
      if (theirs?.length !== KEY_BYTES) throw storageError('STATE_CORRUPT', `${KEY_FILE} is not a 256-bit key`);
      return theirs;
    }
    await syncDir(dir);
    return raw;
  } finally {
    await unlink(tmp).catch(ignoreMissing);
  }
}

async function writeAtomically(path: string, data: Uint8Array, mode: number): Promise<void> {
  const tmp = tempName(path);
  await writeSynced(tmp, data, mode);
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await syncDir(dirname(path));  // the rename itself survives a power loss only once the folder is synced
}

async function writeSynced(path: string, data: Uint8Array, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(path, mode);  // the umask may have narrowed `mode`; never widened
}

async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;  // directories cannot be opened for fsync there
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Unique per process and call, so concurrent writers never share a temporary file. */
function tempName(path: string): string {
  const suffix = Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString('hex');
  return `${path}.${process.pid}.${suffix}.tmp`;
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
