/**
 * The browser client: sign in elsewhere, then `connectMqtt` vends a presigned URL from the API,
 * connects to AWS IoT with mqtt.js, and keeps a fresh URL ready so every reconnect uses a URL
 * that is still valid. Works in browsers (native WebSocket, `fetch`) and in Node 20 (mqtt.js's `ws`).
 *
 * @example
 * ```ts
 * const { client, clientId, topics, end } = await connectMqtt({
 *   apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/',
 *   getToken: ({ forceRefresh } = {}) => session.idToken(forceRefresh),
 * });
 * client.on('message', (topic, payload) => console.log(topic, payload.toString()));
 * client.subscribe(`users/${sub}/#`);
 * ```
 */
// mqtt's browser build (dist/mqtt.esm.js, picked by esbuild's "browser" condition) has only a
// default export, so the named `connect` cannot be imported in a way that works in both worlds.
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { ConnectMqttOptionError } from './errors.js';
import { FreshUrlKeeper, type VendReason } from './fresh-url-keeper.js';
import type { FetchLike, GetToken, ReceivedMqttUrl, VendedTopics } from './types.js';
import { mqttUrlVendor } from './vend-mqtt-url.js';
import { EXPIRY_MARGIN_MS } from './vended-url.js';

export { codeForStatus, ConnectMqttOptionError, VendingError } from './errors.js';
export type { VendReason } from './fresh-url-keeper.js';
export type { FetchLike, GetToken, GetTokenOptions, VendedMqttUrl, VendedTopics } from './types.js';
export { vendMqttUrl, type VendMqttUrlOptions } from './vend-mqtt-url.js';

/** mqtt.js options that `connectMqtt` derives from the vended answer and so refuses from the caller. */
const RESERVED_MQTT_OPTIONS = [
  'clientId',
  'transformWsUrl',
  'servers',
  'host',
  'hostname',
  'port',
  'path',
  'protocol',
  'query',
] as const;

/** mqtt.js client options accepted by {@link connectMqtt}: everything except what the vended URL decides. */
export type ConnectMqttClientOptions = Omit<IClientOptions, (typeof RESERVED_MQTT_OPTIONS)[number]>;

/** Options of {@link connectMqtt}. */
export interface ConnectMqttOptions {
  /** The vending HTTP API's base URL: the CDK output `ApiUrl` (or the local stack's origin). */
  readonly apiUrl: string;
  /**
   * Returns the Cognito ID (or access) token for `Authorization: Bearer`. Called before every vend,
   * so cache the token; called once with `{ forceRefresh: true }` when the API answers 401.
   */
  readonly getToken: GetToken;
  /**
   * Distinguishes several connections of one user: the client ID becomes `<sub>-<clientSuffix>`
   * (1–32 of `A-Z a-z 0-9 _ -`). AWS IoT drops the older of two connections with one client ID.
   * @default - none: the client ID is the user's `sub`
   */
  readonly clientSuffix?: string;
  /**
   * Extra mqtt.js options (keepalive, reconnectPeriod, will, …). The URL, host and client ID come
   * from the vended answer and cannot be set here. With `reconnectPeriod: 0` URL refreshing stops
   * at the first `close` (call `connectMqtt` again rather than `client.reconnect()`).
   * @default - `protocolVersion: 4` (MQTT 3.1.1), `clean: true`, mqtt.js's 1 s `reconnectPeriod`
   */
  readonly mqttOptions?: ConnectMqttClientOptions;
  /**
   * The `fetch` used to call the API.
   * @default - `globalThis.fetch`
   */
  readonly fetch?: FetchLike;
}

/**
 * The vended URL behind the latest connection attempt, described without the URL itself (a bearer
 * secret): why and when it was vended, when it expires, and how many attempts have used it.
 */
export interface ConnectionUrl {
  /** Why it was vended: by `connectMqtt` itself, ahead of time (`prefetch`), or for a reconnect. */
  readonly vendedFor: VendReason;
  /** Local time (`Date.now()`) the vending request was sent. */
  readonly vendedAt: number;
  /** When the URL stops being accepted, ISO-8601 (server clock). */
  readonly expiresAt: string;
  /** How many connection attempts have used it so far, the latest included (1 for a first use). */
  readonly attempts: number;
}

