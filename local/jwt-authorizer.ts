/**
 * API Gateway HTTP API's JWT authorizer and Lambda proxy integration (payload format 2.0), enough to
 * put the real vending handler behind the same checks as in the deployed stack.
 *
 * Validation rules, as documented in
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html:
 * the token (from `Authorization`, an optional `Bearer ` prefix dropped) must be a JWS whose `kid`
 * is in the issuer's JWKS and whose RSA signature verifies; `iss` must equal the issuer; `aud` (or,
 * when there is no `aud`, `client_id`) must be one of the audiences; `exp` must be in the future and
 * `nbf`/`iat` not. Any failure answers 401 `{"message":"Unauthorized"}`, as API Gateway does.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
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
   * The authorizer's clock.
   * @default - the system clock
   */
  readonly now?: () => Date;
}

/** The verdict on one `Authorization` header. */
export type JwtVerdict = { readonly ok: true; readonly claims: JWTPayload } | { readonly ok: false; readonly description: string };

// API Gateway accepts only RSA-signed JWTs.
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512'];

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
  if (header === undefined || header.trim() === '') return { ok: false, description: 'no token in the Authorization header' };
  const token = header.trim().replace(/^bearer\s+/i, '');
  const currentDate = (options.now ?? (() => new Date()))();
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
    return { ok: false, description: describeJoseError(error) };
  }
  if (typeof claims.iat === 'number' && claims.iat > currentDate.getTime() / 1000) return { ok: false, description: 'the token was issued in the future' };
  // API Gateway checks client_id only when there is no aud (Cognito access tokens carry client_id).
  const audiences = claims.aud === undefined ? [claims['client_id']] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((value) => typeof value === 'string' && options.audience.includes(value))) {
    return { ok: false, description: 'the token audience (aud or client_id) is not allowed' };
  }
  return { ok: true, claims };
}

/** API Gateway hands claims to the integration as strings; arrays become `[a b]`. */
function stringifyClaims(claims: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined || value === null) continue;
    out[name] = Array.isArray(value) ? `[${value.map(String).join(' ')}]` : typeof value === 'object' ? JSON.stringify(value) : String(value);
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
  const scope = typeof claims['scope'] === 'string' ? claims['scope'].split(' ').filter((s) => s !== '') : null;
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
