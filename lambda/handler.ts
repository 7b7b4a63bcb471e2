/**
 * `GET /mqtt-url`: the Lambda behind the JWT-authorized HTTP API (payload format 2.0; a Cognito user
 * pool or any OIDC issuer). A thin adapter: the event's claims, headers and query go through the
 * modules in `vending/` (principal → rate limit → client ID → groups → credentials), the URL is
 * signed with the caller's credentials, every error is mapped to its HTTP answer in
 * `vending/response.ts`, one JSON line is logged and one metrics line (CloudWatch EMF,
 * `vending/metrics.ts`) is written, both in one write. A caller over its token bucket
 * (`vending/rate-limiter.ts`) is answered 429 before any STS call.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { signMqttUrlTarget } from './signing/sign-mqtt-url.js';
import { configFromProcessEnv, metricsServiceFromProcessEnv, SESSION_CACHE_SIZE_DEFAULT, type VendingConfig } from './vending/config.js';
import { perUserCredentialSource, sharedCredentialSource, type CredentialSource, type CredentialsLookup } from './vending/credentials.js';
import { ConfigurationError, RateLimitedError } from './vending/errors.js';
import { createPrincipalReader } from './vending/caller-principal.js';
import { createGroupSource } from './vending/group-source.js';
import type { CallerGroups } from './vending/groups.js';
import { createRequestLogger, stdoutWriter, type RequestLogRecord, type RequestLogger } from './vending/logger.js';
import { createMetricsWriter, type MetricsWriter } from './vending/metrics.js';
import { createRateLimiter } from './vending/rate-limiter.js';
import { createIsoFormatter } from './vending/iso-time.js';
import { createOkResponder, errorResponse, mapError } from './vending/response.js';
import { clientIdFor, parseClientSuffix } from './vending/scope.js';
import { functionCredentials, stsAssumeRole } from './vending/sts-assume-role.js';
import type { TokenVerifier } from './vending/token-verifier.js';

/** The Lambda handler's signature. */
export type MqttUrlHandler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** What {@link createHandler} can be given instead of its defaults (tests, benchmarks, local stack). */
export interface HandlerDependencies {
  /**
   * Where signing credentials come from.
   * @default - per-user scope: STS `AssumeRole` of `CLIENT_ROLE_ARN` through the SDK, cached per sub;
   *   shared scope: the SDK's default credential chain
   */
  readonly credentials: CredentialSource;
  /**
   * The request logger.
   * @default - one JSON line per request on stdout
   */
  readonly log: RequestLogger;
  /**
   * Where the metrics lines go.
   * @default - CloudWatch EMF lines on stdout, with the configured `service` dimension
   */
  readonly metrics: MetricsWriter;
  /**
   * The clock (epoch milliseconds) for signing dates, session expiry, rate limits and metrics.
   * @default - `Date.now`
   */
  readonly now: () => number;
  /**
   * Verifies bearer tokens in issuer mode with `${group}` templates (the groups are read from the
   * verified payload only).
   * @default - aws-jwt-verify for `ISSUER_URL` and `AUDIENCES`, keys from `JWKS_URI` or the issuer's
   *   discovery document, fetched at cold start
   */
  readonly tokenVerifier: TokenVerifier;
}

/**
 * Builds a handler from a parsed configuration, or from the configuration error found at cold start
 * (every request then answers 500 and logs the error).
 */
