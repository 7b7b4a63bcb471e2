/**
 * Types shared by the browser client's modules: the vending API's answer and the caller's hooks.
 */

/** Options passed to a {@link GetToken} callback. */
export interface GetTokenOptions {
  /**
   * `true` when the vending API refused the previous token (HTTP 401): return a newly issued one
   * (for example via Cognito's `REFRESH_TOKEN_AUTH`), not the cached one.
   */
  readonly forceRefresh?: boolean;
}

/**
 * Supplies the Cognito token (ID or access token) sent as `Authorization: Bearer <token>`.
 * Called before every vend, so return a cached token while it is valid.
 */
export type GetToken = (options?: GetTokenOptions) => string | Promise<string>;

/** The subset of the WHATWG `fetch` the client uses; the browser's and Node's both fit. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** The MQTT topics a vended URL's credentials allow, as IAM resource patterns (`*` is the wildcard). */
export interface VendedTopics {
  /** Topic patterns the client may publish to, for example `users/<sub>/*`. */
  readonly publish: readonly string[];
  /** Topic-filter patterns the client may subscribe to (and receive on). */
  readonly subscribe: readonly string[];
}

/** The JSON body of a successful `GET /mqtt-url`. */
export interface VendedMqttUrl {
  /** The presigned `wss://…/mqtt?X-Amz-…` URL. A bearer secret: never log it. */
  readonly url: string;
  /** The MQTT client ID the credentials allow: `<principal>` or `<principal>-<clientSuffix>`. */
  readonly clientId: string;
  /**
   * The caller's principal: the `sub` with a Cognito user pool; with another OIDC issuer
   * `principalIdFor(issuer, sub)`, a UUID. It is what `${sub}` stands for in topic templates, so a
   * user's own topics are `users/<principalId>/…`.
   */
  readonly principalId: string;
  /** When the URL stops being accepted, ISO-8601 (server clock). */
  readonly expiresAt: string;
  /** The AWS IoT data endpoint host. */
  readonly endpoint: string;
  /** The endpoint's region. */
  readonly region: string;
  /** The topics the credentials allow. */
  readonly topics: VendedTopics;
}

/**
 * A vended URL plus when it was received, measured on the local clock so that a skewed client
 * clock cannot make every URL look expired (or never expired).
 */
export interface ReceivedMqttUrl extends VendedMqttUrl {
  /** Local `Date.now()` when the request was sent (the URL was signed after this). */
  readonly requestedAt: number;
  /** Local `Date.now()` when the answer had arrived: `receivedAt - requestedAt` is the vend's round trip. */
  readonly receivedAt: number;
  /** How long the URL is valid, from its own `X-Amz-Date` to `expiresAt` (both server clock), ms. */
  readonly lifetimeMs: number;
  /** Local time (ms) after which the URL is no longer used for a new connection. */
  readonly usableUntil: number;
}
