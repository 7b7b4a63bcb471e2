/**
 * Ending a persistent session on purpose. MQTT 3.1.1 has no way to say "forget me" in DISCONNECT:
 * AWS IoT keeps a `clean: false` session, and queues QoS 1 messages for it, for the persistent-session
 * expiry (1 hour by default; https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits).
 * Only a CONNECT with clean session set discards it. So `connectMqtt`'s `end()` connects once more,
 * clean, on the same client ID, and disconnects at once.
 */
import mqtt from 'mqtt';
import { CONNECTS_PER_SECOND_PER_CLIENT_ID } from '../lambda/iot-core-limits.js';
import { Sleeper, systemClock, type Clock } from './clock.js';

/**
 * AWS IoT accepts one CONNECT per second per client ID (`CONNECTS_PER_SECOND_PER_CLIENT_ID`, not
 * adjustable). The clean CONNECT waits this long after the last accepted one; the 100 ms margin
 * covers the two clocks' skew.
 */
export const CONNECT_RATE_WINDOW_MS = 1000 / CONNECTS_PER_SECOND_PER_CLIENT_ID + 100;
/** The clean CONNECT gives up after this: the session then expires on its own. */
export const DISCARD_TIMEOUT_MS = 5_000;

/** Options of {@link discardPersistentSession}. */
export interface DiscardSessionOptions {
  /** A presigned URL usable now. A bearer secret: it goes to mqtt.js's `transformWsUrl` only. */
  readonly url: string;
  /** The persistent session's client ID. */
  readonly clientId: string;
  /** Local time of the last CONNACK 0 on this client ID (the connect-rate window starts there). */
  readonly lastConnectedAt: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * Connects with clean session on `clientId`, which discards its persistent session and queued
 * messages, then disconnects. Never rejects.
 * @returns whether the session was discarded (`false`: the clean CONNECT failed or timed out)
 */
export async function discardPersistentSession(options: DiscardSessionOptions): Promise<boolean> {
  const clock = options.clock ?? systemClock;
  await new Sleeper(clock).sleep(options.lastConnectedAt + CONNECT_RATE_WINDOW_MS - clock.now());
  const target = new URL(options.url);
  const client = mqtt.connect(`${target.protocol}//${target.host}/mqtt`, {
    protocolVersion: 4,
    clean: true,
    clientId: options.clientId,
    reconnectPeriod: 0,
    connectTimeout: DISCARD_TIMEOUT_MS,
    transformWsUrl: () => options.url,
  });
  const connected = await new Promise<boolean>((resolve) => {
    client.once('connect', () => resolve(true));
    client.once('error', () => resolve(false));
    client.once('close', () => resolve(false));
  });
  await client.endAsync(!connected).catch(() => undefined);
  return connected;
}
