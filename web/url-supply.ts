/**
 * The presigned URL a connection attempt will use. It holds the latest vended URL and vends a new
 * one only when asked for a URL that is missing or no longer usable (past its use-by time, or
 * retired after failed attempts). A tab whose connection stays up therefore never calls the API.
 *
 * Vends are bounded: one at a time (callers join the one in flight), and after a failure the next
 * waits out a backoff (1 s doubling to 30 s, never sooner than `Retry-After`). A refusal no retry can
 * fix (a `VendingError` whose `permanent` is set: 400, 401 after the token refresh, 403, …) stops
 * the supply for good: retrying it would call the token provider (and Cognito) and the API forever.
 *
 * With `prefetch: true` it also keeps the next URL ready ahead of time, as the client did before
 * (a timer at 80 % of the URL's life or 60 s before expiry): zero added latency on a reconnect, at
 * the cost of about 16 vends per connected tab-hour with 300 s URLs.
 */
import { Sleeper, systemClock, type Clock } from './clock.js';
import { VendingError } from './errors.js';
import { prefetchDelayMs, retryDelayMs } from './refresh-schedule.js';
import type { ReceivedMqttUrl } from './types.js';

/**
 * Why a URL was vended: `connect` by `connectMqtt` itself, `prefetch` on the timer of
 * `prefetch: true` ahead of the previous one's expiry, `reconnect` because a connection being
 * (re)opened needed one (the held URL was no longer usable, or failed to connect). A retried vend
 * keeps the reason it started with.
 */
export type VendReason = 'connect' | 'prefetch' | 'reconnect';

/** A held URL and why it was vended. */
export interface KeptUrl {
  readonly url: ReceivedMqttUrl;
  readonly reason: VendReason;
}

/** Options of {@link UrlSupply}. */
export interface UrlSupplyOptions {
  /** The URL vended at connection time. */
  readonly initial: ReceivedMqttUrl;
  /** Vends a new URL; must reject when `signal` aborts. */
  readonly vend: (signal: AbortSignal) => Promise<ReceivedMqttUrl>;
  /**
   * Told about every failed vend. The supply retries on its own, except after a permanent refusal
   * (`error instanceof VendingError && error.permanent`): it has then stopped for good
   * ({@link UrlSupply.stopped} is `true`) before this is called, and this is its last call.
   */
  readonly onVendError: (error: unknown) => void;
  /**
   * Keep the next URL ready ahead of time (the client's behaviour before vend-on-reconnect).
   * @default false
   */
  readonly prefetch?: boolean | undefined;
  /**
   * Source of jitter in [0, 1).
   * @default Math.random
   */
  readonly random?: (() => number) | undefined;
  /**
   * Time source.
   * @default systemClock
   */
  readonly clock?: Clock | undefined;
}

/** Holds the latest vended URL and vends another when one is needed, until {@link UrlSupply.stop}. */
export class UrlSupply {
  #latest: KeptUrl;
  /** The held URL failed to connect too often: the next attempt needs a new one, whatever its age. */
  #retired = false;
  #failures = 0;
  /** No vend starts before this local time (the backoff after a failed vend). */
  #notBefore = 0;
  /** The part of {@link UrlSupply.#notBefore} the API asked for (`Retry-After`): {@link UrlSupply.wake} keeps it. */
  #retryAfterUntil = 0;
  #inFlight: Promise<KeptUrl | undefined> | undefined;
  #prefetchTimer: unknown;
  #vends = 0;
  #stopped = false;
  readonly #abort = new AbortController();
  readonly #options: UrlSupplyOptions;
  readonly #random: () => number;
  readonly #clock: Clock;
  readonly #sleeper: Sleeper;

  /** Holds `options.initial`; with `prefetch` it also starts the prefetch timer. */
  constructor(options: UrlSupplyOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock ?? systemClock;
    this.#sleeper = new Sleeper(this.#clock);
    this.#latest = { url: options.initial, reason: 'connect' };
    this.#schedulePrefetch();
  }

  /** The latest URL and why it was vended (usable or not). */
  get latest(): KeptUrl {
    return this.#latest;
  }

  /** Whether the supply has stopped: {@link UrlSupply.stop} was called or a refusal was permanent. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** How many vends this supply has started (retries included; the initial URL not). */
  get vendCount(): number {
    return this.#vends;
  }

  /** Whether a vend is on its way (or waiting out its backoff). */
  get vending(): boolean {
    return this.#inFlight !== undefined;
  }

