/**
 * The generic SigV4 query-string presign core: builds the `X-Amz-*` parameters, the canonical
 * request and the signature. It knows nothing of MQTT so the published S3 example can pin it too.
 */
import { createHmac } from 'node:crypto';
import {
  canonicalPresignQuery,
  canonicalRequest,
  credentialScope,
  encodedCredential,
  stringToSign,
  toAmzDate,
} from './canonical.js';
import { SigningKeyCache } from './signing-key.js';

/** Everything the presign core signs. Inputs are assumed valid: callers validate first. */
export interface PresignRequest {
  /** The HTTP method, upper case (`GET` for the MQTT upgrade). */
  readonly method: string;
  /** The already-encoded absolute path. */
  readonly path: string;
  /** The `host` header value (lower case, port included when not the default). */
  readonly host: string;
  /** The SigV4 service name (`iotdevicegateway` for AWS IoT's WebSocket gateway). */
  readonly service: string;
  /** The signing region. */
  readonly region: string;
  /** The access key id, which goes into `X-Amz-Credential`. */
  readonly accessKeyId: string;
  /** The secret the signing key is derived from; it never appears in the output. */
  readonly secretAccessKey: string;
  /** The request time, `X-Amz-Date` (whole seconds, UTC). */
  readonly signingDate: Date;
  /** Seconds; `undefined` leaves `X-Amz-Expires` out, as some callers of the original library did. */
  readonly expiresIn: number | undefined;
  /** Hex SHA-256 of the payload, or `UNSIGNED-PAYLOAD`. */
  readonly payloadHash: string;
}

/** The result of presigning: the signed canonical query and its signature. */
export interface PresignResult {
  /** The canonical query string that was signed (without `X-Amz-Signature`). */
  readonly query: string;
  /** The canonical request text, exposed for diagnostics and tests. */
  readonly canonicalRequest: string;
  /** Lower-case hex HMAC-SHA256 signature. */
  readonly signature: string;
}

// One key per secret in use, bounded so a long-lived process cannot grow without limit. The bound
// matches the vending Lambda's default session cache (10,000 users), so a warm request never
// re-derives its key while its session is still cached; an entry is about 0.2 KB.
const signingKeys = new SigningKeyCache(10_000);

/** Presigns a request: canonical query, canonical request, string to sign, signature. */
export function presign(request: PresignRequest): PresignResult {
  const amzDate = toAmzDate(request.signingDate);
  const dateStamp = amzDate.slice(0, 8);
  const scope = credentialScope(dateStamp, request.region, request.service);
  const query = canonicalPresignQuery(encodedCredential(request.accessKeyId, scope), amzDate, request.expiresIn);
  const canonical = canonicalRequest({
    method: request.method,
    path: request.path,
    query,
    host: request.host,
    payloadHash: request.payloadHash,
  });
  const key = signingKeys.get(request.secretAccessKey, dateStamp, request.region, request.service);
  const signature = createHmac('sha256', key).update(stringToSign(amzDate, scope, canonical)).digest('hex');
  return { query, canonicalRequest: canonical, signature };
}
