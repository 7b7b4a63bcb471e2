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
import { pageTabSuffixes, type ClientSuffixLease } from './client-suffix.js';
import { ConnectGate, type ConnectionUrl } from './connect-gate.js';
import { ClientIdConflictError, ConnectMqttOptionError, VendingError } from './errors.js';
import { discardPersistentSession } from './session-discard.js';
import { watchTakeovers } from './takeover-watch.js';
import type { FetchLike, GetToken, ReceivedMqttUrl, VendedTopics } from './types.js';
import { UrlSupply } from './url-supply.js';
import { mqttUrlVendor } from './vend-mqtt-url.js';
import { listenForWake } from './wake-signals.js';

export type { ConnectionUrl } from './connect-gate.js';
export { ClientIdConflictError, codeForStatus, ConnectMqttOptionError, VendingError } from './errors.js';
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
   * The client ID becomes `<sub>-<clientSuffix>` (1–32 of `A-Z a-z 0-9 _ -`). AWS IoT drops the
   * older of two connections with one client ID, so two connections must never share a suffix: set
   * one only to pin an ID (for example to `resume` across process restarts in Node). `false` keeps
   * the bare `<sub>`: one connection per user, a newer one (another tab) closing the older.
   * @default - a suffix of this connection's own: in a browser tab, the tab's (kept in
   *   `sessionStorage`, stable across reloads, never shared with a duplicated tab) for the page's
   *   first connection and a fresh one for any further; in Node, a fresh one per call
   */
  readonly clientSuffix?: string | false;
  /**
   * Keep a persistent session (MQTT `clean: false`) on this connection's client ID, so that QoS 1
   * messages published while it was away (a dropped socket, a reload, a sleeping laptop) are
   * delivered when it is back, without re-subscribing. AWS IoT keeps the session for its
   * persistent-session expiry (1 hour by default, adjustable). Only QoS 1 subscriptions queue
   * anything: subscribe with `{ qos: 1 }` (mqtt.js subscribes at QoS 0 unless asked). `end()`
   * discards the session unless called with `{ keepSession: true }`.
   * @default false - a clean session on every connect: messages sent while away are lost
   */
  readonly resume?: boolean;
  /**
   * Extra mqtt.js options (keepalive, reconnectPeriod, will, …). The URL, host and client ID come
   * from the vended answer and cannot be set here. With `reconnectPeriod: 0` mqtt.js does not
   * reconnect, so nothing is vended after the first `close` (call `connectMqtt` again rather than
   * `client.reconnect()`).
   * `clean: true` cannot be combined with `resume`.
   * @default - `protocolVersion: 4` (MQTT 3.1.1), `clean` as `resume` says, mqtt.js's 1 s `reconnectPeriod`
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
   *
   * When another connection uses the same client ID and AWS IoT keeps closing this one as the other
   * connects (a takeover loop), the client emits a `ClientIdConflictError` (`name`
   * `ClientIdConflict`) and ends; the other connection stays up.
   */
  readonly client: MqttClient;
  /** The MQTT client ID the credentials allow (`<principal>` or `<principal>-<clientSuffix>`). */
  readonly clientId: string;
  /**
   * The caller's principal, what `${sub}` stands for in the topic templates: the Cognito `sub`, or
   * with another OIDC issuer `principalIdFor(issuer, sub)`. Build the user's own topics from it.
   */
  readonly principalId: string;
  /** Whether this connection keeps a persistent session (`resume: true`). */
  readonly resume: boolean;
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
  /**
   * Aborts a vend in flight (and, with `prefetch`, the timer) and ends the client. With `resume`,
   * it then discards the persistent session (a clean CONNECT on the same client ID, then a
   * DISCONNECT, a second after the last CONNECT as AWS IoT's connect rate requires), so that a
   * closed connection does not keep queueing messages for an hour; `{ keepSession: true }` keeps it
   * for a later `connectMqtt` with the same client ID. Idempotent: the first call's options hold.
   */
  end(options?: EndOptions): Promise<void>;
}

/** Options of {@link MqttConnection.end}. */
export interface EndOptions {
  /**
   * With `resume`: leave the persistent session (and its queued messages) on the broker until it
   * expires or the same client ID connects again.
   * @default false
   */
  readonly keepSession?: boolean;
}

