/**
 * MQTT over WebSocket as the checks need it: one connection per user with mqtt.js (MQTT 3.1.1, as
 * AWS IoT and the local gateway speak it; no reconnects), whose every outcome is a value, not an
 * exception: a CONNACK code, a SUBACK code, a PUBACK or the connection closing.
 */
import type { MqttClient } from 'mqtt';
import type { MqttConnect } from './mqtt-loader.js';

/** A CONNECT's outcome. */
export type ConnectOutcome =
  | { readonly kind: 'connected'; readonly connection: ProbeConnection }
  /** A CONNACK with a non-zero return code (3 server unavailable, 4 bad credentials, 5 not authorized). */
  | { readonly kind: 'refused'; readonly returnCode: number }
  /** No CONNACK: the handshake was refused or the connection closed (or timed out) first. */
  | { readonly kind: 'closed'; readonly reason: string; readonly handshakeStatus?: number };

/** The SUBACK return code for a refused filter (MQTT 3.1.1 section 3.9.3). */
export const SUBACK_FAILURE = 0x80;

/** One message received. */
export interface ReceivedMessage {
  /** The topic it arrived on. */
  readonly topic: string;
  /** Its payload as UTF-8. */
  readonly payload: string;
}

/** An accepted connection and what it saw. */
export class ProbeConnection {
  /** The mqtt.js client. */
  readonly client: MqttClient;
  /** Every message received, in order. */
  readonly messages: ReceivedMessage[] = [];
  /** When the CONNACK arrived (epoch ms). */
  readonly connectedAt: number;
  #closed = false;
  readonly #closeWaiters = new Set<() => void>();

  /** @param client a client that has just received CONNACK 0 */
  constructor(client: MqttClient) {
    this.client = client;
    this.connectedAt = Date.now();
    client.on('message', (topic, payload) => this.messages.push({ topic, payload: payload.toString('utf8') }));
    client.on('close', () => {
      this.#closed = true;
      for (const wake of this.#closeWaiters) wake();
      this.#closeWaiters.clear();
    });
  }

  /** Whether the connection is still open. */
  get open(): boolean {
    return !this.#closed;
  }

  /** Resolves `true` once the connection closes, or `false` after `ms`. */
  async waitForClose(ms: number): Promise<boolean> {
    if (this.#closed) return true;
    return new Promise<boolean>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#closeWaiters.delete(wake);
        resolve(false);
      }, ms);
      this.#closeWaiters.add(wake);
    });
  }

  /**
   * Subscribes to one filter at QoS 1.
   * @returns the SUBACK code (0..2 granted, 0x80 refused), `closed`, or `timeout`
   */
  async subscribe(filter: string, ms: number): Promise<number | 'closed' | 'timeout'> {
    if (this.#closed) return 'closed';
    const suback = new Promise<number | 'closed'>((resolve) => {
      this.client.subscribe(filter, { qos: 1 }, (error, granted) => {
        // On a refusal mqtt.js passes the SUBACK on the error, and `granted` echoes the request.
        const fromError = (error as { packet?: { granted?: unknown } } | null | undefined)?.packet?.granted;
        const codes = Array.isArray(fromError) ? fromError.map(Number) : error ? undefined : granted?.map((grant) => grant.qos);
        resolve(codes?.[0] ?? 'closed');
      });
    });
    return this.#within(suback, ms);
  }

  /**
   * Publishes at QoS 1.
   * @returns `acked` on PUBACK, `closed` when the connection closed first, or `timeout`
   */
  async publish(topic: string, payload: string, ms: number): Promise<'acked' | 'closed' | 'timeout'> {
    if (this.#closed) return 'closed';
    const acked = new Promise<'acked' | 'closed'>((resolve) => {
      this.client.publish(topic, payload, { qos: 1 }, (error) => resolve(error ? 'closed' : 'acked'));
    });
    return this.#within(acked, ms);
  }

  /** Resolves `true` once `payload` arrives on `topic` (or has already), or `false` after `ms`. */
  async waitForMessage(topic: string, payload: string, ms: number): Promise<boolean> {
    const seen = (): boolean => this.messages.some((message) => message.topic === topic && message.payload === payload);
    if (seen()) return true;
    return new Promise<boolean>((resolve) => {
      const onMessage = (): void => {
        if (!seen()) return;
        clearTimeout(timer);
        this.client.off('message', onMessage);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.client.off('message', onMessage);
        resolve(seen());
      }, ms);
      this.client.on('message', onMessage);
    });
  }

  /** Closes the connection without waiting on a peer that may be gone. */
  async end(): Promise<void> {
    if (this.#closed) {
      this.client.end(true);
      return;
    }
    await new Promise<void>((resolve) => this.client.end(true, {}, () => resolve()));
  }

  async #within<T>(promise: Promise<T>, ms: number): Promise<T | 'closed' | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    let wake: (() => void) | undefined;
    const limits = new Promise<'closed' | 'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
      wake = () => resolve('closed');
      this.#closeWaiters.add(wake);
    });
    try {
      return await Promise.race([promise, limits]);
    } finally {
      clearTimeout(timer);
      if (wake !== undefined) this.#closeWaiters.delete(wake);
    }
  }
}

/**
 * Connects to `url` as `clientId` with a clean session.
 * @param ms how long to wait for CONNACK
 */
export async function connectProbe(connect: MqttConnect, url: string, clientId: string, ms: number): Promise<ConnectOutcome> {
  const client = connect(url, { clientId, protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: Math.max(1, ms), keepalive: 30 });
  return new Promise<ConnectOutcome>((resolve) => {
    let settled = false;
    let refusal: number | undefined;
    let reason = 'the connection closed before CONNACK';
    let handshakeStatus: number | undefined;
    const settle = (outcome: ConnectOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (outcome.kind !== 'connected') client.end(true);
      resolve(outcome);
    };
    const timer = setTimeout(() => settle({ kind: 'closed', reason: `no CONNACK within ${Math.round(ms)} ms` }), ms);
    // Errors after CONNACK are seen as the connection closing; listening keeps them from being thrown.
    client.on('error', (error: Error & { code?: unknown }) => {
      if (typeof error.code === 'number' && error.code !== 0) refusal = error.code;
      else {
        // ws words a refused handshake "Unexpected server response: 403".
        const status = /Unexpected server response: (\d{3})/.exec(error.message)?.[1];
        handshakeStatus = status === undefined ? undefined : Number(status);
        reason = handshakeStatus === undefined ? 'the connection closed before CONNACK' : `the WebSocket handshake was refused with HTTP ${handshakeStatus}`;
      }
    });
    client.once('connect', () => settle({ kind: 'connected', connection: new ProbeConnection(client) }));
    client.once('close', () => {
      if (refusal !== undefined) settle({ kind: 'refused', returnCode: refusal });
      else settle(handshakeStatus === undefined ? { kind: 'closed', reason } : { kind: 'closed', reason, handshakeStatus });
    });
  });
}

/** Words a CONNACK return code (MQTT 3.1.1 section 3.2.2.3). */
export function connackName(code: number): string {
  const names: Readonly<Record<number, string>> = {
    1: 'unacceptable protocol version',
    2: 'identifier rejected',
    3: 'server unavailable',
    4: 'bad user name or password',
    5: 'not authorized',
  };
  return `CONNACK ${code} (${names[code] ?? 'unknown code'})`;
}
