/**
 * AWS IoT's "connect requests per second per client ID" quota (1, not adjustable; see
 * `CONNECTS_PER_SECOND_PER_CLIENT_ID` in `broker-limits.ts` for the source): a CONNECT for a client ID
 * that was accepted less than a second ago is refused. Only accepted CONNECTs count, so a refused
 * attempt does not push the next one back, and nobody can lock a client ID out by sending CONNECTs
 * its policy refuses.
 */
import { CONNECTS_PER_SECOND_PER_CLIENT_ID } from './broker-limits.js';

const WINDOW_MS = 1000 / CONNECTS_PER_SECOND_PER_CLIENT_ID;

/** Remembers when each client ID last connected, for one window. */
export class ConnectThrottle {
  readonly #now: () => number;
  readonly #lastAccepted = new Map<string, number>();

  /** @param now the clock, in ms (the gateway's, so tests can move it instead of waiting) */
  constructor(now: () => number) {
    this.#now = now;
  }

  /**
   * Records a CONNECT for `clientId` if the quota allows it.
   * @returns `undefined` when accepted, else how many ms remain until the client ID may connect again
   */
  tryConnect(clientId: string): number | undefined {
    const now = this.#now();
    this.#forgetOlderThan(now - WINDOW_MS);
    const last = this.#lastAccepted.get(clientId);
    // A clock that went back (a test moving it) counts as a new window rather than a long wait.
    if (last !== undefined && now >= last && now - last < WINDOW_MS) return WINDOW_MS - (now - last);
    // Re-inserted, so the map stays in acceptance order and pruning can stop at the first recent one.
    this.#lastAccepted.delete(clientId);
    this.#lastAccepted.set(clientId, now);
    return undefined;
  }

  /** Keeps the map as small as the number of client IDs that connected in the last window. */
  #forgetOlderThan(cutoff: number): void {
    for (const [clientId, at] of this.#lastAccepted) {
      if (at > cutoff) return;
      this.#lastAccepted.delete(clientId);
    }
  }
}
