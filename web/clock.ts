/**
 * The time source of the reconnect logic. Production code uses {@link systemClock}, which looks the
 * globals up on every call (so test fake timers apply); the reconnect benchmark passes a virtual
 * clock to simulate hours of a connected tab in milliseconds.
 */

/** `Date.now`, `setTimeout` and `clearTimeout`, as one replaceable object. */
export interface Clock {
  /** Local time in ms, as `Date.now()`. */
  now(): number;
  /** Calls `callback` after `ms`; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a pending {@link Clock.setTimeout}. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: the global `Date.now`, `setTimeout` and `clearTimeout`, looked up per call. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The longest delay `setTimeout` holds; a longer one overflows and fires at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * One wait at a time on a {@link Clock} that can be cut short: the reconnect logic sleeps through
 * backoffs and `Retry-After`, and stopping the client must end the sleep at once, not after it.
 */
export class Sleeper {
  readonly #clock: Clock;
  #pending: { readonly timer: unknown; readonly wake: () => void } | undefined;

  /** @param clock the time source */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Resolves after `ms` (at once when `ms` ≤ 0), or when {@link Sleeper.wake} is called. Waits longer
   * than timers can hold (2^31 − 1 ms, about 24.8 days) are cut to that: an overflowing `setTimeout`
   * fires at once instead, which would turn a long wait into a busy loop.
   */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        this.#pending = undefined;
        resolve();
      }, Math.min(ms, MAX_TIMER_MS));
      this.#pending = { timer, wake: resolve };
    });
  }

  /** Ends the current sleep now, if any. */
  wake(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending === undefined) return;
    this.#clock.clearTimeout(pending.timer);
    pending.wake();
  }
}
