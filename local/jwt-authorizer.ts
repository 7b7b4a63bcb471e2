/**
 * API Gateway HTTP API's JWT authorizer and Lambda proxy integration (payload format 2.0), enough to
 * put the real vending handler behind the same checks as in the deployed stack, in both identity
 * modes (the Cognito stand-in and the local OIDC issuer go through this one authorizer, as a
 * `HttpUserPoolAuthorizer` is a JWT authorizer on AWS too).
 *
 * Validation rules, as documented in
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
 * ("Authorizing API requests"):
 * - "Check the identitySource for a token. The identitySource can include only the token, or the
 *   token prefixed with Bearer." (`Authorization`, an optional `Bearer ` prefix dropped);
 * - "Check the token's algorithm and signature by using the public key that is fetched from the
 *   issuer's jwks_uri. Currently, only RSA-based algorithms are supported." An ES256 token is
 *   refused even when the issuer's JWKS publishes its key, and an HS256 one (the algorithm-confusion
 *   forgery, HMAC keyed with the public key) too;
 * - "kid – The token must have a header claim that matches the key in the jwks_uri that signed the
 *   token." (jose alone would take the only key of a one-key JWKS for a token without `kid`);
 * - "iss – Must match the issuer that is configured for the authorizer." Exactly: a trailing slash
 *   matters (Auth0's issuers end with one);
 * - "aud or client_id – Must match one of the audience entries that is configured for the
 *   authorizer." and, from
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-jwt.html:
 *   "API Gateway validates client_id only if aud is not present. When both aud and client_id are
 *   present, API Gateway evaluates aud.";
 * - "exp – Must be after the current time in UTC." and "nbf – Must be before the current time in
 *   UTC." (`iat` in the future is refused too, as before);
 * - "scope or scp – The token must include at least one of the scopes in the route's
 *   authorizationScopes." Checked only when the route has scopes (`requiredScopes`); `scope` is a
 *   space-separated string (RFC 8693), `scp` an array (Okta) or a string (Entra ID).
 *
 * A token that fails answers 401 `{"message":"Unauthorized"}` with a `www-authenticate` header, as
 * API Gateway does. A valid token without any of the route's scopes answers 403
 * `{"message":"Forbidden"}` with `error="insufficient_scope"`: the status API Gateway is reported to
 * answer and RFC 6750 section 3.1 prescribes (AWS's pages do not state it; see
 * docs/local-stack-vs-aws.md).
 *
 * Claims reach the Lambda as payload 2.0 hands them over: every value a string, formatted as Go's
 * `fmt` prints the decoded JSON (arrays as `[a b]`, objects as `map[k:v]`, keys sorted).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { pathOf, sendJson } from './http-io.js';

/** The handler under test, as `lambda/handler.ts` exports it. */
export type HttpApiHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<APIGatewayProxyStructuredResultV2>;

/** The authorizer's configuration, as on `AWS::ApiGatewayV2::Authorizer` `JwtConfiguration`. */
export interface JwtAuthorizerOptions {
  /** The exact `iss` expected. */
  readonly issuer: string;
  /** Accepted `aud` (or `client_id`) values. */
  readonly audience: readonly string[];
  /** Resolves the verification key from the token header, e.g. jose's `createRemoteJWKSet`. */
  readonly keys: JWTVerifyGetKey;
  /**
   * The route's authorization scopes: a token must carry at least one of them in `scope` or `scp`.
   * @default - none: scopes are not checked
   */
  readonly requiredScopes?: readonly string[];
  /**
   * The authorizer's clock.
   * @default - the system clock
   */
  readonly now?: () => Date;
}

/**
 * The verdict on one `Authorization` header: the claims, or why not with the status API Gateway
 * answers (401 an invalid token, 403 a valid one without any of the route's scopes).
 */
export type JwtVerdict =
  | { readonly ok: true; readonly claims: JWTPayload }
  | { readonly ok: false; readonly status: 401 | 403; readonly description: string };

// "Currently, only RSA-based algorithms are supported" (see the module comment).
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512'];

/**
 * The scopes a token carries, as the authorizer reads them: `scope` (a space-separated string, or
 * an array), else `scp` (Okta: an array; Entra ID: a space-separated string). `null` when neither.
 */
export function tokenScopes(claims: JWTPayload): string[] | null {
  const value = claims['scope'] ?? claims['scp'];
  if (typeof value === 'string') return value.split(' ').filter((scope) => scope !== '');
  if (Array.isArray(value)) return value.filter((scope): scope is string => typeof scope === 'string');
  return null;
}

/** Why jose refused a token, phrased like API Gateway's `error_description`. */
function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the ${error.claim} claim is not valid`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key in the JWKS matches the token kid';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token algorithm is not allowed';
  return 'the token is malformed';
}

/** Verifies the `Authorization` header as API Gateway's JWT authorizer does. */
export async function verifyAuthorizationHeader(header: string | undefined, options: JwtAuthorizerOptions): Promise<JwtVerdict> {
  const refuse = (description: string): JwtVerdict => ({ ok: false, status: 401, description });
  if (header === undefined || header.trim() === '') return refuse('no token in the Authorization header');
  const token = header.trim().replace(/^bearer\s+/i, '');
  const currentDate = (options.now ?? (() => new Date()))();
  try {
    const { alg, kid } = decodeProtectedHeader(token);
    if (typeof alg !== 'string' || !RSA_ALGORITHMS.includes(alg)) return refuse('the token algorithm is not allowed');
    if (typeof kid !== 'string' || kid === '') return refuse('the token has no kid');
  } catch {
    return refuse('the token is malformed');
  }
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, options.keys, {
      issuer: options.issuer,
      algorithms: RSA_ALGORITHMS,
      requiredClaims: ['exp'],
      currentDate,
      clockTolerance: 0,
    }));
  } catch (error) {
    return refuse(describeJoseError(error));
  }
  if (typeof claims.iat === 'number' && claims.iat > currentDate.getTime() / 1000) return refuse('the token was issued in the future');
  // API Gateway checks client_id only when there is no aud (Cognito access tokens carry client_id).
  const audiences = claims.aud === undefined ? [claims['client_id']] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((value) => typeof value === 'string' && options.audience.includes(value))) {
    return refuse('the token audience (aud or client_id) is not allowed');
  }
  const required = options.requiredScopes ?? [];
  if (required.length > 0 && !(tokenScopes(claims) ?? []).some((scope) => required.includes(scope))) {
    return { ok: false, status: 403, description: `the token has none of the route's scopes (${required.join(' ')})` };
  }
  return { ok: true, claims };
}

