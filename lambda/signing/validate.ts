/**
 * Validation of the signer's options. Each check throws {@link InvalidSigningOptionError} naming the
 * option, so a caller learns exactly which input to fix and nothing is signed from bad input.
 */
import { describeValue, InvalidSigningOptionError } from './errors.js';
import { isRegionName } from './region.js';

/** Credentials in the AWS SDK's `AwsCredentialIdentity` shape. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Present for temporary (STS, SSO, role) credentials. Appended to the URL unsigned. */
  readonly sessionToken?: string | undefined;
}

/** The WebSocket scheme of the URL. */
export type MqttUrlProtocol = 'wss' | 'ws';

/** A host split into the parts the signer needs. */
export interface ParsedHost {
  /** Lower-case host name (IPv6 literals keep their brackets). */
  readonly hostname: string;
  /** The port when given, else `undefined`. */
  readonly port: number | undefined;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const IPV6_LITERAL = /^\[[0-9a-f:.]+\]$/;
// IAM's AccessKeyId pattern is `[\w]+` with length 16..128.
const ACCESS_KEY_ID = /^\w{16,128}$/;
// Secrets and tokens are printable ASCII without spaces; anything else is a copy-paste accident.
const PRINTABLE = /^[\x21-\x7e]+$/;

/** SigV4's bounds for `X-Amz-Expires`, in seconds. */
export const MIN_EXPIRES_IN = 1;
/** SigV4's upper bound for `X-Amz-Expires`: seven days. */
export const MAX_EXPIRES_IN = 604_800;

/**
 * Parses and validates a bare host (`name`, `name:port`, `[v6]:port`). Schemes, paths, queries,
 * user info and white space are rejected rather than stripped: silently "fixing" an endpoint hides
 * configuration mistakes.
 */
export function parseHost(host: unknown, option = 'host'): ParsedHost {
  if (typeof host !== 'string' || host.length === 0) {
    throw new InvalidSigningOptionError(option, 'must be a non-empty host name such as abc123-ats.iot.us-east-1.amazonaws.com', describeValue(host));
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) {
    throw new InvalidSigningOptionError(option, 'must be a bare host name without a scheme', describeValue(host));
  }
  if (/[\s/?#@\\]/.test(host)) {
    throw new InvalidSigningOptionError(option, 'must be a bare host name: no spaces, path, query, fragment or user info', describeValue(host));
  }
  const lower = host.toLowerCase();
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(lower);
  const invalidName = () => new InvalidSigningOptionError(option, 'is not a valid host name', describeValue(host));
  if (match === null) throw invalidName();
  // Group 1 always takes part in a match.
  const hostname = match[1] as string;
  if (hostname.length > 253 || !(isDnsOrIpv4(hostname) || IPV6_LITERAL.test(hostname))) throw invalidName();
  if (!IPV6_LITERAL.test(hostname)) {
    // Browsers and mqtt.js read the URL with WHATWG URL, which decodes an `xn--` label's punycode
    // (refusing the whole URL when it is malformed), reads a name whose last label is a hex number
    // (`0x1`) as IPv4, and an IPv4 part with a leading zero as octal. The host signed must be the
    // very one the client will send. https://url.spec.whatwg.org/#host-parsing
    const read = whatwgHostname(hostname);
    if (read === undefined) throw new InvalidSigningOptionError(option, 'is not a host name a URL can hold (a malformed xn-- punycode label, or a last label a URL reads as a number, such as 0x1)', describeValue(host));
    if (read !== hostname) throw new InvalidSigningOptionError(option, `is read as ${read} by a URL parser, which is the host a client would send: use that`, describeValue(host));
  }
  const portText = match[2];
  if (portText === undefined) return { hostname, port: undefined };
  const port = Number(portText);
  if (port < 1 || port > 65_535) {
    throw new InvalidSigningOptionError(option, 'has a port outside 1..65535', describeValue(host));
  }
  return { hostname, port };
}

/** How WHATWG URL reads a DNS name or IPv4 address; `undefined` when it refuses it. */
function whatwgHostname(hostname: string): string | undefined {
  let read: string | undefined;
  try {
    read = new URL(`wss://${hostname}/`).hostname;
  } catch {
    // Refused: `read` stays undefined.
  }
  return read;
}

// A name whose last label is numeric is parsed as IPv4 by WHATWG URL (what browsers and mqtt.js
// use), so it must be a well-formed dotted quad: `a.0` would be an unusable URL.
function isDnsOrIpv4(hostname: string): boolean {
  if (!HOSTNAME.test(hostname)) return false;
  const labels = hostname.split('.');
  // split() always yields at least one label.
  if (!/^\d+$/.test(labels.at(-1) as string)) return true;
  return labels.length === 4 && labels.every((label) => /^\d{1,3}$/.test(label) && Number(label) <= 255);
}

/** Whether a host name is a loopback address (`localhost`, `127.0.0.0/8`, `[::1]`). */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** Validates an AWS region name. */
export function validateRegion(region: unknown, option = 'region'): string {
  if (typeof region !== 'string' || !isRegionName(region)) {
    throw new InvalidSigningOptionError(option, 'must be an AWS region name such as us-east-1', describeValue(region));
  }
  return region;
}

// Callers sign many URLs with one credentials object; the last validation of each object is
// remembered and reused while its three fields are still the very same strings.
const validatedCredentials = new WeakMap<object, SigningCredentials>();

/** Validates credentials; secrets are never echoed in the error, only described. */
export function validateCredentials(credentials: unknown): SigningCredentials {
  // WeakMap.get answers undefined for anything that is not an object, so only a remembered object
  // can skip the checks.
  const known = validatedCredentials.get(credentials as object);
  const fields = credentials as Record<string, unknown>;
  if (known !== undefined && known.accessKeyId === fields['accessKeyId'] && known.secretAccessKey === fields['secretAccessKey'] && known.sessionToken === fields['sessionToken']) {
    return known;
  }
  const validated = checkCredentials(credentials);
  validatedCredentials.set(credentials as object, validated);
  return validated;
}

function checkCredentials(credentials: unknown): SigningCredentials {
  if (typeof credentials !== 'object' || credentials === null) {
    throw new InvalidSigningOptionError('credentials', 'must be an object with accessKeyId and secretAccessKey', describeValue(credentials));
  }
  const { accessKeyId, secretAccessKey, sessionToken } = credentials as Record<string, unknown>;
  if (typeof accessKeyId !== 'string' || !ACCESS_KEY_ID.test(accessKeyId)) {
    throw new InvalidSigningOptionError('credentials.accessKeyId', 'must be 16 to 128 letters, digits or underscores', describeValue(accessKeyId));
  }
  if (typeof secretAccessKey !== 'string' || !PRINTABLE.test(secretAccessKey)) {
    throw new InvalidSigningOptionError('credentials.secretAccessKey', 'must be a non-empty string of printable characters without spaces', describeSecret(secretAccessKey));
  }
  if (sessionToken !== undefined && (typeof sessionToken !== 'string' || !PRINTABLE.test(sessionToken))) {
    throw new InvalidSigningOptionError('credentials.sessionToken', 'must be omitted or a non-empty string of printable characters without spaces', describeSecret(sessionToken));
  }
  return { accessKeyId, secretAccessKey, sessionToken };
}

// Number.isInteger is false for every non-number, so it needs no typeof check before it; this
// wrapper only tells TypeScript so.
const isWholeNumber = (value: unknown): value is number => Number.isInteger(value);

/**
 * Validates `expiresIn`. `undefined` takes the default; `null` leaves `X-Amz-Expires` out of the URL,
 * as the original Python library did (AWS IoT then applies its own limit).
 */
export function validateExpiresIn(expiresIn: unknown, defaultSeconds: number): number | undefined {
  if (expiresIn === undefined) return defaultSeconds;
  if (expiresIn === null) return undefined;
  if (!isWholeNumber(expiresIn) || expiresIn < MIN_EXPIRES_IN || expiresIn > MAX_EXPIRES_IN) {
    throw new InvalidSigningOptionError('expiresIn', `must be a whole number of seconds from ${MIN_EXPIRES_IN} to ${MAX_EXPIRES_IN}`, describeValue(expiresIn));
  }
  return expiresIn;
}

/** Validates `signingDate`. */
export function validateSigningDate(signingDate: unknown): Date {
  if (!(signingDate instanceof Date) || Number.isNaN(signingDate.getTime())) {
    throw new InvalidSigningOptionError('signingDate', 'must be a valid Date', describeValue(signingDate));
  }
  return signingDate;
}

/** Validates the scheme against the host: plain `ws` would expose the URL, so it is loopback-only. */
export function resolveProtocol(protocol: unknown, hostname: string): MqttUrlProtocol {
  const loopback = isLoopbackHostname(hostname);
  if (protocol === undefined) return loopback ? 'ws' : 'wss';
  if (protocol === 'wss') return 'wss';
  if (protocol === 'ws' && loopback) return 'ws';
  if (protocol === 'ws') {
    throw new InvalidSigningOptionError('protocol', 'may be "ws" only for loopback hosts (localhost, 127.0.0.0/8, [::1])', `"ws" with host ${hostname}`);
  }
  throw new InvalidSigningOptionError('protocol', 'must be "wss" or "ws"', describeValue(protocol));
}

function describeSecret(value: unknown): string {
  if (typeof value !== 'string') return describeValue(value);
  return value.length === 0 ? 'an empty string' : `a string of ${value.length} characters`;
}
