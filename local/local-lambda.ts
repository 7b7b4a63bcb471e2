/**
 * Runs the real vending Lambda in-process, configured as the CDK stack would configure it but
 * pointed at the loopback STS and IoT gateway.
 *
 * The environment is set on `process.env` because parts of the function read it through the AWS
 * SDK, not through its config module: the STS endpoint (`AWS_ENDPOINT_URL_STS`) and the function's
 * own credentials (the default chain). It is set BEFORE `lambda/handler.ts` is imported, since the
 * module builds its default handler at import, and restored by {@link LocalLambda.restoreEnvironment}.
 */
import type { HttpApiHandler } from './jwt-authorizer.js';

/** Where the local Lambda's dependencies live. */
export interface LocalLambdaSettings {
  /** `IOT_ENDPOINT`: the gateway's `host:port`. */
  readonly iotEndpoint: string;
  /** `IOT_REGION` and `AWS_REGION`. */
  readonly region: string;
  /** `CLIENT_ROLE_ARN`; `undefined` leaves it unset: shared scope (the function signs with its own key). */
  readonly clientRoleArn: string | undefined;
  /** `AWS_ENDPOINT_URL_STS`: the loopback STS. */
  readonly stsUrl: string;
  /** `URL_TTL_SECONDS`, when overridden. */
  readonly urlTtlSeconds?: number | undefined;
  /** `PUBLISH_TOPIC_TEMPLATES`, when overridden. */
  readonly publishTopicTemplates?: readonly string[] | undefined;
  /** `SUBSCRIBE_TOPIC_TEMPLATES`, when overridden. */
  readonly subscribeTopicTemplates?: readonly string[] | undefined;
  /** `GROUP_PREFIX`, when set: only groups starting with it are granted `${group}` topics. */
  readonly groupPrefix?: string | undefined;
  /** `MAX_GROUPS`, when overridden: more eligible groups than this is 403 `too_many_groups`. */
  readonly maxGroups?: number | undefined;
  /** `ALLOW_RETAIN`, when set: whether retained publishes are granted (`iot:RetainPublish`). */
  readonly allowRetain?: boolean | undefined;
  /** `USER_RATE_PER_SECOND`, when overridden: each caller's sustained vends per second (0: no limit). */
  readonly userRatePerSecond?: number | undefined;
  /** `USER_RATE_BURST`, when overridden: how many vends in a row a rested caller may make. */
  readonly userRateBurst?: number | undefined;
  /**
   * `IDENTITY_MODE`: `oidc` makes the function an issuer-mode one (principal IDs derived from the
   * issuer and the sub, groups from {@link groupsClaim} of a token it verifies itself).
   * @default - unset: the function's default, Cognito mode
   */
  readonly identityMode?: 'cognito' | 'oidc' | undefined;
  /** `ISSUER_URL`: the exact `iss` the function accepts (the user pool's, or the OIDC issuer's). */
  readonly issuerUrl?: string | undefined;
  /** `AUDIENCES` (issuer mode): the accepted `aud` values, as a JSON array. */
  readonly audiences?: readonly string[] | undefined;
  /** `PRINCIPAL_CLAIM` (issuer mode), when overridden: the claim principals derive from. */
  readonly principalClaim?: string | undefined;
  /** `GROUPS_CLAIM` (issuer mode): a claim name, or an RFC 6901 pointer starting with `/`. */
  readonly groupsClaim?: string | undefined;
  /**
   * `JWKS_URI` (issuer mode): the issuer's keys. The local stack points it at its loopback JWKS so
   * the function never needs discovery or the network.
   */
  readonly jwksUri?: string | undefined;
  /**
   * Receives the function's own JSON lines: request log lines and metrics (EMF) lines.
   * @default - stdout, as in Lambda
   */
  readonly writeLog?: ((line: string) => void) | undefined;
  /**
   * The function's clock (signing dates, session refresh).
   * @default - the system clock
   */
  readonly now?: (() => Date) | undefined;
}

/** The loaded function. */
export interface LocalLambda {
  /** The handler, built by the function's own `createHandler` from its own config parser. */
  readonly handler: HttpApiHandler;
  /** The topic templates the function parsed (the gateway's role policy is built from them). */
  readonly templates: { readonly publish: readonly string[]; readonly subscribe: readonly string[] };
  /** Whether the function grants retained publishes, as it parsed `ALLOW_RETAIN` (the role policy follows). */
  readonly allowRetain: boolean;
  /** Puts back every environment variable this module changed. */
  restoreEnvironment(): void;
}

