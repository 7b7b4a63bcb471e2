/**
 * A simulated tab for the reconnect logic, without sockets: a virtual clock, and an mqtt.js-shaped
 * client whose attempts succeed or fail as a scripted network says. It reproduces what the gate
 * relies on in mqtt.js 5: an attempt is `connect()`, which calls `transformWsUrl` once; a closed
 * connection emits `close`, then mqtt.js calls `this.connect()` every `reconnectPeriod` until an
 * attempt starts; `end()` emits `end` and stops reconnecting. Used by the gate's tests and by the
 * reconnect benchmark (which simulates tab-hours in milliseconds).
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../web/clock.js';
import { ConnectGate } from '../../web/connect-gate.js';
import type { ReceivedMqttUrl } from '../../web/types.js';
import { UrlSupply } from '../../web/url-supply.js';
import { receiveMqttUrl } from '../../web/vended-url.js';
import { vendedBody } from './fixtures.js';

/** Mulberry32: a small seeded PRNG, so that simulated drops and jitter are the same on every run (the gate tests and the reconnect benchmark). */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Lets every pending promise continuation run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A clock that moves only when told; timers fire in order, and promise chains settle between them. */
export class VirtualClock implements Clock {
  #now: number;
  #serial = 0;
  readonly #timers = new Map<number, { readonly at: number; readonly callback: () => void }>();

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    this.#serial += 1;
    this.#timers.set(this.#serial, { at: this.#now + Math.max(0, ms), callback });
    return this.#serial;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Pending timers. */
  get timerCount(): number {
    return this.#timers.size;
  }

  /** Moves time on by `ms`, running every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    await settle();
    for (;;) {
      let next: [number, { readonly at: number; readonly callback: () => void }] | undefined;
      for (const entry of this.#timers) if (entry[1].at <= until && (next === undefined || entry[1].at < next[1].at)) next = entry;
      if (next === undefined) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].callback();
      await settle();
    }
    this.#now = until;
    await settle();
  }
}

/** Options of {@link SimulatedMqttClient}. */
export interface SimulatedClientOptions {
  readonly clock: Clock;
  /** mqtt.js's `transformWsUrl`. */
  readonly transformWsUrl: () => string;
  /** Whether the endpoint accepts an attempt with this URL now. */
  readonly accepts: (url: string) => boolean;
  /** @default 1000 */
  readonly reconnectPeriod?: number;
  /** Handshake + CONNACK time. @default 50 */
  readonly connectMs?: number;
}

/** An mqtt.js-shaped client (see the module comment). */
export class SimulatedMqttClient extends EventEmitter {
  connected = false;
  disconnecting = false;
  readonly options: { readonly reconnectPeriod: number };
  /** The URL of every attempt, in order. */
  readonly attempts: string[] = [];
  readonly #clock: Clock;
  readonly #settings: SimulatedClientOptions;
  #reconnectTimer: unknown;
  #attempt: unknown;
  /** Connected, but the socket is dead: nothing answers and no close comes (a laptop that slept). */
  #zombie = false;
  #refuseNext: number | undefined;
  /** PINGREQs sent ({@link SimulatedMqttClient.sendPing}). */
  pings = 0;
  /** The transport: destroying it closes the connection, as mqtt.js's stream does. */
  readonly stream = {
    destroy: (): void => {
      if (!this.connected) return;
      this.connected = false;
      this.#zombie = false;
      this.#closed();
    },
  };

  /** Starts the first attempt, as mqtt.js's constructor does. */
  constructor(settings: SimulatedClientOptions) {
    super();
    this.#settings = settings;
    this.#clock = settings.clock;
    this.options = { reconnectPeriod: settings.reconnectPeriod ?? 1_000 };
    this.connect();
  }

  /** One connection attempt (mqtt.js's `connect()`): the gate takes this method over. */
  connect(): this {
    this.#clearReconnect();
    const url = this.#settings.transformWsUrl();
    this.attempts.push(url);
    this.#attempt = this.#clock.setTimeout(() => {
      this.#attempt = undefined;
      if (this.disconnecting) return;
      const refusal = this.#refuseNext;
      this.#refuseNext = undefined;
      if (refusal !== undefined) {
        // mqtt.js on a CONNACK refusal: an error carrying the code, a close, and no reconnect timer.
        this.emit('error', Object.assign(new Error('Connection refused: Server unavailable'), { code: refusal }));
        this.emit('close');
        return;
      }
      if (this.#settings.accepts(url)) {
        this.connected = true;
        this.emit('connect');
      } else {
        this.#closed();
      }
    }, this.#settings.connectMs ?? 50);
    return this;
  }

