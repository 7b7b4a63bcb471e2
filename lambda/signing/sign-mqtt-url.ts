/**
 * `signMqttUrl`: the AWS IoT flavour of a SigV4 presigned URL. Synchronous, pure, node:crypto only.
 * Kept apart from the default-chain variant so the Lambda bundle never pulls in the provider chain.
 */
import { EMPTY_PAYLOAD_SHA256 } from './canonical.js';
import { InvalidSigningOptionError, describeValue } from './errors.js';
import { presign } from './presign.js';
import { LruMap } from './lru-map.js';
import { encodeRfc3986 } from './rfc3986.js';
import {
  parseHost,
  resolveProtocol,
  validateCredentials,
  validateExpiresIn,
  validateRegion,
  validateSigningDate,
  type MqttUrlProtocol,
  type SigningCredentials,
} from './validate.js';

/** AWS IoT's SigV4 service name for the MQTT-over-WebSocket gateway. */
export const IOT_SERVICE = 'iotdevicegateway';

/** The `X-Amz-Expires` used when `expiresIn` is not given: short, because a URL is a bearer secret. */
export const DEFAULT_EXPIRES_IN = 300;

/** Options of {@link signMqttUrl}. */
export interface SignMqttUrlOptions {
  /**
   * The AWS IoT data endpoint, a bare host such as `abc123-ats.iot.us-east-1.amazonaws.com`
   * (`host:port` when the port is not 443). Case does not matter; it is lower-cased.
   */
  readonly host: string;
  /** The endpoint's region, for example `us-east-1`. */
  readonly region: string;
  /** The credentials to sign with, in the SDK's `AwsCredentialIdentity` shape. */
  readonly credentials: SigningCredentials;
  /**
   * Validity of the URL in whole seconds, 1..604800.
   * @default 300. `null` leaves `X-Amz-Expires` out, as the original Python library did.
   */
  readonly expiresIn?: number | null;
  /**
   * The signing time. Fixing it makes the URL deterministic.
   * @default - the current time
   */
  readonly signingDate?: Date;
  /**
   * The URL scheme.
   * @default - `wss`, or `ws` for loopback hosts (`ws` is refused for any other host)
   */
  readonly protocol?: MqttUrlProtocol;
}

/** Validated, normalised options: everything needed to sign except the credentials. */
export interface MqttUrlTarget {
  /** The `host` header value: lower case, port kept unless it is the scheme's default. */
  readonly host: string;
  /** The URL scheme, already checked against the host (`ws` only for loopback). */
  readonly protocol: MqttUrlProtocol;
  /** The signing region. */
  readonly region: string;
  /** Seconds, or `undefined` to leave `X-Amz-Expires` out. */
  readonly expiresIn: number | undefined;
  /** `undefined` means "the time of signing". */
  readonly signingDate: Date | undefined;
}

/**
 * Validates every option but the credentials. Split out so that a caller that must fetch credentials
 * first (the default chain) can reject bad input before spending a provider lookup on it.
 *
 * @throws InvalidSigningOptionError naming the option
 */
export function resolveMqttUrlTarget(options: Omit<SignMqttUrlOptions, 'credentials'>): MqttUrlTarget {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidSigningOptionError('options', 'must be an object', describeValue(options));
  }
  const { host, protocol } = resolveEndpoint(options.host, options.protocol);
  const region = validateRegion(options.region);
  const expiresIn = validateExpiresIn(options.expiresIn, DEFAULT_EXPIRES_IN);
  const signingDate = options.signingDate === undefined ? undefined : validateSigningDate(options.signingDate);
  return { host, protocol, region, expiresIn, signingDate };
}

// A process signs for one endpoint or a handful, so validated endpoints are remembered (bounded):
// host parsing is the costliest check and would otherwise run again for every URL. Hosts signed with
// the default protocol and with an explicit one are kept apart, so an invalid protocol (even "")
// can never ride on an earlier valid signing of the same host.
const endpointsWithDefaultProtocol = new LruMap<string, ResolvedEndpoint>(64);
const endpointsWithProtocol = new LruMap<string, ResolvedEndpoint>(64);

interface ResolvedEndpoint {
  readonly host: string;
  readonly protocol: MqttUrlProtocol;
}

function resolveEndpoint(rawHost: unknown, rawProtocol: unknown): ResolvedEndpoint {
  // Only well-typed inputs are memoised; the host string itself is the key in the common case.
  const memo = typeof rawHost !== 'string' ? undefined
    : rawProtocol === undefined ? { map: endpointsWithDefaultProtocol, key: rawHost }
    : typeof rawProtocol === 'string' ? { map: endpointsWithProtocol, key: `${rawProtocol}\n${rawHost}` }
    : undefined;
  const hit = memo?.map.get(memo.key);
  if (hit !== undefined) return hit;
  const { hostname, port } = parseHost(rawHost);
  const protocol = resolveProtocol(rawProtocol, hostname);
  // The scheme's default port is not part of the Host header a WebSocket client sends, so it must
  // not be signed either; any other port is (needed for loopback gateways on :3000 and the like).
  const defaultPort = protocol === 'wss' ? 443 : 80;
  const resolved = { host: port === undefined || port === defaultPort ? hostname : `${hostname}:${port}`, protocol };
  memo?.map.set(memo.key, resolved);
  return resolved;
}

/** Signs a validated target with validated credentials (see {@link validateCredentials}). */
export function signMqttUrlTarget(target: MqttUrlTarget, credentials: SigningCredentials): string {
  const { query, signature } = presign({
    method: 'GET',
    path: '/mqtt',
    host: target.host,
    service: IOT_SERVICE,
    region: target.region,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    signingDate: target.signingDate ?? new Date(),
    expiresIn: target.expiresIn,
    payloadHash: EMPTY_PAYLOAD_SHA256,
  });
  const url = `${target.protocol}://${target.host}/mqtt?${query}&X-Amz-Signature=${signature}`;
  // AWS IoT wants the token after the signature and outside it: a signed token is refused.
  return credentials.sessionToken === undefined ? url : `${url}&X-Amz-Security-Token=${encodedToken(credentials.sessionToken)}`;
}

// A session token is about 1 KB and the same for every URL signed in its session; encoding it costs
// more than the HMAC, so recent encodings are kept (bounded).
const encodedTokens = new LruMap<string, string>(256);

function encodedToken(token: string): string {
  let encoded = encodedTokens.get(token);
  if (encoded === undefined) {
    encoded = encodeRfc3986(token);
    encodedTokens.set(token, encoded);
  }
  return encoded;
}

/**
 * Returns a presigned `wss://<host>/mqtt?…` URL that AWS IoT Core accepts for MQTT over WebSocket.
 *
 * The session token, when present, is appended after `X-Amz-Signature` and is not signed: AWS IoT
 * rejects URLs whose signature covers `X-Amz-Security-Token`, which is what the AWS SDK v3 signer
 * produces. See https://docs.aws.amazon.com/iot/latest/developerguide/protocols.html ("Signing
 * WebSocket connections").
 *
 * @throws InvalidSigningOptionError naming the option when any option is missing or malformed
 */
export function signMqttUrl(options: SignMqttUrlOptions): string {
  const target = resolveMqttUrlTarget(options);
  return signMqttUrlTarget(target, validateCredentials(options.credentials));
}
