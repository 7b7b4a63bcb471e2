/**
 * `--timeout` as one deadline for the whole run: every wait (token command, vend, MQTT) is bounded
 * by what remains of it, so the run ends on time whatever hangs.
 */
import { VerifyTimeoutError } from './errors.js';

/** The run's deadline. */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #endsAt: number;
  /** `--timeout`, in seconds (for messages). */
  readonly seconds: number;

  /** @param seconds how long the run may take from now */
  constructor(seconds: number) {
    this.seconds = seconds;
    this.#endsAt = Date.now() + seconds * 1000;
    this.#timer = setTimeout(() => this.#controller.abort(new VerifyTimeoutError(seconds)), seconds * 1000);
    // The run's own work keeps the process alive; the deadline alone must not.
    this.#timer.unref();
  }

  /** Aborted when the deadline passes. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether the deadline has passed. */
  get expired(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Milliseconds left, at least 0. */
  remainingMs(): number {
    return Math.max(0, this.#endsAt - Date.now());
  }

  /** The smaller of `ms` and what remains. */
  bound(ms: number): number {
    return Math.min(ms, this.remainingMs());
  }

  /**
   * Settles as `promise` does, or rejects with {@link VerifyTimeoutError} when the deadline passes first.
   */
  async race<T>(promise: Promise<T>): Promise<T> {
    const signal = this.#controller.signal;
    if (signal.aborted) throw new VerifyTimeoutError(this.seconds);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(new VerifyTimeoutError(this.seconds));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([promise, aborted]);
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    }
  }

  /** Stops the timer (the run is over). */
  dispose(): void {
    clearTimeout(this.#timer);
  }
}

/** Resolves after `ms`, or at once when `signal` is aborted. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted === true) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
