/**
 * The SigV4 canonical artefacts, one function each, for query-string (presigned) requests whose
 * only signed header is `host`. Reference:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
import { hash } from 'node:crypto';
import { encodeRfc3986 } from './rfc3986.js';

/** The signing algorithm name that appears in `X-Amz-Algorithm` and the string to sign. */
export const ALGORITHM = 'AWS4-HMAC-SHA256';

/** Hex SHA-256 of the empty string: the payload hash of a body-less GET such as the MQTT upgrade. */
export const EMPTY_PAYLOAD_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * Hex SHA-256 of a UTF-8 string. `crypto.hash` (Node 20.12+, and the package needs 20.19) is a
 * one-shot digest at about half the cost of createHash().update().digest().
 */
export function sha256Hex(data: string): string {
  return hash('sha256', data, 'hex');
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/** `YYYYMMDDTHHMMSSZ`, the `X-Amz-Date` form of a date (UTC, no fractional seconds). */
export function toAmzDate(date: Date): string {
  // Field by field rather than toISOString() and two regex passes: this runs once per URL.
  return `${date.getUTCFullYear()}${pad2(date.getUTCMonth() + 1)}${pad2(date.getUTCDate())}T${pad2(date.getUTCHours())}${pad2(date.getUTCMinutes())}${pad2(date.getUTCSeconds())}Z`;
}

/** `<YYYYMMDD>/<region>/<service>/aws4_request`: the credential scope. */
export function credentialScope(dateStamp: string, region: string, service: string): string {
  return `${dateStamp}/${region}/${service}/aws4_request`;
}

// The last credential scope encoded, and its encoding: a scope changes once a day per region and
// service, while encoding the whole credential again cost as much as hashing the canonical request.
let lastScope: { readonly scope: string; readonly encoded: string } | undefined;

/**
 * `X-Amz-Credential`'s value, `<access key id>/<scope>`, RFC 3986-encoded. Percent-encoding works
 * character by character, so encoding the two parts apart and joining them with an encoded `/` gives
 * the same text as encoding the whole; the scope's encoding is kept from the previous call.
 */
export function encodedCredential(accessKeyId: string, scope: string): string {
  // Stryker disable next-line ConditionalExpression: encoding the scope again on every call (`true`) gives the same text; only the time differs
  if (lastScope?.scope !== scope) lastScope = { scope, encoded: encodeRfc3986(scope) };
  return `${encodeRfc3986(accessKeyId)}%2F${lastScope.encoded}`;
}

/**
 * The canonical query of a presigned request with `host` as its only signed header: the `X-Amz-*`
 * parameters, each RFC 3986-encoded, sorted by name and joined with `&`. They are written out in
 * their sorted order (Algorithm < Credential < Date < Expires < SignedHeaders) rather than sorted at
 * run time, because this runs once per URL and a generic sort costs more than the rest of the query.
 * Only the credential needs encoding (its `/`), which the caller did ({@link encodedCredential}); the
 * date and the expiry are digits. `expiresIn` undefined leaves `X-Amz-Expires` out.
 */
export function canonicalPresignQuery(encodedCredentialValue: string, amzDate: string, expiresIn: number | undefined): string {
  const expires = expiresIn === undefined ? '' : `&X-Amz-Expires=${expiresIn}`;
  return `X-Amz-Algorithm=${ALGORITHM}&X-Amz-Credential=${encodedCredentialValue}&X-Amz-Date=${amzDate}${expires}&X-Amz-SignedHeaders=host`;
}

/** The parts of a canonical request whose only signed header is `host`. */
export interface CanonicalRequestParts {
  /** HTTP method, upper case. */
  readonly method: string;
  /** The already-encoded absolute path, for example `/mqtt`. */
  readonly path: string;
  /** The output of {@link canonicalPresignQuery}. */
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