  /** The next attempt gets a CONNACK refusal with `code`. */
  refuseNextWith(code: number): void {
    this.#refuseNext = code;
  }

  /** The socket dies without a close (the page slept): mqtt.js still believes it is connected. */
  dieSilently(): void {
    this.#zombie = true;
  }

  /** mqtt.js's PINGREQ: a live connection answers with a PINGRESP 10 ms later. */
  sendPing(): void {
    this.pings += 1;
    if (!this.connected || this.#zombie) return;
    this.#clock.setTimeout(() => {
      if (this.connected && !this.#zombie) this.emit('packetreceive', { cmd: 'pingresp' });
    }, 10);
  }

  /** The network drops the connection. */
  drop(): void {
    if (!this.connected) return;
    this.connected = false;
    this.#closed();
  }

  end(): this {
    if (this.disconnecting) return this;
    this.disconnecting = true;
    this.#clearReconnect();
    if (this.#attempt !== undefined) this.#clock.clearTimeout(this.#attempt);
    const wasConnected = this.connected;
    this.connected = false;
    if (wasConnected) this.emit('close');
    this.emit('end');
    return this;
  }

  #closed(): void {
    this.emit('close');
    if (this.disconnecting || this.#reconnectTimer !== undefined || this.options.reconnectPeriod <= 0) return;
    const tick = (): void => {
      this.#reconnectTimer = this.#clock.setTimeout(() => {
        tick(); // mqtt.js uses setInterval: it keeps ticking until connect() clears it
        this.emit('reconnect');
        this.connect();
      }, this.options.reconnectPeriod);
    };
    tick();
  }

  #clearReconnect(): void {
    if (this.#reconnectTimer !== undefined) this.#clock.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
  }
}

/** Options of {@link simulateTab}. */
export interface SimulatedTabOptions {
  readonly clock: VirtualClock;
  /** The URLs' lifetime. @default 300 */
  readonly ttlSeconds?: number;
  /** `connectMqtt`'s `prefetch`. @default false */
  readonly prefetch?: boolean;
  /** Whether the vending API answers now; `undefined` or `true`: 200. An error: it fails with that. */
  readonly api?: () => true | Error;
  /** Whether the endpoint accepts this URL now (default: any URL not yet expired). */
  readonly accepts?: (url: string, expiresAt: number) => boolean;
  readonly reconnectPeriod?: number;
  /** The vend's round trip. @default 30 */
  readonly vendMs?: number;
  readonly random?: () => number;
}

/** A connected tab: `connectMqtt`'s supply and gate wired to a simulated client, as `connectMqtt` wires them. */
export interface SimulatedTab {
  readonly client: SimulatedMqttClient;
  readonly supply: UrlSupply;
  readonly gate: ConnectGate;
  /** Vends so far, the first one (at connect) included. */
  readonly vends: () => number;
  readonly errors: unknown[];
}

/** Opens a simulated tab: one vend, then the client connects. */
export async function simulateTab(options: SimulatedTabOptions): Promise<SimulatedTab> {
  const { clock } = options;
  const ttlSeconds = options.ttlSeconds ?? 300;
  let serial = 0;
  const expiries = new Map<string, number>();
  const vend = (signal?: AbortSignal): Promise<ReceivedMqttUrl> =>
    new Promise((resolve, reject) => {
      const requestedAt = clock.now();
      clock.setTimeout(() => {
        if (signal?.aborted) return reject(new Error('aborted'));
        const answer = options.api?.() ?? true;
        if (answer !== true) return reject(answer);
        serial += 1;
        const body = vendedBody({ signedAt: new Date(requestedAt), ttlSeconds, serial, host: '127.0.0.1:1' });
        expiries.set(body.url, Date.parse(body.expiresAt));
        resolve(receiveMqttUrl(body, requestedAt, clock.now()));
      }, options.vendMs ?? 30);
    });
  const vendFirst = vend();
  await clock.advance(options.vendMs ?? 30);
  const first = await vendFirst;
  const errors: unknown[] = [];
  const supply = new UrlSupply({ initial: first, vend, prefetch: options.prefetch, onVendError: (e) => errors.push(e), clock, random: options.random });
  const gate = new ConnectGate({ supply, clock, random: options.random });
  const accepts = options.accepts ?? ((_url: string, expiresAt: number) => clock.now() <= expiresAt);
  const client = new SimulatedMqttClient({
    clock,
    transformWsUrl: () => gate.urlForAttempt(),
    accepts: (url) => accepts(url, expiries.get(url) ?? 0),
    reconnectPeriod: options.reconnectPeriod,
  });
  gate.attach(client);
  return { client, supply, gate, vends: () => supply.vendCount + 1, errors };
}
