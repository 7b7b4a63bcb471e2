/**
 * Errors raised by the browser client. Each has a stable `name` so callers can branch on it without
 * `instanceof` across bundle copies. None ever carries a token or a signed URL.
 */

/** Describes a received value for an error message without echoing long strings or objects. */
export function describeReceived(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a value of type ${Array.isArray(value) ? 'array' : typeof value}`;
}

/**
 * An option passed to `connectMqtt` is missing or malformed. Thrown before any request is made.
 */
export class ConnectMqttOptionError extends Error {
  override readonly name = 'ConnectMqttOptionError';
  /** The option at fault, as a dotted path (for example `mqttOptions.clientId`). */
  readonly option: string;
  /** A printable description of the value received. */
  readonly received: string;

  /**
   * @param option the option at fault
   * @param problem what is wrong with it, phrased to follow the option name
   * @param received the value received (described, never echoed in full)
   */
  constructor(option: string, problem: string, received: unknown) {
    const shown = describeReceived(received);
    super(`Invalid ${option}: ${problem} (received ${shown})`);
    this.option = option;
    this.received = shown;
  }
}

/**
 * The vending API (`GET /mqtt-url`) did not hand out a URL.
 *
 * - `status` is the HTTP status, or `0` when no response arrived (network failure, CORS refusal, abort).
 * - `code` and `message` come from the API's JSON error body `{ "error": { "code", "message" } }`
 *   when there is one; otherwise `code` is `NetworkError`, `UnexpectedResponse` or `InvalidResponse`.
 * - `retryAfterSeconds` is the `Retry-After` header of a 503, when the browser may read it (the API
 *   must list it in `Access-Control-Expose-Headers` for cross-origin pages).
 */
export class VendingError extends Error {
  override readonly name = 'VendingError';
  /** The HTTP status, or `0` when the request failed before a response arrived. */
  readonly status: number;
  /** A stable, machine-readable code. */
  readonly code: string;
  /** Seconds to wait before retrying, from `Retry-After`, when the API sent one. */
  readonly retryAfterSeconds: number | undefined;

  /**
   * @param status the HTTP status, or 0 when no response arrived
   * @param code a stable, machine-readable code
   * @param message a one-line explanation safe to show to a user
   * @param options `retryAfterSeconds` and the original error as `cause`
   */
  constructor(
    status: number,
    code: string,
    message: string,
    options: { readonly retryAfterSeconds?: number | undefined; readonly cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
