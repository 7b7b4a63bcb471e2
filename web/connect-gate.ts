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
 *
 * Real life on top of that:
 * - A dropped connection's first reconnect, and the vend it may need, are spread at random over
 *   {@link HERD_JITTER_WINDOW_MS} (`refresh-schedule.ts` says why): a fleet of tabs dropped together
 *   does not come back in one instant.
 * - {@link ConnectGate.wake} (the browser is back `online`, or a hidden page is visible again): a
 *   client waiting out a backoff reconnects within the same jitter, the backoff starting over, but
 *   never sooner than a `Retry-After`; a client that still believes it is connected is checked with
 *   a PINGREQ and, when nothing answers, reconnected (after a sleep the socket is often dead without
 *   a close, and mqtt.js would wait up to 1.5 keepalives to notice).
 * - A CONNACK 3 refusal (AWS IoT's one-CONNECT-per-second-per-client-ID limit) makes mqtt.js stop
 *   reconnecting; the gate tries again itself, with the attempt backoff.
 */
import { Sleeper, systemClock, type Clock } from './clock.js';
import { attemptDelayMs, herdJitterMs } from './refresh-schedule.js';
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
  readonly options: { readonly reconnectPeriod?: number | undefined; readonly keepalive?: number | undefined };
  on(event: 'connect' | 'close' | 'end' | 'packetreceive', listener: () => void): unknown;
  end(force?: boolean): unknown;
  /** mqtt.js 5's PINGREQ; the liveness check after a wake uses it when present. */
  sendPing?(): void;
  /** The transport of the current connection; destroying it is how a dead connection is closed. */
  readonly stream?: { destroy(): unknown } | undefined;
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
/** MQTT 3.1.1 CONNACK 3, "server unavailable": how the connect-rate limit refuses (see takeover-detector.ts). */
const CONNACK_SERVER_UNAVAILABLE = 3;
/**
 * After a wake, a connection that received nothing for this long is asked for a PINGRESP; one that
 * received a packet more recently is alive.
 */
export const WAKE_SILENCE_MS = 2_000;
/** A PINGREQ sent on wake that gets no packet back within this is taken for a dead connection. */
export const WAKE_PING_TIMEOUT_MS = 2_000;

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
  /** No vend for the next attempt starts before this (the drop's or the wake's jitter). */
  #vendNotBefore = 0;
  /** An attempt has started and has neither connected nor closed. */
  #attemptInFlight = false;
  /** The next close follows a CONNACK 3: mqtt.js will not reconnect, the gate must. */
  #retryAfterRefusal = false;
  /** The next drop was caused by the wake's liveness check: reconnect after the jitter alone. */
  #wakeDrop = false;
  #lastReceivedAt = 0;
  #pingTimer: unknown;

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
    client.on('packetreceive', () => {
      this.#lastReceivedAt = this.#clock.now();
      this.#clearPing();
    });
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
    this.#attemptInFlight = true;
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
    void this.#hold();
  }


  /** The attempt got CONNACK 0: everything that counted failures starts over. */
  onConnect(): void {
    this.#attemptConnected = true;
    this.#attemptInFlight = false;
    this.#lastReceivedAt = this.#clock.now();
    this.#failedAttempts = 0;
    this.#attemptNotBefore = 0;
    this.#failedWithUrl = 0;
    this.#replacements = 0;
  }

  /**
   * The connection (or the attempt) closed and mqtt.js will try again after `reconnectPeriodMs`.
   * Counts a failed attempt. When a live connection dropped, the first reconnect waits
   * `reconnectPeriodMs` plus a random share of {@link HERD_JITTER_WINDOW_MS}, and the vend it needs
   * (when the held URL will not be usable then) starts after the same jitter, during that wait.
   */
  onClose(reconnectPeriodMs: number): void {
    if (this.#stopped) return;
    this.#clearPing();
    const dropped = this.#attemptConnected;
    this.#attemptConnected = false;
    this.#attemptInFlight = false;
    if (!dropped) {
      this.#failedAttempts += 1;
      this.#attemptNotBefore = this.#clock.now() + attemptDelayMs(this.#failedAttempts, this.#random());
      this.#failedWithUrl += 1;
      if (this.#failedWithUrl >= FAILED_ATTEMPTS_BEFORE_REPLACING * 2 ** Math.min(this.#replacements, MAX_REPLACEMENT_BACKOFF_EXPONENT)) {
        this.#failedWithUrl = 0;
        this.#replacements += 1;
        this.#supply.retire();
      }
      if (this.#retryAfterRefusal) {
        // mqtt.js suppresses its reconnects after a CONNACK refusal: the gate holds the next attempt,
        // at mqtt.js's pace at least (the limit is one CONNECT per second).
        this.#retryAfterRefusal = false;
        this.#attemptNotBefore = Math.max(this.#attemptNotBefore, this.#clock.now() + reconnectPeriodMs);
        this.#beginHold();
      }
      return;
    }
    const now = this.#clock.now();
    const jitter = herdJitterMs(this.#random());
    const wait = this.#wakeDrop ? 0 : reconnectPeriodMs;
    this.#wakeDrop = false;
    this.#vendNotBefore = now + jitter;
    this.#attemptNotBefore = now + wait + jitter;
    // Held from now on: mqtt.js's reconnect ticks join the hold instead of starting an attempt early.
    this.#beginHold();
  }

  /**
   * A CONNACK refused the current attempt with `returnCode`. For 3 ("server unavailable", the
   * connect-rate limit) the gate tries again after the close, as mqtt.js will not.
   */
  onConnackRefused(returnCode: number): void {
    this.#retryAfterRefusal = returnCode === CONNACK_SERVER_UNAVAILABLE && !this.#stopped;
  }

  /**
   * The browser is back online, or the page is visible again. Reconnects a client that is waiting
   * (its backoff and the vend's start over, within the herd jitter, never before a `Retry-After`);
   * asks a client that believes it is connected for a PINGRESP and reconnects it when none comes.
   */
  wake(): void {
    const client = this.#client;
    if (this.#stopped || client === undefined || client.disconnecting) return;
    const now = this.#clock.now();
    if (client.connected) {
      this.#checkLiveness(client, now);
      return;
    }
    if (this.#attemptInFlight) return;
    const target = now + herdJitterMs(this.#random());
    this.#failedAttempts = 0;
    this.#vendNotBefore = target;
    this.#attemptNotBefore = target;
    this.#supply.wake();
    if (this.#holding) this.#sleeper.wake();
    else this.#beginHold();
  }

  /**
   * No more attempts will be held or started by the gate, and the supply stops (no more vends): the
   * client ended. Idempotent.
   */
  stop(): void {
    this.#stopped = true;
    this.#clearPing();
    this.#supply.stop();
    this.#sleeper.wake();
  }

  #checkLiveness(client: GateableClient, now: number): void {
    if (now - this.#lastReceivedAt < WAKE_SILENCE_MS || this.#pingTimer !== undefined || client.sendPing === undefined) return;
    client.sendPing();
    this.#pingTimer = this.#clock.setTimeout(() => {
      this.#pingTimer = undefined;
      if (this.#stopped || !client.connected) return;
      // Nothing came back: the socket died while the page slept. Close it; the reconnect follows the
      // jitter alone, without mqtt.js's reconnect wait.
      this.#wakeDrop = true;
      client.stream?.destroy();
    }, WAKE_PING_TIMEOUT_MS);
  }

  #clearPing(): void {
    if (this.#pingTimer !== undefined) this.#clock.clearTimeout(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  #beginHold(): void {
    if (this.#holding || this.#stopped) return;
    this.#holding = true;
    void this.#hold();
  }

  /** Sleeps until `deadline()` (read again after every early wake) has passed, or the gate stops. */
  async #until(deadline: () => number): Promise<void> {
    while (!this.#stopped && this.#clock.now() < deadline()) await this.#sleeper.sleep(deadline() - this.#clock.now());
  }

  async #hold(): Promise<void> {
    let kept: KeptUrl | undefined;
    try {
      // Deadlines are read again after each wait: wake() may have brought them forward meanwhile.
      for (;;) {
        await this.#until(() => this.#vendNotBefore);
        if (this.#stopped) return;
        // The vend (when one is needed) runs during the attempt's backoff, not after it.
        const obtaining = this.#supply.obtain(Math.max(this.#clock.now(), this.#attemptNotBefore));
        await this.#until(() => this.#attemptNotBefore);
        kept = await obtaining;
        if (kept === undefined || this.#stopped) break;
        // A close meanwhile (a CONNACK refusal) may have pushed the attempt back: wait for it again.
        if (this.#clock.now() >= this.#attemptNotBefore) break;
      }
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
    if (client !== undefined && !client.connected && !client.disconnecting && !this.#attemptInFlight) this.#start(kept);
  }

  #start(kept: KeptUrl): void {
    this.#attemptUrl = kept;
    this.#startAttempt();
  }
}
