/**
 * The seam between mqtt.js and the vending API: every connection attempt mqtt.js makes goes through
 * `client.connect()` (its reconnect timer calls it, and so does `client.reconnect()`), and
 * `connectMqtt` routes that call through {@link ConnectGate.requestAttempt}. When the held URL is
 * usable the attempt starts at once, synchronously, exactly as mqtt.js would have started it. When
 * it is not, the gate holds the attempt, vends (with backoff), and then starts it; mqtt.js's own
 * `transformWsUrl` then reads the new URL synchronously ({@link ConnectGate.urlForAttempt}).
 *
 * Why this seam rather than the others mqtt.js 5 offers (details in docs/browser-client.md):
 * - `transformWsUrl` alone is synchronous: it can only hand out a URL fetched ahead of time, which
 *   is what forced a background vend every few minutes per connected tab.
 * - A stream handed to mqtt.js synchronously and joined to the real WebSocket once the vend resolves
 *   (mqtt.js issue #761's pattern, through the stream builder) needs a Duplex implementation in the
 *   browser bundle (Node's `stream` is not there; mqtt.js's copy of `readable-stream` is not exported)
 *   and must mimic mqtt.js's writes, `end`, `destroy` and its CONNACK timer, which would also count
 *   the vend against `connectTimeout`.
 * - `createWebsocket` must return a socket synchronously too: a deferred WebSocket would have to
 *   imitate the browser's `WebSocket` in browsers and `ws`'s (including its private `_socket`) in
 *   Node, where mqtt.js wraps it with `ws.createWebSocketStream`.
 * Holding the `connect()` call needs no stream, no socket and no private state: mqtt.js builds its
 * own stream with its own WebSocket, only later. Between mqtt.js's reconnect ticks the client is
 * simply "reconnecting", which is what it is.
 *
 * The gate also bounds attempts: after two attempts in a row without CONNACK, each next attempt waits
 * an extra 1 s doubling to 30 s; a URL that failed to connect twice is retired (then after 4, 8, 16,
 * 32 failures), so an endpoint that forgot its session is met with a new URL, not one vend per attempt.
 */
import { Sleeper, systemClock, type Clock } from './clock.js';
import { attemptDelayMs } from './refresh-schedule.js';
import type { KeptUrl, UrlSupply, VendReason } from './url-supply.js';

/**
 * The vended URL behind the latest connection attempt, described without the URL itself (a bearer
 * secret): why and when it was vended, how long the vend took, when it expires, and how many attempts
 * have used it.
 */
export interface ConnectionUrl {
  /** Why it was vended: by `connectMqtt` itself, ahead of time (`prefetch`), or for a reconnect. */
  readonly vendedFor: VendReason;
  /** Local time (`Date.now()`) the vending request was sent. */
  readonly vendedAt: number;
  /** The vend's round trip in ms (request sent → answer received), the 401 token refresh included. */
  readonly vendDurationMs: number;
  /** When the URL stops being accepted, ISO-8601 (server clock). */
  readonly expiresAt: string;
  /**
   * Local time (`Date.now()`) until which a reconnect may still use it; a reconnect after that vends
   * a new URL first. Measured on the local clock from the URL's own lifetime, so clock skew is harmless.
   */
  readonly usableUntil: number;
  /** How many connection attempts have used it so far, the latest included (1 for a first use). */
  readonly attempts: number;
}

/**
 * What the gate needs of an mqtt.js client (`MqttClient` has it all): its `connect()` (which the gate
 * takes over), its state, its reconnect period, the three events, and `end`.
 */
export interface GateableClient {
  connect(): unknown;
  readonly connected: boolean;
  readonly disconnecting: boolean;
  readonly options: { readonly reconnectPeriod?: number | undefined };
  on(event: 'connect' | 'close' | 'end', listener: () => void): unknown;
  end(force?: boolean): unknown;
}

