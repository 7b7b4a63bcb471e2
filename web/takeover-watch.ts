/**
 * Feeds a {@link TakeoverDetector} from an mqtt.js client's events, and reports a conflict once.
 * The rule itself (what counts as a kick, what excuses a close) is in `takeover-detector.ts`.
 */
import { systemClock, type Clock } from './clock.js';
import { TakeoverDetector } from './takeover-detector.js';

/** A packet as mqtt.js hands it to `packetsend` / `packetreceive` listeners (the fields read here). */
interface PacketLike {
  readonly cmd?: string;
  readonly messageId?: number;
  readonly qos?: number;
}

/** What the watch needs of an mqtt.js client (`MqttClient` has it all). */
export interface WatchableClient {
  readonly disconnecting: boolean;
  on(event: 'connect' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'packetsend' | 'packetreceive', listener: (packet: PacketLike) => void): unknown;
}

/** Options of {@link watchTakeovers}. */
export interface TakeoverWatchOptions {
  /** Called once, with the kicks counted, when the client ID is held by another connection too. */
  readonly onConflict: (kicks: number) => void;
  /** Told about every CONNACK refusal, with its return code (the gate retries after code 3). */
  readonly onConnackRefused?: (returnCode: number) => void;
  /**
   * Whether the device is offline now (a close then is the network's).
   * @default - `navigator.onLine === false` where there is a `navigator`, else never
   */
  readonly isOffline?: () => boolean;
  /**
   * Time source.
   * @default systemClock
   */
  readonly clock?: Clock;
}

/** mqtt.js's own words when it gives up on a silent connection (`onKeepaliveTimeout`). */
const KEEPALIVE_TIMEOUT_MESSAGE = 'Keepalive timeout';
const ACKS = new Set(['puback', 'suback', 'unsuback']);

function browserOffline(): boolean {
  const nav = (globalThis as { navigator?: { onLine?: unknown } }).navigator;
  return nav?.onLine === false;
}

/** A CONNACK refusal's return code: mqtt.js emits `Connection refused: …` errors carrying it as `code`. */
function connackRefusalCode(error: Error): number | undefined {
  const { code } = error as { code?: unknown };
  return error.message.startsWith('Connection refused') && typeof code === 'number' ? code : undefined;
}

/**
 * Watches `client` for a client-ID takeover loop; calls `onConflict` once when one is seen.
 * Closes the client itself never: the caller decides what stopping means.
 */
export function watchTakeovers(client: WatchableClient, options: TakeoverWatchOptions): void {
  const clock = options.clock ?? systemClock;
  const isOffline = options.isOffline ?? browserOffline;
  const detector = new TakeoverDetector();
  let keepaliveTimedOut = false;
  let reported = false;

  client.on('connect', () => {
    keepaliveTimedOut = false;
    detector.connected(clock.now());
  });
  client.on('packetsend', (packet) => {
    if (packet.cmd !== undefined) detector.sent(packet.cmd, clock.now(), packet.messageId, packet.qos);
  });
  client.on('packetreceive', (packet) => {
    if (packet.cmd !== undefined && ACKS.has(packet.cmd) && packet.messageId !== undefined) detector.acknowledged(packet.messageId);
  });
  client.on('error', (error) => {
    if (error.message === KEEPALIVE_TIMEOUT_MESSAGE) {
      keepaliveTimedOut = true;
      return;
    }
    const code = connackRefusalCode(error);
    if (code === undefined) return;
    options.onConnackRefused?.(code);
    if (detector.refused(code, clock.now()) === 'conflict') report();
  });
  client.on('close', () => {
    // The app's own end() (or ours) is no takeover.
    if (client.disconnecting) return;
    const verdict = detector.closed(clock.now(), { keepaliveTimedOut, offline: isOffline() });
    keepaliveTimedOut = false;
    if (verdict === 'conflict') report();
  });

  function report(): void {
    if (reported) return;
    reported = true;
    options.onConflict(detector.kicks);
  }
}
