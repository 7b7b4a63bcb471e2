/**
 * Keeps a usable presigned URL at hand. mqtt.js asks for the WebSocket URL synchronously (its
 * `transformWsUrl` hook cannot wait for a network call), so the next URL is fetched ahead of time:
 * a timer prefetches it before the current one expires, and failed refreshes are retried with backoff.
 * A refusal that no retry can fix (a `VendingError` whose `permanent` is set: 400, 401 after the
 * token refresh, 403, …) stops the keeper instead: retrying it would call the token provider (and
 * Cognito) and the API every 30 s forever.
 */
import { VendingError } from './errors.js';
import { prefetchDelayMs, retryDelayMs } from './refresh-schedule.js';
import type { ReceivedMqttUrl } from './types.js';

/**
 * Why a URL was vended: `connect` by `connectMqtt` itself, `prefetch` on the keeper's timer ahead
 * of the previous one's expiry, `reconnect` because a connection needed one (the held URL would be
 * stale by the next attempt, or it failed to connect). A retried vend keeps the reason it started with.
 */
export type VendReason = 'connect' | 'prefetch' | 'reconnect';

/** A held URL and why it was vended. */
export interface KeptUrl {
  readonly url: ReceivedMqttUrl;
  readonly reason: VendReason;
}

/** Options of {@link FreshUrlKeeper}. */
export interface FreshUrlKeeperOptions {
  /** The URL vended at connection time. */
  readonly initial: ReceivedMqttUrl;
  /** Vends a new URL; must reject when `signal` aborts. */
  readonly vend: (signal: AbortSignal) => Promise<ReceivedMqttUrl>;
  /**
   * Told about every failed refresh. The keeper retries on its own, except after a permanent
   * refusal (`error instanceof VendingError && error.permanent`): it has then stopped for good
   * ({@link FreshUrlKeeper.stopped} is `true`) before this is called, and this is its last call.
   */
  readonly onRefreshError: (error: unknown) => void;
  /**
   * Source of jitter in [0, 1).
   * @default Math.random
   */
  readonly random?: (() => number) | undefined;
}

/**
 * Holds the freshest vended URL and refreshes it in the background until {@link FreshUrlKeeper.stop}.
 */
export class FreshUrlKeeper {
  #latest: KeptUrl;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<void> | undefined;
  #failures = 0;
  #stopped = false;
  readonly #abort = new AbortController();
  readonly #options: FreshUrlKeeperOptions;
  readonly #random: () => number;

  /** Starts the prefetch timer for `options.initial`. */
  constructor(options: FreshUrlKeeperOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
    this.#latest = { url: options.initial, reason: 'connect' };
    this.#scheduleNextPrefetch();
  }

  /** The freshest URL and why it was vended. */
  get latest(): KeptUrl {
    return this.#latest;
  }

  /** Whether the keeper has stopped: {@link FreshUrlKeeper.stop} was called or a refusal was permanent. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Whether the latest URL may still be used for a connection started at `at` (local ms). */
  isUsable(at: number = Date.now()): boolean {
    return at < this.#latest.url.usableUntil;
  }

  /**
   * The URL for a connection attempt starting now. When even the freshest URL is past its use-by
   * time (the API was unreachable for the URL's whole life, or the device slept), a refresh starts
   * at once and the old URL is returned: the endpoint refuses it at the WebSocket handshake, so the
   * attempt fails fast, and mqtt.js's next attempt gets the new URL. A synchronous hook has no
   * better option: it cannot wait, and throwing would escape mqtt.js's reconnect timer.
   */
  urlForConnection(): string {
    if (!this.isUsable()) void this.refresh();
    return this.#latest.url.url;
  }

  /**
   * Vends a new URL now unless one is already on its way or the keeper has stopped. Never rejects:
   * failures go to `onRefreshError` and, unless permanent, are retried with backoff.
   * @param reason why, recorded with the URL (see {@link VendReason})
   */
  refresh(reason: VendReason = 'reconnect'): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#inFlight) return this.#inFlight;
    this.#clearTimer();
    const run = this.#run(reason).finally(() => {
      this.#inFlight = undefined;
    });
    this.#inFlight = run;
    return run;
  }

  /**
   * The held URL failed to connect: vend another now, unless a vend is on its way or a failed one
   * is waiting out its backoff (its retry will bring the new URL), so a dead endpoint is not met
   * with a vend per connection attempt.
   */
  replace(): void {
    if (this.#failures > 0 && this.#timer !== undefined) return;
    void this.refresh('reconnect');
  }

  /** Cancels the timer and any request in flight. Idempotent. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
    this.#abort.abort();
  }

  async #run(reason: VendReason): Promise<void> {
    let next: ReceivedMqttUrl;
    try {
      next = await this.#options.vend(this.#abort.signal);
    } catch (error) {
      if (this.#stopped) return;
      if (error instanceof VendingError && error.permanent) {
        this.stop();
        this.#notify(() => this.#options.onRefreshError(error));
        return;
      }
      this.#failures += 1;
      const retryAfter = error instanceof VendingError ? error.retryAfterSeconds : undefined;
      this.#schedule(retryDelayMs(this.#failures, retryAfter, this.#random()), reason);
      this.#notify(() => this.#options.onRefreshError(error));
      return;
    }
    if (this.#stopped) return;
    this.#latest = { url: next, reason };
    this.#failures = 0;
    this.#scheduleNextPrefetch();
  }

  /** A throwing listener must not stop the refresh cycle. */
  #notify(listener: () => void): void {
    try {
      listener();
    } catch {
      // Listener errors are the caller's; the keeper keeps going.
    }
  }

  #scheduleNextPrefetch(): void {
    const { requestedAt, lifetimeMs } = this.#latest.url;
    this.#schedule(requestedAt + prefetchDelayMs(lifetimeMs, this.#random()) - Date.now(), 'prefetch');
  }

  #schedule(delayMs: number, reason: VendReason): void {
    this.#clearTimer();
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.refresh(reason);
    }, Math.max(0, delayMs));
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
