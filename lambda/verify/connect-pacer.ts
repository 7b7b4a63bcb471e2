/**
 * AWS IoT accepts one CONNECT per second per client ID (not adjustable). `verify` connects the same
 * client IDs more than once, so it waits the window out itself: then a refusal can only be the policy,
 * never the limit passing for it.
 */
import { CONNECTS_PER_SECOND_PER_CLIENT_ID } from '../iot-core-limits.js';
import { sleep } from './deadline.js';

/** AWS IoT's window for one CONNECT per client ID. */
export const CONNECT_WINDOW_MS = 1000 / CONNECTS_PER_SECOND_PER_CLIENT_ID;
/** Added to the window: the broker's clock starts at its CONNACK, ours when it arrived. */
const MARGIN_MS = 250;

/** Remembers when each client ID last connected. */
export class ConnectPacer {
  readonly #lastAccepted = new Map<string, number>();

  /** Records an accepted CONNECT (CONNACK 0) for `clientId` at `at` (epoch ms). */
  accepted(clientId: string, at: number = Date.now()): void {
    this.#lastAccepted.set(clientId, at);
  }

  /** Waits until `clientId` may connect again without meeting the limit. */
  async waitOut(clientId: string, signal?: AbortSignal): Promise<void> {
    const last = this.#lastAccepted.get(clientId);
    if (last === undefined) return;
    await sleep(last + CONNECT_WINDOW_MS + MARGIN_MS - Date.now(), signal);
  }
}