/** Options of {@link ConnectGate}. */
export interface ConnectGateOptions {
  /** Where URLs come from. The gate stops it when the client ends. */
  readonly supply: UrlSupply;
  /**
   * Source of jitter in [0, 1).
   * @default Math.random
   */
  readonly random?: (() => number) | undefined;
  /**
   * Time source.
   * @default systemClock
   */
  readonly clock?: Clock | undefined;
}

/** mqtt.js's default `reconnectPeriod`. */
const MQTT_DEFAULT_RECONNECT_PERIOD_MS = 1_000;

/**
 * A URL that failed to connect this many times is retired (replaced by a new vend); after each
 * replacement that also fails, twice as many attempts are needed (capped). Success resets it.
 */
const FAILED_ATTEMPTS_BEFORE_REPLACING = 2;
const MAX_REPLACEMENT_BACKOFF_EXPONENT = 4;

/** Decides when a connection attempt may start and with which URL. */
export class ConnectGate {
  readonly #supply: UrlSupply;
  #client: GateableClient | undefined;
  /** The client's own `connect()`, captured by {@link ConnectGate.attach}. */
  #startAttempt: () => void = () => undefined;
  readonly #clock: Clock;
  readonly #sleeper: Sleeper;
  readonly #random: () => number;
  /** The URL the next (or current) attempt uses. */
  #attemptUrl: KeptUrl;
  #currentUrl: ConnectionUrl | undefined;
  #currentUrlText: string | undefined;
  #attemptConnected = false;
  /** Attempts in a row without CONNACK, and the earliest time the next may start. */
  #failedAttempts = 0;
  #attemptNotBefore = 0;
  /** Failed attempts with the current URL, and how many URLs were retired since the last success. */
  #failedWithUrl = 0;
  #replacements = 0;
  #holding = false;
  #stopped = false;

  /** Attempts use `options.supply.latest` (the URL just vended) until {@link ConnectGate.attach}. */
  constructor(options: ConnectGateOptions) {
    this.#supply = options.supply;
    this.#clock = options.clock ?? systemClock;
    this.#sleeper = new Sleeper(this.#clock);
    this.#random = options.random ?? Math.random;
    this.#attemptUrl = options.supply.latest;
  }

  /** The URL the latest attempt used; `undefined` before the first. */
  get currentUrl(): ConnectionUrl | undefined {
    return this.#currentUrl;
  }

  /** Whether an attempt is being held (waiting for a vend or for its backoff). */
  get holding(): boolean {
    return this.#holding;
  }

  /** Whether the gate has stopped (the client ended, or mqtt.js will not reconnect). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Takes over `client.connect()` (mqtt.js's reconnect timer and `client.reconnect()` call it) and
   * follows the client's `connect`, `close` and `end`. Call it right after creating the client: its
   * constructor has already started the first attempt, with the URL the supply holds.
   */
  attach(client: GateableClient): void {
    this.#client = client;
    this.#startAttempt = client.connect.bind(client) as () => void;
    client.connect = () => {
      this.requestAttempt();
      return client;
    };
    client.on('connect', () => this.onConnect());
    client.on('close', () => {
      // mqtt.js does not reconnect with reconnectPeriod 0, so no URL will be needed again.
      if (client.options.reconnectPeriod === 0) {
        this.stop();
        return;
      }
      if (client.disconnecting) return;
      this.onClose(client.options.reconnectPeriod ?? MQTT_DEFAULT_RECONNECT_PERIOD_MS);
    });
    // Someone called client.end() (or the gate gave up): nothing will reconnect.
    client.on('end', () => this.stop());
  }

