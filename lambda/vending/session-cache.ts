/**
 * A bounded, least-recently-used cache of expiring values with one load in flight per key: however
 * many requests for a key arrive at once, they share a single load. Failed loads are not cached, so
 * the next request tries again. Used to keep one STS session per caller.
 *
 * A caller may stop waiting before the load ends (`maxWaitMs`), but the load is never abandoned: it
 * stays the key's one load in flight until it settles, so a caller arriving meanwhile joins it
 * instead of starting a second one, and a late value is still cached.
 */
import { LruMap } from '../signing/lru-map.js';

/** A cached value that carries its own expiry. */
export interface Expiring {
  /** When the value stops being usable, in epoch milliseconds. */
  readonly expiresAtMs: number;
}

/** The result of {@link SessionCache.get}. */
export interface CacheLookup<T> {
  /** The cached or freshly loaded value. */
  readonly value: T;
  /** `true` when served from the cache, `false` when this request waited for a load. */
  readonly hit: boolean;
}

/** Options of {@link SessionCache}. */
export interface SessionCacheOptions {
  /** How many keys to keep; the least recently used is dropped beyond it. */
  readonly maxEntries: number;
  /**
   * The clock, in epoch milliseconds.
   * @default - `Date.now`
   */
  readonly now?: () => number;
  /**
   * Milliseconds a caller waits for a load before {@link SessionCache.get} rejects with
   * `waitTimeoutError()`. The load goes on (see the module comment), so `load` must settle by
   * itself eventually: the cache never drops a load in flight.
   * @default - callers wait for the load to settle
   */
  readonly maxWaitMs?: number;
  /**
   * The error a caller that waited `maxWaitMs` in vain rejects with.
   * @default - an `Error` saying how long it waited
   */
  readonly waitTimeoutError?: () => Error;
}

/** See the module comment. */
export class SessionCache<T extends Expiring> {
  readonly #now: () => number;
  readonly #maxWaitMs: number | undefined;
  readonly #waitTimeoutError: () => Error;
  readonly #entries: LruMap<string, T>;
  readonly #inFlight = new Map<string, Promise<T>>();

  /** @param options see {@link SessionCacheOptions} */
  constructor(options: SessionCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError(`SessionCache maxEntries must be a positive integer (received ${String(options.maxEntries)})`);
    }
    this.#entries = new LruMap(options.maxEntries);
    if (options.maxWaitMs !== undefined && !(Number.isFinite(options.maxWaitMs) && options.maxWaitMs > 0)) {
      throw new RangeError(`SessionCache maxWaitMs must be a positive number of milliseconds (received ${String(options.maxWaitMs)})`);
    }
    this.#now = options.now ?? Date.now;
    this.#maxWaitMs = options.maxWaitMs;
    this.#waitTimeoutError = options.waitTimeoutError ?? (() => new Error(`SessionCache load did not settle within ${String(options.maxWaitMs)} ms`));
  }

  /** How many values are cached (loads in flight excluded). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The cached value for `key` when it still has `minRemainingMs` to live, else `undefined`; never
   * loads. A warm request takes its session from here without a promise or an await.
   */
  peek(key: string, minRemainingMs: number): T | undefined {
    // The lookup counts as a use even when the entry is too old to serve; a successful load replaces it.
    const cached = this.#entries.get(key);
    return cached !== undefined && cached.expiresAtMs - this.#now() >= minRemainingMs ? cached : undefined;
  }

  /**
   * Returns the cached value for `key` when at least `minRemainingMs` of it remains; otherwise joins
   * the load in flight for `key`, or starts one with `load`.
   *
   * @throws whatever `load` rejects with; nothing is cached then
   * @throws `waitTimeoutError()` when the load takes longer than `maxWaitMs`; the load stays in flight
   */
  async get(key: string, minRemainingMs: number, load: () => Promise<T>): Promise<CacheLookup<T>> {
    const cached = this.peek(key, minRemainingMs);
    if (cached !== undefined) return { value: cached, hit: true };
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      // Starting the load in a microtask keeps a synchronous throw from settling before the promise
      // is registered, which would leave a rejected promise in #inFlight for good.
      pending = Promise.resolve()
        .then(load)
        .then(
          (value) => {
            this.#inFlight.delete(key);
            this.#entries.set(key, value);
            return value;
          },
          (error: unknown) => {
            this.#inFlight.delete(key);
            throw error;
          },
        );
      this.#inFlight.set(key, pending);
    }
    return { value: await this.#wait(pending), hit: false };
  }

  #wait(pending: Promise<T>): Promise<T> {
    const maxWaitMs = this.#maxWaitMs;
    if (maxWaitMs === undefined) return pending;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(this.#waitTimeoutError()), maxWaitMs);
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