  /**
   * The held URL if a connection attempt starting at `at` (local ms) may use it: not retired, and
   * before its use-by time (5 s, or 10 % of its life, before it expires). Never vends.
   */
  usable(at: number = this.#clock.now()): KeptUrl | undefined {
    return !this.#retired && at < this.#latest.url.usableUntil ? this.#latest : undefined;
  }

  /**
   * The held URL failed to connect (the endpoint may have forgotten its session): the next
   * {@link UrlSupply.obtain} vends a new one even though this one has not expired.
   */
  retire(): void {
    this.#retired = true;
  }

  /**
   * A URL for a connection attempt starting at `at`: the held one when it is usable then, else a
   * new vend (joining one already on its way), retried with backoff until it succeeds. Never rejects.
   * @returns the URL, or `undefined` once the supply has stopped (ended, or a permanent refusal)
   */
  obtain(at: number = this.#clock.now(), reason: VendReason = 'reconnect'): Promise<KeptUrl | undefined> {
    const held = this.usable(at);
    if (held !== undefined) return Promise.resolve(held);
    return this.#vendUntilDone(reason);
  }

  /**
   * The network is back, or the page is in front of its user again: a vend waiting out its backoff
   * may go now, and the backoff starts over. It still never goes sooner than the API's `Retry-After`.
   */
  wake(): void {
    if (this.#stopped) return;
    this.#failures = 0;
    this.#notBefore = Math.min(this.#notBefore, Math.max(this.#retryAfterUntil, this.#clock.now()));
    this.#sleeper.wake();
  }

  /** Cancels the timers and any request in flight; pending {@link UrlSupply.obtain} calls resolve `undefined`. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#clearPrefetch();
    this.#sleeper.wake();
    this.#abort.abort();
  }

  #vendUntilDone(reason: VendReason): Promise<KeptUrl | undefined> {
    if (this.#stopped) return Promise.resolve(undefined);
    if (this.#inFlight !== undefined) return this.#inFlight;
    this.#clearPrefetch();
    const run = this.#run(reason).finally(() => {
      this.#inFlight = undefined;
    });
    this.#inFlight = run;
    return run;
  }

  async #run(reason: VendReason): Promise<KeptUrl | undefined> {
    while (!this.#stopped) {
      // A loop, because wake() ends a sleep early and may leave part of it (a Retry-After) to wait.
      while (!this.#stopped && this.#clock.now() < this.#notBefore) await this.#sleeper.sleep(this.#notBefore - this.#clock.now());
      if (this.#stopped) break;
      let next: ReceivedMqttUrl;
      try {
        this.#vends += 1;
        next = await this.#options.vend(this.#abort.signal);
      } catch (error) {
        if (this.#stopped) break;
        if (error instanceof VendingError && error.permanent) {
          this.stop();
          this.#notify(error);
          break;
        }
        this.#failures += 1;
        const retryAfter = error instanceof VendingError ? error.retryAfterSeconds : undefined;
        const now = this.#clock.now();
        this.#notBefore = now + retryDelayMs(this.#failures, retryAfter, this.#random());
        this.#retryAfterUntil = now + (retryAfter ?? 0) * 1000;
        this.#notify(error);
        continue;
      }
      if (this.#stopped) break;
      this.#latest = { url: next, reason };
      this.#retired = false;
      this.#failures = 0;
      this.#notBefore = 0;
      this.#retryAfterUntil = 0;
      this.#schedulePrefetch();
      return this.#latest;
    }
    return undefined;
  }

  /** A throwing listener must not stop the supply. */
  #notify(error: unknown): void {
    try {
      this.#options.onVendError(error);
    } catch {
      // Listener errors are the caller's; the supply keeps going.
    }
  }

  #schedulePrefetch(): void {
    this.#clearPrefetch();
    if (this.#options.prefetch !== true || this.#stopped) return;
    const { requestedAt, lifetimeMs } = this.#latest.url;
    const delay = requestedAt + prefetchDelayMs(lifetimeMs, this.#random()) - this.#clock.now();
    this.#prefetchTimer = this.#clock.setTimeout(() => {
      this.#prefetchTimer = undefined;
      void this.#vendUntilDone('prefetch');
    }, Math.max(0, delay));
  }

  #clearPrefetch(): void {
    if (this.#prefetchTimer !== undefined) this.#clock.clearTimeout(this.#prefetchTimer);
    this.#prefetchTimer = undefined;
  }
}