/** A live connection made by {@link connectMqtt}. */
export interface MqttConnection {
  /**
   * The mqtt.js client, already connecting. Listen to `connect`, `close`, `offline`, `message`.
   *
   * Failed background URL refreshes are emitted as `error` events carrying the `VendingError` (or
   * the error thrown by `getToken`); network failures, 5xx, 408 and 429 are retried with backoff.
   * A refusal that retrying cannot fix (HTTP 400, 401 after the token refresh, 403, … — the
   * `VendingError` has `permanent: true`) is emitted once and refreshing stops for good: the client
   * keeps its current connection, but once the last URL expires it cannot reconnect. Sign the user
   * in again, `end()` this connection and call `connectMqtt` anew.
   */
  readonly client: MqttClient;
  /** The MQTT client ID the credentials allow (`<sub>` or `<sub>-<clientSuffix>`). */
  readonly clientId: string;
  /** The topics the credentials allow, as IAM patterns (`users/<sub>/*`: `*` matches any suffix). */
  readonly topics: VendedTopics;
  /** The AWS IoT data endpoint host. */
  readonly endpoint: string;
  /** The endpoint's region. */
  readonly region: string;
  /**
   * The URL the latest connection attempt used (read it on `connect` to tell a user whether the
   * connection came back on the URL held ready or on a newly vended one). `undefined` before the
   * first attempt.
   */
  readonly currentUrl: ConnectionUrl | undefined;
  /** Stops the URL refresh timer, aborts a refresh in flight and ends the client. Idempotent. */
  end(): Promise<void>;
}

/**
 * A URL that failed to connect this many times is replaced by a new vend; after each replacement
 * that also fails, twice as many attempts are needed (capped), so a dead endpoint is not met with a
 * vend per attempt. Success resets it.
 */
const FAILED_ATTEMPTS_BEFORE_REPLACING = 2;
const MAX_REPLACEMENT_BACKOFF_EXPONENT = 4;

function validateMqttOptions(mqttOptions: unknown): ConnectMqttClientOptions {
  if (mqttOptions === undefined) return {};
  if (typeof mqttOptions !== 'object' || mqttOptions === null || Array.isArray(mqttOptions)) {
    throw new ConnectMqttOptionError('mqttOptions', 'must be an object of mqtt.js client options', mqttOptions);
  }
  for (const key of RESERVED_MQTT_OPTIONS) {
    if (key in mqttOptions) {
      const value: unknown = (mqttOptions as Record<string, unknown>)[key];
      throw new ConnectMqttOptionError(`mqttOptions.${key}`, 'is decided by the vended URL and cannot be set', value);
    }
  }
  return mqttOptions as ConnectMqttClientOptions;
}

/**
 * Vends a presigned URL, connects to AWS IoT with mqtt.js and keeps the next URL ready.
 *
 * - Calls `GET <apiUrl>/mqtt-url[?clientSuffix=…]` with `Authorization: Bearer <await getToken()>`;
 *   on 401 it calls `getToken({ forceRefresh: true })` once and retries.
 * - Connects with the vended `clientId`, MQTT 3.1.1 and a clean session unless `mqttOptions` says
 *   otherwise, with mqtt.js's automatic reconnects.
 * - Prefetches the next URL at 80 % of the current one's life or 60 s before it expires, whichever
 *   is sooner (with jitter), and hands mqtt.js the freshest unexpired URL on every (re)connect
 *   through `transformWsUrl`. A dropped connection whose URL would be stale by the next attempt
 *   triggers an immediate refresh, and so does a URL that failed to connect twice in a row (then
 *   4, 8, 16, 32 times after each replacement that fails too), so the client recovers when an
 *   endpoint that forgot the URL's session comes back. Refreshing stops when the client ends, when
 *   it closes with `reconnectPeriod: 0`, and after a permanent refusal (see {@link MqttConnection.client}).
 *   {@link MqttConnection.currentUrl} says which URL the latest attempt used.
 *
 * Resolves once the first URL is vended and the client is created; it does not wait for CONNACK.
 *
 * @throws ConnectMqttOptionError for invalid options (before any request)
 * @throws VendingError when the first vend fails (no client is created)
 */
