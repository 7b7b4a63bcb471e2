/**
 * A Map bounded to a number of entries that drops the least recently used one when full. The
 * signer's caches (signing keys, validated endpoints, encoded tokens) all need exactly this, so that
 * a long-running process signing for many secrets or endpoints cannot grow without limit.
 */
export class LruMap<K, V> {
  readonly #maxEntries: number;
  readonly #entries = new Map<K, V>();
  // The most recently used key: hits on it (the common case, one endpoint or session signing many
  // URLs in a row) need no reordering.
  #newest: K | undefined;

  /** @param maxEntries how many entries to keep (a positive integer). */
  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`LruMap maxEntries must be a positive integer (received ${String(maxEntries)})`);
    }
    this.#maxEntries = maxEntries;
  }

  /** How many entries are held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The value for `key`, which becomes the most recently used; `undefined` when absent. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined && key !== this.#newest) {
      // A Map iterates in insertion order, so re-inserting moves the entry to the recent end.
      this.#entries.delete(key);
      this.#entries.set(key, value);
      this.#newest = key;
    }
    return value;
  }

  /** Stores `value` under `key` as the most recently used, dropping the least recently used if full. */
  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    this.#newest = key;
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }
}
