/**
 * The browser client: sign in elsewhere, then `connectMqtt` vends a presigned URL from the API and
 * connects to AWS IoT with mqtt.js. It vends again only when a connection is being opened and the
 * URL it holds is no longer usable, so a tab whose connection stays up makes no further API calls.
 * Works in browsers (native WebSocket, `fetch`) and in Node 20 (mqtt.js's `ws`).
 *
 * mqtt.js reads the WebSocket URL synchronously. Rather than keep a spare URL fresh for that moment
 * (a vend every few minutes per connected tab), `connectMqtt` holds mqtt.js's `client.connect()`
 * call until a usable URL is at hand, and lets mqtt.js build its own WebSocket then: see
 * `connect-gate.ts` for the seam and why it was chosen over a deferred stream or `createWebsocket`.
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
import { ConnectGate, type ConnectionUrl } from './connect-gate.js';
import { ConnectMqttOptionError } from './errors.js';
import type { FetchLike, GetToken, ReceivedMqttUrl, VendedTopics } from './types.js';
import { UrlSupply } from './url-supply.js';
import { mqttUrlVendor } from './vend-mqtt-url.js';

export type { ConnectionUrl } from './connect-gate.js';
export { codeForStatus, ConnectMqttOptionError, VendingError } from './errors.js';
export type { VendReason } from './url-supply.js';
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
   * from the vended answer and cannot be set here. With `reconnectPeriod: 0` mqtt.js does not
   * reconnect, so nothing is vended after the first `close` (call `connectMqtt` again rather than
   * `client.reconnect()`).
   * @default - `protocolVersion: 4` (MQTT 3.1.1), `clean: true`, mqtt.js's 1 s `reconnectPeriod`
   */
  readonly mqttOptions?: ConnectMqttClientOptions;
  /**
   * The `fetch` used to call the API.
   * @default - `globalThis.fetch`
   */
  readonly fetch?: FetchLike;
  /**
   * Keep the next URL ready ahead of time, as earlier versions did: a vend at 80 % of each URL's
   * life or 60 s before it expires (about 16 per connected tab-hour with 300 s URLs), so that a
   * reconnect never waits for the API. For apps that prefer zero added reconnect latency over cost.
   * @default false - vend only when a connection is being opened and the held URL is no longer usable
   */
  readonly prefetch?: boolean;
}

/** A live connection made by {@link connectMqtt}. */
export interface MqttConnection {
  /**
   * The mqtt.js client, already connecting. Listen to `connect`, `close`, `offline`, `message`.
   *
   * Failed vends (on the way to a reconnect, or ahead of time with `prefetch`) are emitted as
   * `error` events carrying the `VendingError` (or the error thrown by `getToken`); network
   * failures, 5xx, 408 and 429 are retried with backoff, never sooner than `Retry-After`. A refusal
   * that retrying cannot fix (HTTP 400, 401 after the token refresh, 403, … — the `VendingError` has
   * `permanent: true`) is emitted once and vending stops for good. If a reconnect needed that URL,
   * the client is ended (`end` event): nothing could reconnect it. With `prefetch` a connection
   * that is up stays up until it drops. Sign the user in again and call `connectMqtt` anew.
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
   * connection came back on the URL it already held or on a newly vended one, and how long that
   * vend took). `undefined` before the first attempt.
   */
  readonly currentUrl: ConnectionUrl | undefined;
  /** Aborts a vend in flight (and, with `prefetch`, the timer) and ends the client. Idempotent. */
  end(): Promise<void>;
}

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
 * Vends a presigned URL and connects to AWS IoT with mqtt.js; vends again only when a connection is
 * being opened and the held URL is no longer usable.
 *
 * - Calls `GET <apiUrl>/mqtt-url[?clientSuffix=…]` with `Authorization: Bearer <await getToken()>`;
 *   on 401 it calls `getToken({ forceRefresh: true })` once and retries.
 * - Connects with the vended `clientId`, MQTT 3.1.1 and a clean session unless `mqttOptions` says
 *   otherwise, with mqtt.js's automatic reconnects.
 * - Every reconnect attempt reuses the held URL while it is usable (until 5 s before it expires).
 *   Otherwise the attempt waits for a new vend: started as soon as a live connection drops, so it
 *   runs during mqtt.js's `reconnectPeriod`. A URL that failed to connect twice in a row (then 4, 8,
 *   16, 32 times after each replacement that fails too) is replaced as well, so the client recovers
 *   when an endpoint that forgot the URL's session comes back. Failed vends are retried with backoff
 *   (1 s doubling to 30 s, never sooner than `Retry-After`); after two failed attempts in a row the
 *   next attempts are spaced out the same way. A connected tab makes no API calls at all (unless
 *   `prefetch: true`). {@link MqttConnection.currentUrl} says which URL the latest attempt used.
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
  const { apiUrl, getToken, clientSuffix, fetch, prefetch } = options;
  // Validates apiUrl, clientSuffix and getToken here, once: every later vend reuses the result.
  const vend: (signal?: AbortSignal) => Promise<ReceivedMqttUrl> = mqttUrlVendor({ apiUrl, getToken, clientSuffix, fetch });
  if (fetch !== undefined && typeof fetch !== 'function') {
    throw new ConnectMqttOptionError('fetch', 'must be a fetch-compatible function', fetch);
  }
  if (prefetch !== undefined && typeof prefetch !== 'boolean') {
    throw new ConnectMqttOptionError('prefetch', 'must be true or false', prefetch);
  }
  const mqttOptions = validateMqttOptions(options.mqttOptions);

  const first = await vend();

  let client: MqttClient | undefined;
  const supply = new UrlSupply({
    initial: first,
    vend,
    prefetch,
    onVendError: (error) => {
      client?.emit('error', error instanceof Error ? error : new Error(String(error)));
    },
  });
  const gate = new ConnectGate({ supply });

  // mqtt.js only sees the bare endpoint; the signed query is added by transformWsUrl so that it
  // never sits in client.options, where application code might log it.
  const target = new URL(first.url);
  try {
    client = mqtt.connect(`${target.protocol}//${target.host}/mqtt`, {
      protocolVersion: 4,
      clean: true,
      ...mqttOptions,
      clientId: first.clientId,
      transformWsUrl: () => gate.urlForAttempt(),
    });
  } catch (error) {
    gate.stop();
    throw error;
  }
  const connected = client;
  // The constructor has started the first attempt with the URL just vended. Every later attempt
  // (mqtt.js's reconnect timer, client.reconnect()) calls connect() and goes through the gate.
  gate.attach(connected);

  let ending: Promise<void> | undefined;
  return {
    client: connected,
    clientId: first.clientId,
    topics: first.topics,
    endpoint: first.endpoint,
    region: first.region,
    get currentUrl() {
      return gate.currentUrl;
    },
    end: () => {
      ending ??= (async () => {
        gate.stop();
        await connected.endAsync();
      })();
      return ending;
    },
  };
}
