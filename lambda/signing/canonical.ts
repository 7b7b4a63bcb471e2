/**
 * The SigV4 canonical artefacts, one function each, for query-string (presigned) requests whose
 * only signed header is `host`. Reference:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
import { createHash } from 'node:crypto';
import { encodeRfc3986 } from './rfc3986.js';

/** The signing algorithm name that appears in `X-Amz-Algorithm` and the string to sign. */
export const ALGORITHM = 'AWS4-HMAC-SHA256';

/** Hex SHA-256 of the empty string: the payload hash of a body-less GET such as the MQTT upgrade. */
export const EMPTY_PAYLOAD_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Hex SHA-256 of a UTF-8 string. */
export function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

/** `YYYYMMDDTHHMMSSZ`, the `X-Amz-Date` form of a date (UTC, no fractional seconds). */
export function toAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** `<YYYYMMDD>/<region>/<service>/aws4_request`: the credential scope. */
export function credentialScope(dateStamp: string, region: string, service: string): string {
  return `${dateStamp}/${region}/${service}/aws4_request`;
}

/**
 * The canonical query string: each name and value RFC 3986-encoded, pairs sorted by encoded name
 * (code-unit order, which equals byte order for the ASCII that encoding leaves), joined with `&`.
 */
export function canonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** The parts of a canonical request whose only signed header is `host`. */
export interface CanonicalRequestParts {
  /** HTTP method, upper case. */
  readonly method: string;
  /** The already-encoded absolute path, for example `/mqtt`. */
  readonly path: string;
  /** The output of {@link canonicalQuery}. */
  readonly query: string;
  /** The `host` header value: lower-case host, with the port when it is not the scheme's default. */
  readonly host: string;
  /** Hex SHA-256 of the payload, or `UNSIGNED-PAYLOAD`. */
  readonly payloadHash: string;
}

/** The canonical request: method, path, query, canonical headers, signed headers, payload hash. */
export function canonicalRequest(parts: CanonicalRequestParts): string {
  return `${parts.method}\n${parts.path}\n${parts.query}\nhost:${parts.host}\n\nhost\n${parts.payloadHash}`;
}

/** The string to sign: algorithm, request date, credential scope and the canonical request's hash. */
export function stringToSign(amzDate: string, scope: string, canonicalRequestText: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequestText)}`;
}
