import { storageError } from './errors.js';
import type { StateStorage } from './types.js';

const DB_VERSION = 1;
const STORE = 'records';
const KEY_RECORD = 'key';
const STATE_RECORD = 'state';

/**
 * Browser storage: the state blob encrypted with AES-256-GCM under a non-extractable WebCrypto
 * key that is itself kept in IndexedDB (structured clone of a CryptoKey). The script can use the
 * key but never read it. Each save is one IndexedDB transaction, so it lands whole or not at all.
 */
export class IndexedDbStorage implements StateStorage {
  readonly name: string;
  #db?: Promise<IDBDatabase>;

  constructor(name = 'tapgate') {
    this.name = name;
  }

  async load(): Promise<string | null> {
    const db = await this.#open();
    const record = (await request(db.transaction(STORE).objectStore(STORE).get(STATE_RECORD))) as { iv: Uint8Array<ArrayBuffer>; data: ArrayBuffer } | undefined;
    if (!record) return null;
    const key = await this.#key(db, false);
    try {
      return new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: record.iv }, key, record.data));
    } catch {
      throw storageError('STATE_CORRUPT', 'stored state does not decrypt; it was left untouched');
    }
  }

  async save(state: string): Promise<void> {
    const db = await this.#open();
    const key = await this.#key(db, true);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(state));
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put({ iv, data }, STATE_RECORD);
    await done(tx);
  }

  #open(): Promise<IDBDatabase> {
    this.#db ??= new Promise<IDBDatabase>((resolve, reject) => {
      if (typeof indexedDB === 'undefined') {
        reject(storageError('STORAGE_UNAVAILABLE', 'IndexedDB is not available here; pass a StateStorage'));
        return;
      }
      const req = indexedDB.open(this.name, DB_VERSION);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(storageError('STORAGE_UNAVAILABLE', `IndexedDB open failed: ${req.error?.message}`));
      req.onblocked = () => reject(storageError('STORAGE_UNAVAILABLE', 'IndexedDB is blocked by another tab'));
    });
    return this.#db;
  }

  async #key(db: IDBDatabase, create: boolean): Promise<CryptoKey> {
    const existing = (await request(db.transaction(STORE).objectStore(STORE).get(KEY_RECORD))) as CryptoKey | undefined;
    if (existing) return existing;
    if (!create) throw storageError('STATE_CORRUPT', 'stored state exists but its key is gone');
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const tx = db.transaction(STORE, 'readwrite');
    try {
      tx.objectStore(STORE).add(key, KEY_RECORD);
    } catch (err) {
      throw storageError('STORAGE_UNAVAILABLE', `this browser can't store CryptoKeys in IndexedDB: ${(err as Error).message}`);
    }
    await done(tx);
    return key;
  }
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(storageError('STORAGE_UNAVAILABLE', `IndexedDB read failed: ${req.error?.message}`));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(storageError('STORAGE_UNAVAILABLE', `IndexedDB write failed: ${tx.error?.message}`));
  });
}
