/**
 * A Map bounded to a number of entries that drops the least recently used one when full. The
 * signer's caches (signing keys, validated endpoints, encoded tokens) and the vending Lambda's
 * per-caller memos all need exactly this, so that a long-running process signing for many secrets,
 * endpoints or callers cannot grow without limit.
 *
 * The recency order is a doubly linked list beside the Map. A hit only relinks its entry: re-inserting
 * it into the Map instead (delete, then set) leaves a deleted slot behind each time, and a warm Lambda
 * request does that in half a dozen memos, so the tables kept being rebuilt and collected.
 */

/** One entry, linked from the least to the most recently used. */
interface Entry<K, V> {
  readonly key: K;
  value: V;
  /** The entry used just before this one; `undefined` for the least recently used. */
  older: Entry<K, V> | undefined;
  /** The entry used just after this one; `undefined` for the most recently used. */
  newer: Entry<K, V> | undefined;
}

/** A bounded map that evicts its least recently used entry. */
export class LruMap<K, V> {
  readonly #maxEntries: number;
  readonly #entries = new Map<K, Entry<K, V>>();
  #newest: Entry<K, V> | undefined;
  #oldest: Entry<K, V> | undefined;

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
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#toNewest(entry);
    return entry.value;
  }

  /** Stores `value` under `key` as the most recently used, dropping the least recently used if full. */
  set(key: K, value: V): void {
    const existing = this.#entries.get(key);
    if (existing !== undefined) {
      existing.value = value;
      this.#toNewest(existing);
      return;
    }
    const entry: Entry<K, V> = { key, value, older: this.#newest, newer: undefined };
    if (this.#newest === undefined) this.#oldest = entry;
    else this.#newest.newer = entry;
    this.#newest = entry;
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#maxEntries) this.#dropOldest();
  }

  // Moves an entry to the newest end; the newest one (no newer neighbour) is already there, which is
  // the common hit (one endpoint or session signing many URLs in a row).
  #toNewest(entry: Entry<K, V>): void {
    const { older, newer } = entry;
    if (newer === undefined) return;
    newer.older = older;
    if (older === undefined) this.#oldest = newer;
    else older.newer = newer;
    // An entry with a newer neighbour means the list is not empty: #newest is set.
    const newest = this.#newest as Entry<K, V>;
    newest.newer = entry;
    entry.older = newest;
    entry.newer = undefined;
    this.#newest = entry;
  }

  // Called only when the map holds more entries than its bound (at least 2): #oldest is set.
  #dropOldest(): void {
    const oldest = this.#oldest as Entry<K, V>;
    this.#oldest = oldest.newer;
    if (oldest.newer === undefined) this.#newest = undefined;
    else oldest.newer.older = undefined;
    this.#entries.delete(oldest.key);
  }
}
