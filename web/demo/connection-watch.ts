/**
 * What the page says about a connection that dropped: a watch that turns a reconnect that does not
 * succeed within {@link OUTAGE_NOTICE_MS} into a clear error (the client itself keeps retrying
 * quietly, less often as the outage goes on), and the words for "reconnected", naming the URL that
 * was used: the one still held (no vend), or one vended because the held one was no longer usable,
 * with how long the vend took and how long the connection was gone. No DOM.
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

/** `1.2 s`, `850 ms`. */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The status after a reconnect: how long the connection was gone and which URL brought it back, so a
 * user sees that a drop costs a vend only when the URL held was no longer usable.
 * @param clientId the client ID
 * @param url what connectMqtt says the attempt used
 * @param lostAt when the connection dropped (local ms)
 * @param connectedAt when it came back (local ms)
 */
export function reconnectedText(clientId: string, url: ConnectionUrl | undefined, lostAt: number, connectedAt: number): string {
  const prefix = `Reconnected as ${clientId} after ${duration(connectedAt - lostAt)}`;
  if (url === undefined) return prefix;
  const until = `valid until ${clockTime(url.expiresAt)}`;
  if (url.vendedAt >= lostAt) {
    return `${prefix} with a newly vended URL, as the one held was no longer usable (vended at ${clockTime(url.vendedAt)} in ${duration(url.vendDurationMs)}; ${until})`;
  }
  if (url.vendedFor === 'prefetch') return `${prefix} with the prefetched URL, no new vend (fetched ahead at ${clockTime(url.vendedAt)}; ${until})`;
  if (url.vendedFor === 'connect') return `${prefix} with the URL vended when you connected, still usable: no new vend (vended at ${clockTime(url.vendedAt)}; ${until})`;
  return `${prefix} with the URL vended at ${clockTime(url.vendedAt)} for an earlier reconnect, still usable: no new vend (${until})`;
}

/** The "Current URL" line: why and when the URL in use was vended, how long that took, until when it is valid. */
export function urlText(url: ConnectionUrl | undefined): string {
  if (url === undefined) return '–';
  const why = url.vendedFor === 'connect' ? 'when you connected' : url.vendedFor === 'prefetch' ? 'ahead of time (prefetch)' : 'for a reconnect';
  return `vended ${why} at ${clockTime(url.vendedAt)} in ${duration(url.vendDurationMs)}; valid until ${clockTime(url.expiresAt)}`;
}

/** The error the page shows while the connection stays gone. */
export function outageText(since: number, endpoint: string, local: boolean): string {
  const hint = local ? ' Is the local stack (npm run dev) still running?' : '';
  return `No connection since ${clockTime(since)}: ${endpoint} cannot be reached or refuses the connection.${hint} Still retrying, less often as the outage goes on.`;
}