/**
 * One claim value as payload 2.0 writes it: Go's `fmt` rendering of the decoded JSON. Arrays are
 * `[a b]` (so a group named `admins team` cannot be told from two groups), objects `map[k:v]` with
 * the keys sorted, as `fmt` prints maps, and nested values the same way.
 */
export function goFormatClaim(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goFormatClaim).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([key, inner]) => `${key}:${goFormatClaim(inner)}`).join(' ')}]`;
  }
  return String(value);
}

/** API Gateway hands claims to the integration as strings (see {@link goFormatClaim}). */
function stringifyClaims(claims: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined || value === null) continue;
    out[name] = goFormatClaim(value);
  }
  return out;
}

/** Formats a date as API Gateway's `requestContext.time`, e.g. `12/Mar/2020:19:03:58 +0000`. */
function apiGatewayTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()] ?? ''}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** Parses a raw query the way API Gateway fills `queryStringParameters`: repeated keys comma-joined. */
function queryParameters(rawQuery: string): Record<string, string> | undefined {
  if (rawQuery === '') return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQuery)) out[key] = key in out ? `${out[key] ?? ''},${value}` : value;
  return out;
}

/**
 * Builds the payload-format-2.0 event API Gateway sends to a Lambda integration behind a JWT
 * authorizer. Header names are lower-cased, repeated headers comma-joined, cookies moved to `cookies`.
 */
export function buildHttpApiEvent(request: IncomingMessage, claims: JWTPayload, routeKey: string, now: Date): APIGatewayProxyEventV2WithJWTAuthorizer {
  const url = request.url ?? '/';
  const queryStart = url.indexOf('?');
  const rawQueryString = queryStart === -1 ? '' : url.slice(queryStart + 1);
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const joined = Array.isArray(value) ? value.join(',') : value;
    if (name === 'cookie') cookies = joined.split(/;\s*/).filter((cookie) => cookie !== '');
    else headers[name] = joined;
  }
  const host = headers['host'] ?? '127.0.0.1';
  const scope = tokenScopes(claims);
  const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
    version: '2.0',
    routeKey,
    rawPath: pathOf(request),
    rawQueryString,
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: stringifyClaims(claims), scopes: scope } },
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method: request.method ?? 'GET',
        path: pathOf(request),
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (cookies !== undefined) event.cookies = cookies;
  const query = queryParameters(rawQueryString);
  if (query !== undefined) event.queryStringParameters = query;
  return event;
}

/** Writes a Lambda proxy result as API Gateway would; a result without `statusCode` is a 200 JSON body. */
function writeProxyResult(response: ServerResponse, result: unknown): void {
  const structured = typeof result === 'object' && result !== null && typeof (result as APIGatewayProxyStructuredResultV2).statusCode === 'number'
    ? (result as APIGatewayProxyStructuredResultV2)
    : { statusCode: 200, headers: { 'content-type': 'application/json' }, body: typeof result === 'string' ? result : JSON.stringify(result) };
  const body = structured.body === undefined ? Buffer.alloc(0) : Buffer.from(structured.body, structured.isBase64Encoded === true ? 'base64' : 'utf8');
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (structured.cookies !== undefined && structured.cookies.length > 0) headers['set-cookie'] = structured.cookies;
  headers['content-length'] = String(body.length);
  response.writeHead(structured.statusCode ?? 200, headers);
  response.end(body);
}

/**
 * Returns an HTTP request handler for one route: JWT authorizer first, then the Lambda integration.
 * A handler that throws answers 500 `{"message":"Internal Server Error"}`, as API Gateway does.
 */
export function jwtProtectedRoute(options: JwtAuthorizerOptions & { readonly routeKey: string; readonly handler: HttpApiHandler }): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const now = options.now ?? (() => new Date());
  return async (request, response) => {
    const verdict = await verifyAuthorizationHeader(request.headers.authorization, options);
    if (!verdict.ok && verdict.status === 403) {
      sendJson(response, 403, { message: 'Forbidden' }, {
        'www-authenticate': `Bearer scope="${(options.requiredScopes ?? []).join(' ')}" error="insufficient_scope" error_description="${verdict.description}"`,
      });
      return;
    }
    if (!verdict.ok) {
      sendJson(response, 401, { message: 'Unauthorized' }, {
        'www-authenticate': `Bearer scope="" error="invalid_token" error_description="${verdict.description}"`,
      });
      return;
    }
    let result: unknown;
    try {
      result = await options.handler(buildHttpApiEvent(request, verdict.claims, options.routeKey, now()));
    } catch {
      sendJson(response, 500, { message: 'Internal Server Error' });
      return;
    }
    writeProxyResult(response, result);
  };
}
