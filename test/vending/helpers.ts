/**
 * Shared test helpers for the vending Lambda: events as API Gateway builds them, URL parsing, and an
 * independent signature check with @smithy/signature-v4 (not the project's signer).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** The user pool issuer of the Cognito claims below (`ISSUER_URL` in Cognito mode). */
export const COGNITO_ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE';

/** The identity variables of a Cognito-mode function whose tokens come from {@link COGNITO_ISSUER}. */
export const COGNITO_ENV = Object.freeze({ ISSUER_URL: COGNITO_ISSUER });

/** Claims as API Gateway passes a verified Cognito ID token (values stringified). */
export function idTokenClaims(sub: string): Record<string, string> {
  return {
    sub,
    aud: '1example23456789',
    email_verified: 'true',
    token_use: 'id',
    auth_time: '1700000000',
    iss: COGNITO_ISSUER,
    'cognito:username': 'alice',
    exp: '1700003600',
    iat: '1700000000',
  };
}

/** Claims as API Gateway passes a verified Cognito access token. */
export function accessTokenClaims(sub: string): Record<string, string> {
  return {
    sub,
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin',
    auth_time: '1700000000',
    iss: COGNITO_ISSUER,
    exp: '1700003600',
    iat: '1700000000',
    version: '2',
    jti: '00000000-0000-0000-0000-000000000000',
    client_id: '1example23456789',
    username: 'alice',
  };
}

let requestCounter = 0;

/** A payload 2.0 `GET /mqtt-url` event with a JWT authorizer. */
export function mqttUrlEvent(
  claims: Record<string, string> | undefined,
  query?: Record<string, string>,
): APIGatewayProxyEventV2WithJWTAuthorizer {
  requestCounter += 1;
  const rawQueryString = query === undefined ? '' : new URLSearchParams(query).toString();
  const event = {
    version: '2.0',
    routeKey: 'GET /mqtt-url',
    rawPath: '/mqtt-url',
    rawQueryString,
    headers: { host: 'api.example.com' },
    ...(query === undefined ? {} : { queryStringParameters: query }),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: 'GET', path: '/mqtt-url', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: `api-request-${requestCounter}`,
      routeKey: 'GET /mqtt-url',
      stage: '$default',
      time: '29/Nov/2026:14:00:00 +0000',
      timeEpoch: 1_800_000_000_000,
      authorizer: { principalId: null, integrationLatency: null, jwt: { claims: claims ?? {}, scopes: null } },
    },
  };
  if (claims === undefined) {
    // API Gateway never sends this, but a route wired without the authorizer would.
    return { ...event, requestContext: { ...event.requestContext, authorizer: undefined } } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
  }
  return event;
}

/** The parts of a vended URL a test looks at. */
export interface ParsedMqttUrl {
  readonly url: URL;
  readonly accessKeyId: string;
  readonly signature: string;
  readonly sessionToken: string | undefined;
  readonly signingDate: Date;
}

/** Splits a vended URL into its SigV4 parts. */
export function parseMqttUrl(text: string): ParsedMqttUrl {
  const url = new URL(text);
  const credential = url.searchParams.get('X-Amz-Credential') ?? '';
  const date = url.searchParams.get('X-Amz-Date') ?? '';
  const iso = date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');
  return {
    url,
    accessKeyId: credential.split('/')[0] ?? '',
    signature: url.searchParams.get('X-Amz-Signature') ?? '',
    sessionToken: url.searchParams.get('X-Amz-Security-Token') ?? undefined,
    signingDate: new Date(iso),
  };
}

/**
 * Presigns the same request with @smithy/signature-v4, without the token (AWS IoT verifies the
 * signature over the query minus the token), and returns the expected signature and query.
 */
export async function smithyPresign(
  url: ParsedMqttUrl,
  credentials: { accessKeyId: string; secretAccessKey: string },
  region: string,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: 'iotdevicegateway', region, credentials, sha256: Sha256 });
  const expiresIn = Number(url.url.searchParams.get('X-Amz-Expires'));
  const presigned = await signer.presign(
    new HttpRequest({ method: 'GET', protocol: 'wss:', hostname: url.url.hostname, path: '/mqtt', headers: { host: url.url.host } }),
    { signingDate: url.signingDate, expiresIn },
  );
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(presigned.query ?? {})) if (typeof value === 'string') query[name] = value;
  return query;
}

/** The parsed JSON body of a handler result. */
export function bodyOf(result: APIGatewayProxyStructuredResultV2): Record<string, unknown> {
  return JSON.parse(result.body ?? 'null') as Record<string, unknown>;
}

/** A header of a handler result, whatever its case. */
export function headerOf(result: APIGatewayProxyStructuredResultV2, name: string): string | undefined {
  const entry = Object.entries(result.headers ?? {}).find(([key]) => key.toLowerCase() === name.toLowerCase());
  return entry === undefined ? undefined : String(entry[1]);
}

/**
 * Whether an IAM resource pattern (with `*` and `?` wildcards) matches a resource ARN. IAM matches
 * `*` across `/` and `:` in resources, so a plain glob is the faithful model here.
 */
export function iamResourceMatches(pattern: string, resource: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\#/]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return regex.test(resource);
}

/** Whether a session policy allows `action` on `resource` (Allow statements only, as ours has). */
export function policyAllows(policyJson: string, action: string, resource: string): boolean {
  const policy = JSON.parse(policyJson) as { Statement: { Effect: string; Action: string | string[]; Resource: string | string[] }[] };
  return policy.Statement.some((statement) => {
    const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    return statement.Effect === 'Allow' && actions.includes(action) && resources.some((pattern) => iamResourceMatches(pattern, resource));
  });
}
