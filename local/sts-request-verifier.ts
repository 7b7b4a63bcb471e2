/**
 * Authenticates a request to the loopback STS the way AWS STS does: a SigV4 `Authorization` header
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html), verified
 * INDEPENDENTLY of whoever signed it: the expected signature is recomputed with `@smithy/signature-v4`
 * from the method, path, query, signed headers and body as received, with the secret registered for
 * the access key id, and compared in constant time.
 *
 * Refusals carry STS's own error codes and HTTP statuses
 * (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html), so the AWS SDK reports
 * them as it would against AWS — including `SignatureDoesNotMatch` for a stale `X-Amz-Date`, which
 * the SDK treats as clock skew (it corrects its clock from the answer's `Date` header and retries).
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { constantTimeEqual, formatAmzDate, parseAmzDate, parseQuery, type VerifiableCredentials } from './sigv4-url-verifier.js';

/** STS's SigV4 service name. */
export const STS_SIGNING_SERVICE = 'sts';
/** AWS refuses a request whose `X-Amz-Date` is further than this from its own clock, either way. */
export const MAX_REQUEST_SKEW_SECONDS = 15 * 60;

/**
 * The secret side of an access key id, as the verifier needs it: the same shape the IoT gateway's
 * URL verifier looks up. Temporary credentials must carry their token in `X-Amz-Security-Token`.
 */
export type StsCallerSecret = VerifiableCredentials;

/** A request as the HTTP server received it. */
export interface ReceivedStsRequest {
  readonly method: string;
  /** The request target, path and query, e.g. `/` or `/?Action=AssumeRole&…`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
}

/** What {@link verifyStsRequest} needs besides the request. */
export interface StsVerifierOptions {
  /** Finds the secret behind an access key id (`undefined`: the key does not exist). */
  readonly lookup: (accessKeyId: string) => StsCallerSecret | undefined;
  /** STS's clock. */
  readonly now: () => Date;
}

/** The outcome: the authenticated access key id, or STS's refusal. None carries a secret. */
export type StsAuthVerdict =
  | { readonly ok: true; readonly accessKeyId: string }
  | { readonly ok: false; readonly status: 400 | 403; readonly code: StsAuthErrorCode; readonly message: string };

/** The authentication error codes STS answers with. */
export type StsAuthErrorCode =
  | 'MissingAuthenticationToken'
  | 'IncompleteSignature'
  | 'InvalidClientTokenId'
  | 'SignatureDoesNotMatch'
  | 'ExpiredToken';

const ALGORITHM = 'AWS4-HMAC-SHA256';
// STS's wording for a signature that does not verify.
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

function refuse(status: 400 | 403, code: StsAuthErrorCode, message: string): StsAuthVerdict {
  return { ok: false, status, code, message };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The three parts of a SigV4 `Authorization` header, or what is wrong with it. */
function parseAuthorization(value: string): { credential: string; signedHeaders: string[]; signature: string } | string {
  const space = value.indexOf(' ');
  const algorithm = space === -1 ? value : value.slice(0, space);
  if (algorithm !== ALGORITHM) return `Unsupported AWS 'algorithm': '${algorithm}'`;
  const parts = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const equals = part.indexOf('=');
    if (equals !== -1) parts.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !parts.get(name));
  if (missing.length > 0) return missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' ');
  return { credential: parts.get('Credential') ?? '', signedHeaders: (parts.get('SignedHeaders') ?? '').split(';'), signature: parts.get('Signature') ?? '' };
}

