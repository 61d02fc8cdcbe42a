import type { StateStorage } from './types.js';

/** Keeps the state in memory only: for tests and throwaway authenticators. */
export class MemoryStorage implements StateStorage {
  #state: string | null = null;
  async load(): Promise<string | null> {
    return this.#state;
  }
  async save(state: string): Promise<void> {
    this.#state = state;
  }
}