/**
 * The function's own credentials (its execution role's, on Lambda). Fake: they sign nothing real.
 * The loopback STS must register them and make them the only principal the client role trusts, as
 * the deployed role trusts only the function's execution role.
 */
export const LOCAL_FUNCTION_CREDENTIALS = {
  accessKeyId: 'AKIALOCALSTACKFUNCTION',
  secretAccessKey: 'local-stack-function-secret-not-an-aws-key',
  arn: 'arn:aws:iam::000000000000:role/local-mqtt-url-function',
} as const;

/** The variables the local stack owns while it runs; `undefined` means "must be unset". */
export function lambdaEnvironment(settings: LocalLambdaSettings): Record<string, string | undefined> {
  const json = (list: readonly string[] | undefined): string | undefined => (list === undefined ? undefined : JSON.stringify(list));
  return {
    IOT_ENDPOINT: settings.iotEndpoint,
    IOT_REGION: settings.region,
    AWS_REGION: settings.region,
    CLIENT_ROLE_ARN: settings.clientRoleArn,
    AWS_ENDPOINT_URL_STS: settings.stsUrl,
    AWS_ACCESS_KEY_ID: LOCAL_FUNCTION_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_FUNCTION_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    URL_TTL_SECONDS: settings.urlTtlSeconds === undefined ? undefined : String(settings.urlTtlSeconds),
    PUBLISH_TOPIC_TEMPLATES: json(settings.publishTopicTemplates),
    SUBSCRIBE_TOPIC_TEMPLATES: json(settings.subscribeTopicTemplates),
    GROUP_PREFIX: settings.groupPrefix,
    MAX_GROUPS: settings.maxGroups === undefined ? undefined : String(settings.maxGroups),
    ALLOW_RETAIN: settings.allowRetain === undefined ? undefined : String(settings.allowRetain),
    USER_RATE_PER_SECOND: settings.userRatePerSecond === undefined ? undefined : String(settings.userRatePerSecond),
    USER_RATE_BURST: settings.userRateBurst === undefined ? undefined : String(settings.userRateBurst),
    IDENTITY_MODE: settings.identityMode,
    ISSUER_URL: settings.issuerUrl,
    AUDIENCES: json(settings.audiences),
    PRINCIPAL_CLAIM: settings.principalClaim,
    GROUPS_CLAIM: settings.groupsClaim,
    JWKS_URI: settings.jwksUri,
  };
}

/**
 * Sets the environment, imports the function and builds its handler.
 *
 * The configuration is parsed here, eagerly: on AWS a refused configuration (a bad variable, or
 * templates that break the non-overlap rule, such as a `*` level before `${sub}`) makes every
 * request answer 500 and log the error; locally the developer is at the terminal, so the start-up
 * fails instead, with the function's own message.
 * @throws the function's own `ConfigurationError` when a setting is invalid (the environment is
 *   restored first)
 */
export async function loadLocalLambda(settings: LocalLambdaSettings): Promise<LocalLambda> {
  const wanted = lambdaEnvironment(settings);
  const previous = new Map(Object.keys(wanted).map((name) => [name, process.env[name]]));
  const restoreEnvironment = (): void => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  for (const [name, value] of Object.entries(wanted)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    const { createHandler } = await import('../lambda/handler.js');
    const { configFromProcessEnv } = await import('../lambda/vending/config.js');
    // Parsed here rather than taken from the module's import-time `handler`, so a stack restarted in
    // the same process (tests) gets its new ports, and a bad setting fails the start-up loudly.
    const config = configFromProcessEnv();
    const { createRequestLogger } = await import('../lambda/vending/logger.js');
    const { createMetricsWriter } = await import('../lambda/vending/metrics.js');
    const clock = settings.now;
    const write = settings.writeLog;
    const handler = createHandler(config, {
      // The request line and the metrics (EMF) lines go where the stack's log goes, as on Lambda
      // both go to the function's log.
      ...(write === undefined ? {} : { log: createRequestLogger(write), metrics: createMetricsWriter(config.metricsService, write) }),
      ...(clock === undefined ? {} : { now: () => clock().getTime() }),
    });
    return { handler, templates: config.templates, allowRetain: config.allowRetain, restoreEnvironment };
  } catch (error) {
    restoreEnvironment();
    throw error;
  }
}