export async function connectMqtt(options: ConnectMqttOptions): Promise<MqttConnection> {
  if (typeof options !== 'object' || options === null) {
    throw new ConnectMqttOptionError('options', 'must be an object', options);
  }
  const { apiUrl, getToken, clientSuffix, fetch } = options;
  // Validates apiUrl, clientSuffix and getToken here, once: every refresh reuses the result.
  const vend: (signal?: AbortSignal) => Promise<ReceivedMqttUrl> = mqttUrlVendor({ apiUrl, getToken, clientSuffix, fetch });
  if (fetch !== undefined && typeof fetch !== 'function') {
    throw new ConnectMqttOptionError('fetch', 'must be a fetch-compatible function', fetch);
  }
  const mqttOptions = validateMqttOptions(options.mqttOptions);

  const first = await vend();

  let client: MqttClient | undefined;
  const keeper = new FreshUrlKeeper({
    initial: first,
    vend,
    onRefreshError: (error) => {
      client?.emit('error', error instanceof Error ? error : new Error(String(error)));
    },
  });

  // What the latest attempt used, and how the attempts with the current URL went.
  let currentUrl: ConnectionUrl | undefined;
  let currentUrlText: string | undefined;
  let attemptConnected = false;
  let failedWithUrl = 0;
  let replacements = 0;
  const useUrl = (): string => {
    const url = keeper.urlForConnection();
    const { url: held, reason } = keeper.latest;
    const reused = url === currentUrlText;
    if (!reused) failedWithUrl = 0;
    currentUrlText = url;
    currentUrl = { vendedFor: reason, vendedAt: held.requestedAt, expiresAt: held.expiresAt, attempts: reused && currentUrl !== undefined ? currentUrl.attempts + 1 : 1 };
    attemptConnected = false;
    return url;
  };

  // mqtt.js only sees the bare endpoint; the signed query is added by transformWsUrl so that it
  // never sits in client.options, where application code might log it.
  const target = new URL(first.url);
  try {
    client = mqtt.connect(`${target.protocol}//${target.host}/mqtt`, {
      protocolVersion: 4,
      clean: true,
      ...mqttOptions,
      clientId: first.clientId,
      transformWsUrl: useUrl,
    });
  } catch (error) {
    keeper.stop();
    throw error;
  }
  const connected = client;

  connected.on('connect', () => {
    attemptConnected = true;
    failedWithUrl = 0;
    replacements = 0;
  });
  connected.on('close', () => {
    // mqtt.js does not reconnect with reconnectPeriod 0, so no URL will be needed again.
    if (connected.options.reconnectPeriod === 0) {
      keeper.stop();
      return;
    }
    if (connected.disconnecting) return;
    if (!attemptConnected) {
      // The attempt never got a CONNACK: the handshake was refused (the URL's session is unknown
      // to a restarted endpoint, say) or the endpoint is unreachable. Retrying the same URL for ever
      // would never recover from the first, so after a few failures the URL is replaced.
      failedWithUrl += 1;
      if (failedWithUrl >= FAILED_ATTEMPTS_BEFORE_REPLACING * 2 ** Math.min(replacements, MAX_REPLACEMENT_BACKOFF_EXPONENT)) {
        failedWithUrl = 0;
        replacements += 1;
        keeper.replace();
        return;
      }
    }
    const nextAttemptAt = Date.now() + (connected.options.reconnectPeriod ?? 1000) + EXPIRY_MARGIN_MS;
    if (!keeper.isUsable(nextAttemptAt)) void keeper.refresh();
  });
  // Someone called client.end() directly: nothing will reconnect, so stop refreshing.
  connected.on('end', () => keeper.stop());

  let ending: Promise<void> | undefined;
  return {
    client: connected,
    clientId: first.clientId,
    topics: first.topics,
    endpoint: first.endpoint,
    region: first.region,
    get currentUrl() {
      return currentUrl;
    },
    end: () => {
      ending ??= (async () => {
        keeper.stop();
        await connected.endAsync();
      })();
      return ending;
    },
  };
}