function validateResume(resume: unknown, mqttOptions: ConnectMqttClientOptions): boolean {
  if (resume === undefined) return false;
  if (typeof resume !== 'boolean') throw new ConnectMqttOptionError('resume', 'must be true or false', resume);
  if (resume && mqttOptions.clean === true) {
    throw new ConnectMqttOptionError('mqttOptions.clean', 'cannot be true with resume: true, which keeps a persistent session (clean: false)', mqttOptions.clean);
  }
  return resume;
}

/**
 * The API refuses suffixes to users whose sub is not a UUID (their client ID must be exact). A
 * default suffix then falls back to the bare `<sub>`, as before suffixes were the default.
 */
function suffixRefused(error: unknown): boolean {
  return error instanceof VendingError && error.status === 400 && error.message.includes('clientSuffix');
}

/** Vends the first URL with the leased suffix (or, for a refused default one, without). */
async function firstVend(
  options: ConnectMqttOptions,
  lease: ClientSuffixLease,
): Promise<{ readonly first: ReceivedMqttUrl; readonly vend: (signal?: AbortSignal) => Promise<ReceivedMqttUrl> }> {
  const { apiUrl, getToken, fetch } = options;
  // Validates apiUrl, clientSuffix and getToken here, once: every later vend reuses the result.
  const vend = mqttUrlVendor({ apiUrl, getToken, clientSuffix: lease.suffix, fetch });
  try {
    return { first: await vend(), vend };
  } catch (error) {
    if (lease.kind === 'explicit' || lease.kind === 'none' || !suffixRefused(error)) throw error;
    const bare = mqttUrlVendor({ apiUrl, getToken, fetch });
    return { first: await bare(), vend: bare };
  }
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
  const { fetch, prefetch } = options;
  if (fetch !== undefined && typeof fetch !== 'function') {
    throw new ConnectMqttOptionError('fetch', 'must be a fetch-compatible function', fetch);
  }
  if (prefetch !== undefined && typeof prefetch !== 'boolean') {
    throw new ConnectMqttOptionError('prefetch', 'must be true or false', prefetch);
  }
  const mqttOptions = validateMqttOptions(options.mqttOptions);
  const resume = validateResume(options.resume, mqttOptions);
  // Checked before a tab's suffix is claimed: a bad option changes nothing.
  mqttUrlVendor({ apiUrl: options.apiUrl, getToken: options.getToken, clientSuffix: options.clientSuffix === false ? undefined : options.clientSuffix, fetch });

  const lease = await pageTabSuffixes().lease(options.clientSuffix);
  let first: ReceivedMqttUrl;
  let vend: (signal?: AbortSignal) => Promise<ReceivedMqttUrl>;
  try {
    ({ first, vend } = await firstVend(options, lease));
  } catch (error) {
    lease.release();
    throw error;
  }

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
      clean: !resume,
      ...mqttOptions,
      clientId: first.clientId,
      transformWsUrl: () => gate.urlForAttempt(),
    });
  } catch (error) {
    gate.stop();
    lease.release();
    throw error;
  }
  const connected = client;
  // The constructor has started the first attempt with the URL just vended. Every later attempt
  // (mqtt.js's reconnect timer, client.reconnect()) calls connect() and goes through the gate.
  gate.attach(connected);

  let lastConnectedAt: number | undefined;
  connected.on('connect', () => {
    lastConnectedAt = Date.now();
  });
  watchTakeovers(connected, {
    onConnackRefused: (code) => gate.onConnackRefused(code),
    onConflict: (kicks) => {
      gate.stop();
      connected.end(true);
      connected.emit('error', new ClientIdConflictError(first.clientId, kicks));
    },
  });
  const stopWaking = listenForWake(() => gate.wake());
  let ending: Promise<void> | undefined;
  connected.once('end', () => {
    stopWaking();
    // end() releases the tab's suffix itself, after discarding the session held under it.
    if (ending === undefined) lease.release();
  });

  return {
    client: connected,
    clientId: first.clientId,
    principalId: first.principalId,
    resume,
    topics: first.topics,
    endpoint: first.endpoint,
    region: first.region,
    get currentUrl() {
      return gate.currentUrl;
    },
    end: (endOptions?: EndOptions) => {
      ending ??= (async () => {
        try {
          gate.stop();
          await connected.endAsync();
          if (!resume || endOptions?.keepSession === true || lastConnectedAt === undefined) return;
          const held = supply.usable()?.url ?? (await vend().catch(() => undefined));
          // Without a URL the session cannot be reached; it expires on its own.
          if (held !== undefined) await discardPersistentSession({ url: held.url, clientId: first.clientId, lastConnectedAt });
        } finally {
          lease.release();
        }
      })();
      return ending;
    },
  };
}
