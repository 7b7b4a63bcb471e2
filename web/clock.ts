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
