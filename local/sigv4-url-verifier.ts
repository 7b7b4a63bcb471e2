/**
 * Verifies the SigV4 query signature of an MQTT-over-WebSocket handshake the way AWS IoT does,
 * INDEPENDENTLY of the project's signer: the expected signature is recomputed with the AWS SDK's own
 * `@smithy/signature-v4`, so a bug in `lambda/signing` cannot hide behind a verifier sharing its code.
 *
 * AWS IoT's rules, beyond plain SigV4:
 * - service `iotdevicegateway`, `GET /mqtt`, only `host` signed;
 * - the session token travels in `X-Amz-Security-Token` AFTER signing and must NOT be signed
 *   (https://docs.aws.amazon.com/iot/latest/developerguide/protocols.html, "Signing WebSocket
 *   connections"): the expected signature is computed without it, so a URL whose signature covers
 *   the token does not verify;
 * - a presigned URL is refused once it is older than about 15 minutes whatever `X-Amz-Expires` says.
 *
 * Its SigV4 parsing helpers (query, `X-Amz-Date`, constant-time compare) are exported for the STS
 * request verifier, so the two verifiers read requests the same way.
 */
import { timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS IoT's SigV4 service name for the WebSocket gateway. */
export const IOT_SIGNING_SERVICE = 'iotdevicegateway';
/** AWS IoT refuses presigned URLs older than this, whatever `X-Amz-Expires` says. */
export const MAX_URL_AGE_SECONDS = 15 * 60;
/** How far in the future `X-Amz-Date` may be: AWS's usual SigV4 clock-skew allowance. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;
/** SigV4's own bound on `X-Amz-Expires`: seven days. */
export const MAX_EXPIRES_SECONDS = 604_800;

/** Why a handshake was refused. Stable codes, safe to log: none carries a secret. */
export type HandshakeRefusalCode =
  | 'malformed-query'
  | 'wrong-host'
  | 'unsupported-algorithm'
  | 'bad-credential-scope'
  | 'unsupported-signed-headers'
  | 'bad-date'
  | 'bad-expires'
  | 'not-yet-valid'
  | 'url-expired'
  | 'url-too-old'
  | 'unknown-access-key'
  | 'session-expired'
  | 'signed-session-token'
  | 'bad-signature'
  | 'missing-session-token'
  | 'wrong-session-token';

/** The credentials behind an access key id, as the verifier needs them. `StsSession` fits. */
export interface VerifiableCredentials {
  readonly secretAccessKey: string;
  /** Present for temporary credentials: the URL must then carry it, unsigned. */
  readonly sessionToken?: string | undefined;
  /** When temporary credentials stop being valid. */
  readonly expiration?: Date | undefined;
}

/** What {@link verifyPresignedHandshake} needs to know about the endpoint. */
export interface HandshakeVerifierOptions {
  /** The `host[:port]` clients must sign and send, lower case, e.g. `127.0.0.1:3000`. */
  readonly host: string;
  /** The endpoint's region, e.g. `us-east-1`. */
  readonly region: string;
  /** Finds the credentials behind an access key id. */
  readonly lookup: (accessKeyId: string) => VerifiableCredentials | undefined;
  /** The verifier's clock. */
  readonly now: () => Date;
  /**
   * TEST-ONLY fault: skip the signature comparison, so a tampered URL (a changed signature or a
   * raised `X-Amz-Expires`) is accepted. Never set outside tests.
   * @default false
   */
  readonly acceptBadSignatures?: boolean;
}

/** The handshake request: what arrives in the HTTP upgrade. */
export interface HandshakeRequest {
  /** The request target, path and query, e.g. `/mqtt?X-Amz-Algorithm=…`. */
  readonly url: string;
  /** The `Host` header, if any. */
  readonly host: string | undefined;
}

/** The outcome: the authenticated access key id, or a refusal with a reason. */
export type HandshakeVerdict =
  | { readonly ok: true; readonly accessKeyId: string; readonly credentials: VerifiableCredentials }
  | { readonly ok: false; readonly code: HandshakeRefusalCode; readonly reason: string };

const SIGV4_PARAMS = new Set([
  'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token',
]);
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function refuse(code: HandshakeRefusalCode, reason: string): HandshakeVerdict {
  return { ok: false, code, reason };
}

/**
 * Splits a raw query into decoded parameters, each name with its values in order. `+` stays a plus
 * (SigV4 canonicalisation re-encodes values with RFC 3986, where `+` is not a space), so
 * URLSearchParams would be wrong here. Shared with the STS request verifier.
 * @returns `undefined` when the query is not valid percent-encoding
 */
export function parseQuery(rawQuery: string): Map<string, string[]> | undefined {
  const params = new Map<string, string[]>();
  if (rawQuery === '') return params;
  for (const pair of rawQuery.split('&')) {
    const equals = pair.indexOf('=');
    const rawKey = equals === -1 ? pair : pair.slice(0, equals);
    const rawValue = equals === -1 ? '' : pair.slice(equals + 1);
    try {
      const key = decodeURIComponent(rawKey);
      params.set(key, [...(params.get(key) ?? []), decodeURIComponent(rawValue)]);
    } catch {
      return undefined;
    }
  }
  return params;
}

/** A date as SigV4's `X-Amz-Date` writes it: `yyyyMMddTHHmmssZ`, UTC, whole seconds. */
export function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** `yyyyMMddTHHmmssZ` → Date; `undefined` for anything else, impossible dates such as 20240231T000000Z included. */
export function parseAmzDate(text: string): Date | undefined {
  const match = AMZ_DATE.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Round-trip to refuse dates that Date.UTC rolls over.
  return formatAmzDate(date) === text ? date : undefined;
}

/** Compares two secrets (signatures, tokens) in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Recomputes the signature with `@smithy/signature-v4`. With `X-Amz-Expires` this is the SDK's own
 * `presign`; without it (allowed by SigV4 and by AWS IoT, which then applies its 15-minute limit)
 * `presign` cannot be used because it always adds `X-Amz-Expires`, so the same canonical request is
 * produced through `sign` with the query pre-filled and `x-amz-date` kept out of the signed headers.
 */
async function expectedSignature(input: {
  host: string; region: string; accessKeyId: string; secretAccessKey: string; sessionToken: string | undefined;
  signingDate: Date; expiresIn: number | undefined; otherQuery: Record<string, string[]>;
}): Promise<string> {
  const credentials = { accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey, sessionToken: input.sessionToken };
  const signer = new SignatureV4({ service: IOT_SIGNING_SERVICE, region: input.region, credentials, sha256: Sha256, applyChecksum: false });
  const query: Record<string, string | string[]> = { ...input.otherQuery };
  const request = new HttpRequest({ method: 'GET', protocol: 'https:', hostname: input.host, path: '/mqtt', query, headers: { host: input.host } });
  if (input.expiresIn !== undefined) {
    const presigned = await signer.presign(request, { signingDate: input.signingDate, expiresIn: input.expiresIn });
    const signature = presigned.query?.['X-Amz-Signature'];
    return typeof signature === 'string' ? signature : '';
  }
  const stamp = formatAmzDate(input.signingDate);
  query['X-Amz-Algorithm'] = 'AWS4-HMAC-SHA256';
  query['X-Amz-Credential'] = `${input.accessKeyId}/${stamp.slice(0, 8)}/${input.region}/${IOT_SIGNING_SERVICE}/aws4_request`;
  query['X-Amz-Date'] = stamp;
  query['X-Amz-SignedHeaders'] = 'host';
  if (input.sessionToken !== undefined) query['X-Amz-Security-Token'] = input.sessionToken;
  const signed = await signer.sign(request, { signingDate: input.signingDate, unsignableHeaders: new Set(['x-amz-date', 'x-amz-security-token']) });
  const authorization = signed.headers['authorization'] ?? signed.headers['Authorization'] ?? '';
  return /Signature=([0-9a-f]+)/.exec(authorization)?.[1] ?? '';
}

/**
 * Verifies a presigned MQTT handshake. Checks, in order: query well-formed (each SigV4 parameter at
 * most once); `Host` is the endpoint's; algorithm; credential scope (date of `X-Amz-Date`, the
 * endpoint's region, `iotdevicegateway`); only `host` signed; the date window; the access key is
 * known and its session unexpired; the signature (computed without the token, constant-time
 * compare); the token present and equal to the session's.
 */
export async function verifyPresignedHandshake(request: HandshakeRequest, options: HandshakeVerifierOptions): Promise<HandshakeVerdict> {
  const queryStart = request.url.indexOf('?');
  const params = parseQuery(queryStart === -1 ? '' : request.url.slice(queryStart + 1));
  if (params === undefined) return refuse('malformed-query', 'the query string is not valid percent-encoding');
  const single = (name: string): string | undefined => params.get(name)?.[0];
  for (const name of SIGV4_PARAMS) {
    if ((params.get(name)?.length ?? 0) > 1) return refuse('malformed-query', `${name} appears more than once`);
  }
  for (const name of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature']) {
    if (single(name) === undefined) return refuse('malformed-query', `${name} is missing`);
  }

  const host = request.host?.toLowerCase();
  if (host !== options.host) return refuse('wrong-host', `the Host header ${JSON.stringify(request.host)} is not this endpoint's (${options.host})`);
  if (single('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return refuse('unsupported-algorithm', 'X-Amz-Algorithm must be AWS4-HMAC-SHA256');

  const date = parseAmzDate(single('X-Amz-Date') ?? '');
  if (date === undefined) return refuse('bad-date', 'X-Amz-Date must be a valid yyyyMMddTHHmmssZ time');
  const scope = (single('X-Amz-Credential') ?? '').split('/');
  const [accessKeyId = '', day, region, service, terminator] = scope;
  if (scope.length !== 5 || accessKeyId === '' || day !== (single('X-Amz-Date') ?? '').slice(0, 8) || region !== options.region ||
      service !== IOT_SIGNING_SERVICE || terminator !== 'aws4_request') {
    return refuse('bad-credential-scope', `X-Amz-Credential must be <key>/<date of X-Amz-Date>/${options.region}/${IOT_SIGNING_SERVICE}/aws4_request`);
  }
  if (single('X-Amz-SignedHeaders') !== 'host') return refuse('unsupported-signed-headers', 'X-Amz-SignedHeaders must be exactly "host"');

  const expiresText = single('X-Amz-Expires');
  let expiresIn: number | undefined;
  if (expiresText !== undefined) {
    expiresIn = /^\d{1,6}$/.test(expiresText) ? Number(expiresText) : Number.NaN;
    if (!(expiresIn >= 1 && expiresIn <= MAX_EXPIRES_SECONDS)) return refuse('bad-expires', `X-Amz-Expires must be whole seconds from 1 to ${MAX_EXPIRES_SECONDS}`);
  }
  const now = options.now().getTime();
  const signedAt = date.getTime();
  if (signedAt > now + MAX_CLOCK_SKEW_SECONDS * 1000) return refuse('not-yet-valid', 'X-Amz-Date is in the future beyond the allowed clock skew');
  if (expiresIn !== undefined && now > signedAt + expiresIn * 1000) return refuse('url-expired', 'the URL is past X-Amz-Date + X-Amz-Expires');
  if (now > signedAt + MAX_URL_AGE_SECONDS * 1000) return refuse('url-too-old', `the URL is older than ${MAX_URL_AGE_SECONDS / 60} minutes`);

  const credentials = options.lookup(accessKeyId);
  if (credentials === undefined) return refuse('unknown-access-key', 'the access key id is not known');
  if (credentials.expiration !== undefined && credentials.expiration.getTime() <= now) return refuse('session-expired', 'the credentials have expired');

  const otherQuery: Record<string, string[]> = {};
  for (const [name, values] of params) if (!SIGV4_PARAMS.has(name)) otherQuery[name] = values;
  const signature = single('X-Amz-Signature') ?? '';
  const common = { host, region: options.region, accessKeyId, secretAccessKey: credentials.secretAccessKey, signingDate: date, expiresIn, otherQuery };
  const expected = await expectedSignature({ ...common, sessionToken: undefined });
  if (options.acceptBadSignatures !== true && (!/^[0-9a-f]{64}$/.test(signature) || !constantTimeEqual(signature, expected))) {
    // Only to name the mistake: a signature that covers the token is still a refusal.
    const token = single('X-Amz-Security-Token');
    if (token !== undefined && /^[0-9a-f]{64}$/.test(signature) && constantTimeEqual(signature, await expectedSignature({ ...common, sessionToken: token }))) {
      return refuse('signed-session-token', 'X-Amz-Security-Token must be appended after signing, not signed');
    }
    return refuse('bad-signature', 'the signature does not match');
  }

  const token = single('X-Amz-Security-Token');
  if (credentials.sessionToken !== undefined) {
    if (token === undefined) return refuse('missing-session-token', 'temporary credentials need X-Amz-Security-Token');
    if (!constantTimeEqual(token, credentials.sessionToken)) return refuse('wrong-session-token', 'X-Amz-Security-Token does not belong to this access key');
  } else if (token !== undefined) {
    return refuse('wrong-session-token', 'long-term credentials take no X-Amz-Security-Token');
  }
  return { ok: true, accessKeyId, credentials };
}
