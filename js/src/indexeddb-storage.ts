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
 * Where IndexedDB or CryptoKey storage is unavailable every call rejects with STORAGE_UNAVAILABLE;
 * wrap it in a FallbackStorage to keep working in memory instead.
 */
export class IndexedDbStorage implements StateStorage {
  readonly name: string;
  #db?: Promise<IDBDatabase>;
  #key?: CryptoKey;

  constructor(name = 'tapgate') {
    this.name = name;
  }

  async load(): Promise<string | null> {
    const db = await this.#open();
    const record = (await request(db.transaction(STORE).objectStore(STORE).get(STATE_RECORD))) as { iv: Uint8Array<ArrayBuffer>; data: ArrayBuffer } | undefined;
    if (!record) return null;
    const key = await this.#storedKey(db);
    if (!key) throw storageError('STATE_CORRUPT', 'stored state exists but its key is gone');
    try {
      return new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: record.iv }, key, record.data));
    } catch {
      throw storageError('STATE_CORRUPT', 'stored state does not decrypt; it was left untouched');
    }
  }

  /**
   * One readwrite transaction per save. The first save stores the new key and the state in the
   * same transaction, so the store never holds a state whose key is missing, nor a key that no
   * state uses; if another tab stored a key first, this save fails whole and changes nothing.
   */
  async save(state: string): Promise<void> {
    const db = await this.#open();
    const existing = await this.#storedKey(db);
    const key = existing ?? (await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']));
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(state));
    const tx = db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    try {
      if (!existing) store.add(key, KEY_RECORD);  // add, not put: never replaces another tab's key
      store.put({ iv, data }, STATE_RECORD);
    } catch (err) {
      tx.abort();
      // DataCloneError: this browser (e.g. some private modes) can't keep a CryptoKey in IndexedDB.
      throw storageError('STORAGE_UNAVAILABLE', `this browser can't store the state in IndexedDB: ${(err as Error).name}: ${(err as Error).message}`);
    }
    await done(tx);
    this.#key = key;
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

  /** The key, read once per instance (it never changes once stored). */
  async #storedKey(db: IDBDatabase): Promise<CryptoKey | undefined> {
    this.#key ??= (await request(db.transaction(STORE).objectStore(STORE).get(KEY_RECORD))) as CryptoKey | undefined;
    return this.#key;
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
