/**
 * What the page says about a connection that dropped: a watch that turns a reconnect that does not
 * succeed within {@link OUTAGE_NOTICE_MS} into a clear error (mqtt.js itself keeps retrying quietly
 * for ever), and the words for "reconnected", naming the URL that was used: the one held ready
 * (prefetched, or still the one vended at connect) or one vended after the drop. No DOM.
 */
import type { ConnectionUrl } from '../connect-mqtt.js';

/** How long after a drop the page says that the connection does not come back. */
export const OUTAGE_NOTICE_MS = 5_000;

/** Calls `onOutage` once when a lost connection has not come back within `delayMs`. */
export class OutageWatch {
  readonly #onOutage: (since: number) => void;
  readonly #delayMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #since: number | undefined;
  #reported = false;

  /**
   * @param onOutage told when the connection has been gone for `delayMs`, with when it went
   * @param delayMs the grace period
   */
  constructor(onOutage: (since: number) => void, delayMs = OUTAGE_NOTICE_MS) {
    this.#onOutage = onOutage;
    this.#delayMs = delayMs;
  }

  /** When the connection was lost (local ms), while it is; `undefined` when connected. */
  get since(): number | undefined {
    return this.#since;
  }

  /** Whether the outage has been reported (the page shows an error until it reconnects). */
  get reported(): boolean {
    return this.#reported;
  }

  /** The connection is gone (again): starts the grace period unless one runs. */
  lost(): void {
    if (this.#since !== undefined) return;
    const since = Date.now();
    this.#since = since;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#reported = true;
      this.#onOutage(since);
    }, this.#delayMs);
  }

  /** The connection is back (or was ended on purpose): forgets the outage. */
  reset(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#since = undefined;
    this.#reported = false;
  }
}

/** `12:04:05` in the browser's locale. */
export function clockTime(ms: number | string): string {
  return new Date(ms).toLocaleTimeString();
}

/**
 * The status after a reconnect: which URL it used, so a user sees that a URL held ready was reused
 * or that a new one was vended after the drop.
 * @param clientId the client ID
 * @param url what connectMqtt says the attempt used
 * @param lostAt when the connection dropped (local ms)
 */
export function reconnectedText(clientId: string, url: ConnectionUrl | undefined, lostAt: number): string {
  const prefix = `Reconnected as ${clientId}`;
  if (url === undefined) return prefix;
  const until = `valid until ${clockTime(url.expiresAt)}`;
  if (url.vendedAt >= lostAt) return `${prefix} with a newly vended URL (vended at ${clockTime(url.vendedAt)}, after the drop; ${until})`;
  if (url.vendedFor === 'prefetch') return `${prefix} with the prefetched URL (fetched ahead at ${clockTime(url.vendedAt)}; ${until})`;
  if (url.vendedFor === 'connect') return `${prefix} with the URL vended when you connected (at ${clockTime(url.vendedAt)}; ${until})`;
  return `${prefix} with the URL vended at ${clockTime(url.vendedAt)} for an earlier reconnect (${until})`;
}

/** The error the page shows while the connection stays gone. */
export function outageText(since: number, endpoint: string, local: boolean): string {
  const hint = local ? ' Is the local stack (npm run dev) still running?' : '';
  return `No connection since ${clockTime(since)}: ${endpoint} cannot be reached or refuses the connection.${hint} Still retrying every second.`;
}