/** Recomputes the request's signature with `@smithy/signature-v4`, over the signed headers only. */
async function expectedSignature(input: {
  request: ReceivedStsRequest; path: string; query: Record<string, string[]>; signedHeaders: readonly string[];
  accessKeyId: string; secretAccessKey: string; region: string; signingDate: Date;
}): Promise<string> {
  const headers: Record<string, string> = {};
  for (const name of input.signedHeaders) {
    const value = header(input.request.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  // The token is verified as a header value (signed or not), never re-added by the signer; and
  // applyChecksum is off so the signer adds no header the caller did not sign.
  const signer = new SignatureV4({
    service: STS_SIGNING_SERVICE,
    region: input.region,
    credentials: { accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey },
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    new HttpRequest({ method: input.request.method, protocol: 'http:', hostname: 'sts.local', path: input.path, query: input.query, headers, body: input.request.body }),
    // Signed headers SigV4 normally leaves out (user-agent, …) still count when the caller signed them.
    { signingDate: input.signingDate, signableHeaders: new Set(input.signedHeaders) },
  );
  return /Signature=([0-9a-f]+)/.exec(signed.headers['authorization'] ?? '')?.[1] ?? '';
}

/**
 * Authenticates a request to STS. Checks, in order: an `Authorization` header (else
 * `MissingAuthenticationToken`); its form, a signed `host` and a signed, valid `X-Amz-Date`
 * (`IncompleteSignature`); the credential scope (`sts`, `aws4_request`, the date of `X-Amz-Date`) and
 * the date within 15 minutes of STS's clock (`SignatureDoesNotMatch`); the access key id is known
 * (`InvalidClientTokenId`); a signed `x-amz-content-sha256` matches the body, and the signature
 * (`SignatureDoesNotMatch`); the session token, present exactly when the key is temporary and equal
 * to its own (`InvalidClientTokenId`); the temporary key unexpired (`ExpiredToken`).
 */
export async function verifyStsRequest(request: ReceivedStsRequest, options: StsVerifierOptions): Promise<StsAuthVerdict> {
  const authorization = header(request.headers, 'authorization');
  if (authorization === undefined || authorization === '') return refuse(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
  const parsed = parseAuthorization(authorization);
  if (typeof parsed === 'string') return refuse(400, 'IncompleteSignature', parsed);
  const { credential, signedHeaders, signature } = parsed;
  if (!signedHeaders.includes('host')) return refuse(400, 'IncompleteSignature', "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  const amzDate = header(request.headers, 'x-amz-date');
  if (amzDate === undefined || !signedHeaders.includes('x-amz-date')) {
    return refuse(400, 'IncompleteSignature', "Authorization header requires existence of a signed 'X-Amz-Date' header.");
  }
  const signingDate = parseAmzDate(amzDate);
  if (signingDate === undefined) return refuse(400, 'IncompleteSignature', `Date must be in ISO-8601 'basic format'. Got '${amzDate}'.`);

  const scope = credential.split('/');
  const [accessKeyId = '', day = '', region = '', service = '', terminator = ''] = scope;
  if (scope.length !== 5 || accessKeyId === '' || !/^[a-z0-9-]+$/.test(region) || terminator !== 'aws4_request') {
    return refuse(400, 'IncompleteSignature', `Credential should be scoped to a valid region, the date and 'aws4_request' (received scope of ${scope.length} parts).`);
  }
  if (service !== STS_SIGNING_SERVICE) return refuse(403, 'SignatureDoesNotMatch', `Credential should be scoped to correct service: '${STS_SIGNING_SERVICE}'.`);
  if (day !== amzDate.slice(0, 8)) {
    return refuse(403, 'SignatureDoesNotMatch', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${day}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
  }

  const now = options.now();
  const skewMs = MAX_REQUEST_SKEW_SECONDS * 1000;
  if (signingDate.getTime() < now.getTime() - skewMs) {
    return refuse(403, 'SignatureDoesNotMatch', `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(new Date(now.getTime() - skewMs))} (${formatAmzDate(now)} - 15 min.)`);
  }
  if (signingDate.getTime() > now.getTime() + skewMs) {
    return refuse(403, 'SignatureDoesNotMatch', `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(new Date(now.getTime() + skewMs))} (${formatAmzDate(now)} + 15 min.)`);
  }

  const secret = options.lookup(accessKeyId);
  if (secret === undefined) return refuse(403, 'InvalidClientTokenId', INVALID_TOKEN);

  // The signer would take a caller-supplied payload hash on trust, so check it against the body.
  const contentSha256 = header(request.headers, 'x-amz-content-sha256');
  if (contentSha256 !== undefined && contentSha256 !== createHash('sha256').update(request.body).digest('hex')) {
    return refuse(403, 'SignatureDoesNotMatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const queryStart = request.url.indexOf('?');
  const params = parseQuery(queryStart === -1 ? '' : request.url.slice(queryStart + 1));
  if (params === undefined) return refuse(403, 'SignatureDoesNotMatch', 'The query string is not valid percent-encoding.');
  const query = Object.fromEntries(params);
  const path = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const expected = await expectedSignature({ request, path, query, signedHeaders, accessKeyId, secretAccessKey: secret.secretAccessKey, region, signingDate });
  if (!/^[0-9a-f]{64}$/.test(signature) || !constantTimeEqual(signature, expected)) return refuse(403, 'SignatureDoesNotMatch', SIGNATURE_MISMATCH);

  const token = header(request.headers, 'x-amz-security-token');
  if (secret.sessionToken === undefined ? token !== undefined : token === undefined || !constantTimeEqual(token, secret.sessionToken)) {
    return refuse(403, 'InvalidClientTokenId', INVALID_TOKEN);
  }
  if (secret.expiration !== undefined && secret.expiration.getTime() <= now.getTime()) {
    return refuse(403, 'ExpiredToken', 'The security token included in the request is expired');
  }
  return { ok: true, accessKeyId };
}