export function createHandler(config: VendingConfig | ConfigurationError, dependencies: Partial<HandlerDependencies> = {}): MqttUrlHandler {
  const log = dependencies.log ?? createRequestLogger();
  const now = dependencies.now ?? Date.now;
  if (config instanceof ConfigurationError) {
    return misconfiguredHandler(config, { log, now, metrics: dependencies.metrics ?? createMetricsWriter(metricsServiceFromProcessEnv(), stdoutWriter) });
  }
  const metrics = dependencies.metrics ?? createMetricsWriter(config.metricsService, stdoutWriter);
  const credentials = dependencies.credentials ?? defaultCredentialSource(config, now, metrics);
  const sinks: Sinks = { log, metrics, now };
  // Rate buckets and topic lists for as many callers as the session cache holds sessions.
  const callers = config.scope.kind === 'per-user' ? config.scope.sessionCacheSize : SESSION_CACHE_SIZE_DEFAULT;
  const limit = createRateLimiter(config.rateLimit, callers, now);
  const rate = `${config.rateLimit.perSecond}/s with a burst of ${config.rateLimit.burst}`;
  const ttlMs = config.urlTtlSeconds * 1000;
  const respond = createOkResponder(config.templates, callers);
  const iso = createIsoFormatter();
  const readPrincipal = createPrincipalReader(config.identity, callers);
  // Undefined without a ${group} template: the caller's groups would grant nothing.
  const readGroups = createGroupSource(config, { verifier: dependencies.tokenVerifier, now });

  return async (event, context) => {
    const started = performance.now();
    const requestId = context?.awsRequestId;
    const apiRequestId = event?.requestContext?.requestId;
    let sub: string | undefined;
    let clientId: string | undefined;
    let cache: CredentialsLookup | undefined;
    let groups: CallerGroups | undefined;
    try {
      const claims = event?.requestContext?.authorizer?.jwt?.claims;
      // The caller's principal (the sub, or in issuer mode its principal ID): never the raw sub below.
      sub = readPrincipal(claims);
      const decision = limit(sub);
      if (!decision.allowed) throw new RateLimitedError(`the caller went over its ${rate} in this instance`, decision.retryAfterSeconds);
      clientId = clientIdFor(sub, parseClientSuffix(event.queryStringParameters?.['clientSuffix']));
      if (readGroups !== undefined) {
        // readPrincipal has checked that the claims are an object. A cached token answers at once.
        const read = readGroups(event.headers, claims as Record<string, unknown>);
        groups = read instanceof Promise ? await read : read;
      }
      const grantee = { sub, groups: groups?.eligible ?? [] };
      const scoped = credentials.cachedCredentialsFor?.(grantee) ?? (await credentials.credentialsFor(grantee));
      cache = scoped.lookup;
      // X-Amz-Date has whole seconds, and the URL's validity counts from it.
      const signedAtMs = Math.floor(now() / 1000) * 1000;
      const url = signMqttUrlTarget({ ...config.target, signingDate: new Date(signedAtMs) }, scoped.credentials);
      const response = respond({ url, clientId, principalId: sub, expiresAt: iso(signedAtMs + ttlMs), endpoint: config.target.host, region: config.target.region }, grantee);
      const durationMs = performance.now() - started;
      log({ requestId, apiRequestId, sub, clientId, outcome: 'ok', status: 200, durationMs, cache, groups: groups?.eligible.length, ineligibleGroups: groups?.ineligible, groupsOverage: groups?.overage });
      metrics.vend('ok', durationMs, cache, now());
      return response;
    } catch (error) {
      return failed(error, sinks, { requestId, apiRequestId, sub, clientId, cache, groups: groups?.eligible.length, ineligibleGroups: groups?.ineligible, groupsOverage: groups?.overage }, started);
    }
  };
}

/** Where a request's log line and metrics line go. */
interface Sinks {
  readonly log: RequestLogger;
  readonly metrics: MetricsWriter;
  readonly now: () => number;
}

function misconfiguredHandler(error: ConfigurationError, sinks: Sinks): MqttUrlHandler {
  return async (event, context) =>
    failed(
      error,
      sinks,
      { requestId: context?.awsRequestId, apiRequestId: event?.requestContext?.requestId, sub: undefined, clientId: undefined, cache: undefined, groups: undefined, ineligibleGroups: undefined, groupsOverage: undefined },
      performance.now(),
    );
}

/** The request log fields known when a request fails (everything but the outcome and timing). */
type KnownFields = Pick<RequestLogRecord, 'requestId' | 'apiRequestId' | 'sub' | 'clientId' | 'cache' | 'groups' | 'ineligibleGroups' | 'groupsOverage'>;

// THE failure path of both handlers: map the error, log it with what is known, count it, answer with it.
function failed(error: unknown, sinks: Sinks, known: KnownFields, started: number): APIGatewayProxyStructuredResultV2 {
  const mapping = mapError(error);
  const durationMs = performance.now() - started;
  sinks.log({ ...known, outcome: mapping.code, status: mapping.status, durationMs, error });
  sinks.metrics.vend(mapping.code, durationMs, known.cache, sinks.now());
  return errorResponse(mapping);
}

function defaultCredentialSource(config: VendingConfig, now: () => number, metrics: MetricsWriter): CredentialSource {
  const own = functionCredentials();
  if (config.scope.kind === 'shared') return sharedCredentialSource(own);
  return perUserCredentialSource({
    scope: config.scope,
    templates: config.templates,
    allowRetain: config.allowRetain,
    urlTtlSeconds: config.urlTtlSeconds,
    assumeRole: stsAssumeRole({ region: config.scope.stsRegion, masterCredentials: own }),
    now,
    onStsCall: (observation) => metrics.stsCall(observation, now()),
  });
}

function handlerFromEnvironment(): MqttUrlHandler {
  try {
    return createHandler(configFromProcessEnv());
  } catch (error) {
    // Only a ConfigurationError is expected; anything else is a bug and should fail the cold start.
    if (error instanceof ConfigurationError) return createHandler(error);
    throw error;
  }
}

/** The Lambda entry point, configured from the environment once, at cold start. */
export const handler: MqttUrlHandler = handlerFromEnvironment();