  /**
   * mqtt.js's `transformWsUrl`: called synchronously once per attempt, it returns the URL the gate
   * chose for it and records the attempt.
   */
  urlForAttempt(): string {
    const { url, reason } = this.#attemptUrl;
    const reused = url.url === this.#currentUrlText;
    if (!reused) this.#failedWithUrl = 0;
    this.#currentUrlText = url.url;
    this.#currentUrl = {
      vendedFor: reason,
      vendedAt: url.requestedAt,
      vendDurationMs: Math.max(0, url.receivedAt - url.requestedAt),
      expiresAt: url.expiresAt,
      usableUntil: url.usableUntil,
      attempts: reused && this.#currentUrl !== undefined ? this.#currentUrl.attempts + 1 : 1,
    };
    this.#attemptConnected = false;
    return url.url;
  }

  /**
   * mqtt.js wants to (re)connect (its `client.connect()` was called). Starts the attempt now when the
   * held URL is usable and no backoff is due; otherwise holds it until a URL is vended and the
   * backoff is over. Calls made while an attempt is held join it (mqtt.js's reconnect timer keeps
   * ticking meanwhile).
   */
  requestAttempt(): void {
    if (this.#stopped) {
      // Ended: whoever calls connect() now (client.reconnect() after end) gets mqtt.js as it is.
      this.#startAttempt();
      return;
    }
    if (this.#holding) return;
    const wait = this.#attemptNotBefore - this.#clock.now();
    const held = this.#supply.usable();
    if (held !== undefined && wait <= 0) {
      this.#start(held);
      return;
    }
    this.#holding = true;
    void this.#hold(wait);
  }

  /** The attempt got CONNACK 0: everything that counted failures starts over. */
  onConnect(): void {
    this.#attemptConnected = true;
    this.#failedAttempts = 0;
    this.#attemptNotBefore = 0;
    this.#failedWithUrl = 0;
    this.#replacements = 0;
  }

  /**
   * The connection (or the attempt) closed and mqtt.js will try again after `reconnectPeriodMs`.
   * Counts a failed attempt; when a live connection dropped and its URL will not be usable for the
   * next attempt, starts the vend now so that it runs during mqtt.js's reconnect wait.
   */
  onClose(reconnectPeriodMs: number): void {
    if (this.#stopped) return;
    const dropped = this.#attemptConnected;
    this.#attemptConnected = false;
    if (!dropped) {
      this.#failedAttempts += 1;
      this.#attemptNotBefore = this.#clock.now() + attemptDelayMs(this.#failedAttempts, this.#random());
      this.#failedWithUrl += 1;
      if (this.#failedWithUrl >= FAILED_ATTEMPTS_BEFORE_REPLACING * 2 ** Math.min(this.#replacements, MAX_REPLACEMENT_BACKOFF_EXPONENT)) {
        this.#failedWithUrl = 0;
        this.#replacements += 1;
        this.#supply.retire();
      }
      return;
    }
    const nextAttemptAt = this.#clock.now() + reconnectPeriodMs;
    if (this.#supply.usable(nextAttemptAt) === undefined) void this.#supply.obtain(nextAttemptAt);
  }

  /**
   * No more attempts will be held or started by the gate, and the supply stops (no more vends): the
   * client ended. Idempotent.
   */
  stop(): void {
    this.#stopped = true;
    this.#supply.stop();
    this.#sleeper.wake();
  }

  async #hold(waitMs: number): Promise<void> {
    let kept: KeptUrl | undefined;
    try {
      // The vend (when one is needed) runs during the attempt's backoff, not after it.
      const obtaining = this.#supply.obtain(this.#clock.now() + Math.max(0, waitMs));
      await this.#sleeper.sleep(waitMs);
      kept = await obtaining;
    } finally {
      this.#holding = false;
    }
    if (this.#stopped) return;
    const client = this.#client;
    if (kept === undefined) {
      // Only a permanent refusal stops the supply while the gate runs: nothing can reconnect, so
      // mqtt.js must stop trying (the app sees the refusal as an `error`, then `end`).
      client?.end(true);
      return;
    }
    if (client !== undefined && !client.connected && !client.disconnecting) this.#start(kept);
  }

  #start(kept: KeptUrl): void {
    this.#attemptUrl = kept;
    this.#startAttempt();
  }
}
