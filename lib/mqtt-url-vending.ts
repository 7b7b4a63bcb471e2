/**
 * `MqttUrlVending`: a JWT-authorized HTTP API whose Lambda returns SigV4-presigned AWS IoT
 * MQTT-over-WebSocket URLs, signed with short-lived credentials scoped to the caller. Callers sign in
 * with a Cognito user pool or with any OpenID Connect issuer (`issuer`).
 *
 * Resources: HTTP API (`GET /mqtt-url`, JWT authorizer, CORS, throttling, JSON access logs), the
 * vending function (the prebuilt bundle shipped with the package), its execution role, the client role it assumes per caller (per-user
 * scope), an `AWS::IoT::Policy` for the same namespace, the IoT endpoint discovery custom resource
 * and, in Cognito mode unless one is given, a Cognito user pool and app client.
 */
import { Aws, CfnRule, Duration, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CorsHttpMethod, HttpApi, HttpMethod, type HttpStage, type IHttpRouteAuthorizer, LogGroupLogDestination, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Dashboard, IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { ArnPrincipal, PolicyDocument, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnPolicy } from 'aws-cdk-lib/aws-iot';
import { ApplicationLogLevel, Architecture, Code, Function as LambdaFunction, LoggingFormat, Runtime, SystemLogLevel } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { regionFromIotEndpoint } from '../lambda/signing/region.js';
import { handlerBundleDirectory } from './handler-asset.js';
import { IotDataEndpoint } from './iot-data-endpoint.js';
import { type IotPolicyIdentity, iotPolicyDocument, iotRoleStatements } from './iot-permissions.js';
import { acknowledgeWildcardResources } from './nag-acknowledgements.js';
import { type IdentityMode, type MqttUrlVendingIssuer, type UserPoolIssuer, issuerAuthorizer, userPoolAuthorizer, userPoolIssuerUrl } from './vending-identity.js';
import { type VendingScope, resolveVendingProps } from './vending-settings.js';
import { type VendingAlarmThresholds, type VendingAlarms, VendingMonitoring } from './vending-monitoring.js';
import { createDefaultUserPool } from './vending-user-pool.js';

// Re-exported so that consumers of the construct need only this module (documented at the source).
export type { IotPolicyIdentity } from './iot-permissions.js';
export type { IdentityMode, MqttUrlVendingIssuer, UserPoolIssuer } from './vending-identity.js';
export type { VendingScope } from './vending-settings.js';
export type { VendingAlarmThresholds, VendingAlarms } from './vending-monitoring.js';

/** Props of {@link MqttUrlVending}. */
export interface MqttUrlVendingProps {
  /**
   * An OpenID Connect issuer whose tokens the API accepts (issuer mode: Auth0, Okta, Entra ID,
   * Keycloak, Firebase, Clerk, …), in place of a Cognito user pool's. The route's JWT authorizer
   * checks the issuer URL exactly and the audiences; no user pool or app client is created, and the
   * stack can deploy in the China (aws-cn) partition. Refused together with `userPool`,
   * `userPoolClients` or `userPoolIssuer`.
   * @default - Cognito mode: the tokens of `userPool` (a new pool when that is not given either)
   */
  readonly issuer?: MqttUrlVendingIssuer;

  /**
   * OAuth scopes the route requires: a token must carry at least one of them (in `scope`, or `scp`
   * as Okta sends it). Recommended to tell access tokens from ID tokens, which carry no scopes; in
   * Cognito mode this means only access tokens are accepted (a pool's access tokens carry
   * `aws.cognito.signin.user.admin` and the resource-server scopes the client is granted). Each
   * scope is printable ASCII without spaces.
   * @default - no scope required: ID and access tokens alike
   */
  readonly requiredScopes?: string[];

  /**
   * The Cognito user pool whose tokens the API accepts (Cognito mode). Pass `userPoolClients` with
   * it. Refused with `issuer`.
   * @default - in Cognito mode a new pool: self sign-up off, email sign-in, 12+ character passwords
   * with every character class, optional TOTP MFA, email-only account recovery; plus a secretless
   * app client allowing `USER_PASSWORD_AUTH` and SRP. With `issuer`, no pool.
   */
  readonly userPool?: IUserPool;

  /**
   * The issuer form the user pool's tokens carry, which the JWT authorizer checks: `original`
   * (`https://cognito-idp.<region>.amazonaws.com/<pool>`) or `updated`
   * (`https://issuer-cognito-idp.<region>.amazonaws.com/<pool>`); see Cognito's `IssuerConfiguration`.
   * A pool created here is pinned to this form; for a pool you bring, state the form it uses.
   * Refused with `issuer`.
   * @default - `original`
   */
  readonly userPoolIssuer?: UserPoolIssuer;

  /**
   * The app clients whose tokens the API accepts (the JWT authorizer's audiences). Required with
   * `userPool`, not allowed without it, refused with `issuer`.
   * @default - the client created with the default pool (none with `issuer`)
   */
  readonly userPoolClients?: IUserPoolClient[];

  /**
   * The AWS IoT data endpoint to sign for: a bare host name. Its region (when the name carries one)
   * becomes the signing region and the region of every IoT ARN.
   * @default - discovered at deploy time with IoT `DescribeEndpoint` (`iot:Data-ATS`) in the
   * stack's account and region
   */
  readonly iotEndpoint?: string;

  /**
   * Topic templates a caller may publish to, 1..8. Each is private (holds `${sub}`: the caller's
   * own), per group (holds `${group}`: one grant per eligible group of the caller, from
   * `cognito:groups` or the issuer's `groupsClaim`) or shared
   * (no variable: every signed-in caller), with the variable as a whole topic level; it may use the
   * IAM wildcard `*`. MQTT `+`/`#` are refused (they are literal characters in policies). Together
   * with `subscribeTopicTemplates` the templates must pass the non-overlap rule (no grant of one
   * user or group can reach another's topics; see the security docs), checked here at synth.
   * @default - `["users/${sub}/*"]`
   */
  readonly publishTopicTemplates?: string[];

  /**
   * Topic templates a caller may subscribe to (and receive from); same rules as
   * `publishTopicTemplates`. A subscription to `users/<sub>/#` matches `users/<sub>/*`. A shared
   * template here and not in the publish list is read-only (telemetry, broadcasts).
   * @default - `["users/${sub}/*"]`
   */
  readonly subscribeTopicTemplates?: string[];

  /**
   * Only groups (Cognito groups, or the issuer's `groupsClaim`) whose names start with this are
   * eligible for `${group}` templates: 1..39 characters of `A-Z a-z 0-9 _ . : @ -` (a name, at most
   * 40, must fit after it). Group names outside that character set are never eligible. Refused when
   * no template holds `${group}`.
   * @default - every group with a safe name is eligible
   */
  readonly groupPrefix?: string;

  /**
   * The most eligible groups a caller may have, 1..20; a caller with more gets 403
   * `too_many_groups`. With the templates it bounds the session policy, which must fit STS's 2,048
   * characters in the worst case (checked here).
   * @default 4
   */
  readonly maxGroups?: number;

  /**
   * Whether callers may publish retained messages: grants `iot:RetainPublish` on the publish
   * templates (client role, session policy and AWS IoT policy). Without it a retained publish makes
   * AWS IoT close the connection.
   * @default false
   */
  readonly allowRetain?: boolean;

  /**
   * Lifetime of a vended URL (`X-Amz-Expires`), 1..900 seconds.
   * @default - 300 seconds
   */
  readonly urlTtl?: Duration;

  /**
   * Length of the per-user STS session the Lambda caches, 900..3600 seconds, and more than
   * `urlTtl` + 60 s (a cached session is refreshed when less than that remains). Ignored in shared scope.
   * @default - 3600 seconds
   */
  readonly sessionDuration?: Duration;

  /**
   * How many per-user sessions the Lambda keeps (least recently used evicted), 1..1,000,000.
   * @default - 10,000
   */
  readonly sessionCacheSize?: number;

  /**
   * Whose credentials sign the URLs; see {@link VendingScope}.
   * @default - `per-user`
   */
  readonly scope?: VendingScope;

  /**
   * Web origins allowed to call the API from a browser: `https://host[:port]`, or
   * `http://localhost|127.0.0.1|[::1][:port]` for development. `*` is refused.
   * @default - no CORS configuration: only same-origin and non-browser callers
   */
  readonly allowedOrigins?: string[];

  /**
   * Default stage throttling: steady requests per second (`rateLimit` > 0) and bucket size
   * (`burstLimit`, a positive integer).
   * @default - 50 requests per second, burst 100
   */
  readonly throttle?: ThrottleSettings;

  /**
   * Retention of the function, access-log and endpoint-discovery log groups. Never-expire is refused.
   * @default - one month
   */
  readonly logRetention?: RetentionDays;

  /**
   * Each caller's sustained vends per second in each Lambda instance (a token bucket per caller): a
   * caller over its bucket gets 429 `rate_limited` with `Retry-After`, before any STS call. 0 turns
   * it off. It bounds STS calls and cost per user; the stage throttle (`throttle`) is shared by all.
   * @default 1
   */
  readonly userRatePerSecond?: number;

  /**
   * The size of each caller's token bucket: vends in a row a rested caller may make, 1..1000.
   * @default 5
   */
  readonly userRateBurst?: number;

  /**
   * Whether to create the CloudWatch alarms (API 5xx ratio, Lambda errors, throttles and p99
   * duration, STS failures and throttles; see docs/runbook.md).
   * @default true
   */
  readonly alarms?: boolean;

  /**
   * Where alarms are sent when they fire and when they recover, e.g. `new SnsAction(topic)`.
   * @default - no action: the alarms show in the console only
   */
  readonly alarmActions?: IAlarmAction[];

  /**
   * Alarm thresholds; each unset one keeps its default (see {@link VendingAlarmThresholds}).
   * @default - 5 % API 5xx, 1 Lambda error, 1 Lambda throttle, 5 STS failures, 1 STS throttle per 5 minutes, p99 duration 3,000 ms
   */
  readonly alarmThresholds?: VendingAlarmThresholds;

  /**
   * Whether to create a CloudWatch dashboard: vends, errors by class, latency percentiles, session
   * cache hit ratio, STS calls, the API's requests, 4xx and 5xx.
   * @default true
   */
  readonly dashboard?: boolean;

  /**
   * Which identity AWS IoT substitutes for `${sub}` in the provisioned `AWS::IoT::Policy`; see
   * {@link IotPolicyIdentity}. Vended URLs are not affected: IAM authorizes them.
   * @default - `thing-name`
   */
  readonly iotPolicyIdentity?: IotPolicyIdentity;
}

// Fields of the JSON access log. No request or response bodies: the response carries a signed URL.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
} as const;

// A Cognito sub is a UUID and safe to log. An issuer's subject is up to 255 characters of anything
// (`auth0|…`): it is kept out of the access log, like every other log value the function writes.
const COGNITO_ACCESS_LOG_FIELDS = { ...ACCESS_LOG_FIELDS, sub: '$context.authorizer.claims.sub' } as const;

/** A JWT-authorized endpoint that vends presigned AWS IoT MQTT-over-WebSocket URLs. */
export class MqttUrlVending extends Construct {
  /** The HTTP API; `GET /mqtt-url` is its only route. */
  readonly httpApi: HttpApi;
  /** The `$default` stage (throttling, access logs). */
  readonly stage: HttpStage;
  /** The vending function. */
  readonly handler: LambdaFunction;
  /** The function's execution role. */
  readonly executionRole: Role;
  /** The role assumed per caller (per-user scope); `undefined` in shared scope. */
  readonly clientRole: Role | undefined;
  /** The `AWS::IoT::Policy` for certificate / identity-pool principals; its `ref` is the policy name. */
  readonly iotPolicy: CfnPolicy;
  /** Base URL of the API, without a trailing slash: call `${url}/mqtt-url`. */
  readonly url: string;
  /** How callers are identified: `cognito` (a user pool's tokens) or `oidc` (the `issuer` prop's). */
  readonly identityMode: IdentityMode;
  /**
   * The issuer the authorizer and the function check: the user pool's (a deploy-time token for a
   * pool of this app) in Cognito mode, the `issuer` URL exactly as given in issuer mode.
   */
  readonly issuerUrl: string;
  /** The user pool whose tokens are accepted; `undefined` in issuer mode. */
  readonly userPool: IUserPool | undefined;
  /** The accepted app clients; empty in issuer mode. */
  readonly userPoolClients: readonly IUserPoolClient[];
  /** The first accepted app client (the one a web app should use); `undefined` in issuer mode. */
  readonly userPoolClient: IUserPoolClient | undefined;
  /** The AWS IoT data endpoint host (a deploy-time token when discovered). */
  readonly iotEndpoint: string;
  /** The signing region: the endpoint's region when its name carries one, else the stack's. */
  readonly iotRegion: string;
  /** The function's log group. */
  readonly functionLogGroup: LogGroup;
  /** The API access log group. */
  readonly accessLogGroup: LogGroup;
  /** The alarms, by what they watch; `undefined` with `alarms: false`. */
  readonly alarms: VendingAlarms | undefined;
  /** The dashboard; `undefined` with `dashboard: false`. */
  readonly dashboard: Dashboard | undefined;
  /** The `service` dimension of the function's metrics (namespace `AwsSignv4Mqtt`). */
  readonly metricsService: string;

  /**
   * @param scope the parent construct
   * @param id the construct id
   * @param props the settings; every one is validated here, before any resource is created, and a
   *   bad value throws an error naming the prop and the value received
   */
  constructor(scope: Construct, id: string, props: MqttUrlVendingProps = {}) {
    super(scope, id);
    const config = resolveVendingProps(props);
    const stack = Stack.of(this);

    const identity = config.identity;
    this.identityMode = identity.mode;
    let authorizer: IHttpRouteAuthorizer;
    if (identity.mode === 'cognito') {
      let userPool: IUserPool;
      if (identity.userPool !== undefined && identity.userPoolClients !== undefined) {
        userPool = identity.userPool;
        this.userPoolClients = [...identity.userPoolClients];
      } else {
        const created = createDefaultUserPool(this, identity.userPoolIssuer);
        userPool = created.userPool;
        this.userPoolClients = [created.userPoolClient];
      }
      this.userPool = userPool;
      this.userPoolClient = this.userPoolClients[0];
      this.issuerUrl = userPoolIssuerUrl(userPool, identity.userPoolIssuer);
      authorizer = userPoolAuthorizer(userPool, this.userPoolClients, identity.userPoolIssuer);
    } else {
      this.userPool = undefined;
      this.userPoolClients = [];
      this.userPoolClient = undefined;
      this.issuerUrl = identity.url;
      authorizer = issuerAuthorizer(identity);
    }

    if (config.iotEndpoint === undefined) {
      this.iotEndpoint = new IotDataEndpoint(this, 'IotEndpoint', { logRetention: config.logRetention }).endpointAddress;
      this.iotRegion = stack.region;
    } else {
      this.iotEndpoint = config.iotEndpoint;
      this.iotRegion = (Token.isUnresolved(config.iotEndpoint) ? undefined : regionFromIotEndpoint(config.iotEndpoint)) ?? stack.region;
    }
    const namespace = { publish: config.publish, subscribe: config.subscribe, allowRetain: config.allowRetain };

    this.functionLogGroup = new LogGroup(this, 'HandlerLogs', { retention: config.logRetention });
    this.executionRole = new Role(this, 'ExecutionRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Vends presigned AWS IoT MQTT URLs',
    });
    this.functionLogGroup.grantWrite(this.executionRole);

    const iotStatements = iotRoleStatements(stack, this.iotRegion, namespace);
    const wildcardReason =
      'The IoT namespace comes from the topic templates with ${sub} and ${group} widened to "*" (shared templates may hold "*" themselves): the role can only ever reach the configured client/topic namespace in this account and region. ';
    if (config.scope === 'per-user') {
      this.clientRole = new Role(this, 'ClientRole', {
        // Only the vending function may assume it; it does so per caller with a session policy.
        assumedBy: new ArnPrincipal(this.executionRole.roleArn),
        maxSessionDuration: Duration.hours(1),
        description: 'Assumed per caller, with a session policy narrowing it to that caller',
        inlinePolicies: { IotNamespace: new PolicyDocument({ statements: iotStatements }) },
      });
      this.clientRole.grantAssumeRole(this.executionRole);
      acknowledgeWildcardResources(
        this.clientRole,
        iotStatements,
        `${wildcardReason}Per caller, the Lambda assumes this role with a session policy that fills each variable with the caller's own sub and eligible groups, so effective rights are that caller's grants; the non-overlap rule, checked at synth, keeps them apart from every other user's and group's.`,
      );
    } else {
      this.clientRole = undefined;
      for (const statement of iotStatements) this.executionRole.addToPrincipalPolicy(statement);
      acknowledgeWildcardResources(
        this.executionRole,
        iotStatements,
        `${wildcardReason}Shared scope was chosen explicitly: every caller gets the whole namespace (trusted internal dashboards).`,
      );
    }

    this.iotPolicy = new CfnPolicy(this, 'IotPolicy', {
      policyDocument: iotPolicyDocument(stack, this.iotRegion, namespace, config.iotPolicyIdentity),
    });
    // The policy is an output for operators to attach to certificates; AWS IoT refuses to delete a
    // policy that is still attached, which would make `cdk destroy` fail. Retained instead: delete it
    // by hand once detached (docs/deploy.md).
    this.iotPolicy.applyRemovalPolicy(RemovalPolicy.RETAIN);

    // Cognito user pools do not exist in the China partition, so in Cognito mode neither the default
    // pool nor the JWT authorizer can work there; fail the deployment at once with a clear message
    // instead of midway. Issuer mode needs no pool, so no such rule.
    if (identity.mode === 'cognito') {
      new CfnRule(this, 'NotInChinaPartition', {
        assertions: [
          {
            assert: Fn.conditionNot(Fn.conditionEquals(Aws.PARTITION, 'aws-cn')),
            assertDescription:
              'aws-signv4-mqtt in Cognito mode needs Amazon Cognito user pools, which the China (aws-cn) partition does not offer; deploy in another partition, or use an OIDC issuer (issuer prop, issuerUrl context).',
          },
        ],
      });
    }

    this.metricsService = metricsServiceFor(stack, this);
    this.handler = new LambdaFunction(this, 'Handler', {
      description: 'GET /mqtt-url: presigned AWS IoT MQTT-over-WebSocket URL for the caller',
      // One prebuilt, minified ESM file (bin/build-handler.ts), the same in this repository and in the
      // published package: synth needs no bundler, and the SDK inside is the one the tests ran.
      code: Code.fromAsset(handlerBundleDirectory()),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      role: this.executionRole,
      logGroup: this.functionLogGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: {
        IOT_ENDPOINT: this.iotEndpoint,
        IOT_REGION: this.iotRegion,
        ...(this.clientRole === undefined ? {} : { CLIENT_ROLE_ARN: this.clientRole.roleArn }),
        URL_TTL_SECONDS: String(config.urlTtlSeconds),
        PUBLISH_TOPIC_TEMPLATES: JSON.stringify(config.publish),
        SUBSCRIBE_TOPIC_TEMPLATES: JSON.stringify(config.subscribe),
        ...(config.groups.prefix === undefined ? {} : { GROUP_PREFIX: config.groups.prefix }),
        MAX_GROUPS: String(config.groups.max),
        ALLOW_RETAIN: String(config.allowRetain),
        SESSION_DURATION_SECONDS: String(config.sessionDurationSeconds),
        SESSION_CACHE_SIZE: String(config.sessionCacheSize),
        USER_RATE_PER_SECOND: String(config.userRate.perSecond),
        USER_RATE_BURST: String(config.userRate.burst),
        METRICS_SERVICE: this.metricsService,
        // The function pins the issuer in both modes: a token from any other issuer gets 401.
        IDENTITY_MODE: identity.mode,
        ISSUER_URL: this.issuerUrl,
        ...(identity.mode === 'oidc'
          ? {
              AUDIENCES: stack.toJsonString([...identity.audiences]),
              PRINCIPAL_CLAIM: identity.principalClaim,
              ...(identity.groupsClaim === undefined ? {} : { GROUPS_CLAIM: identity.groupsClaim }),
              ...(identity.jwksUri === undefined ? {} : { JWKS_URI: identity.jwksUri }),
            }
          : {}),
      },
    });

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', { retention: config.logRetention });
    this.httpApi = new HttpApi(this, 'HttpApi', {
      // Display name only (API names need not be unique); derived so two stacks stay distinguishable.
      apiName: `${stack.stackName}-mqtt-url`,
      description: 'Vends presigned AWS IoT MQTT-over-WebSocket URLs to signed-in users',
      // The stage is created below, with throttling and access logs, which the implicit one lacks.
      createDefaultStage: false,
      corsPreflight: config.allowedOrigins.length === 0 ? undefined : {
        allowOrigins: [...config.allowedOrigins],
        allowMethods: [CorsHttpMethod.GET],
        allowHeaders: ['authorization'],
        // Lets a browser client honour Retry-After on 503.
        exposeHeaders: ['retry-after'],
        maxAge: Duration.hours(1),
      },
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: config.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(identity.mode === 'cognito' ? COGNITO_ACCESS_LOG_FIELDS : ACCESS_LOG_FIELDS)),
      },
    });
    // An explicit GET route rather than `ANY /{proxy+}`: a greedy authorized route would also
    // capture CORS preflights, which carry no token.
    this.httpApi.addRoutes({
      path: '/mqtt-url',
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration('VendIntegration', this.handler),
      authorizer,
      ...(config.requiredScopes === undefined ? {} : { authorizationScopes: [...config.requiredScopes] }),
    });
    this.url = this.httpApi.apiEndpoint;

    const monitoring = new VendingMonitoring(this, 'Monitoring', {
      httpApi: this.httpApi,
      handler: this.handler,
      service: this.metricsService,
      alarms: config.alarms,
      alarmActions: config.alarmActions,
      thresholds: config.alarmThresholds,
      dashboard: config.dashboard,
    });
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;
  }
}

/**
 * The metrics' `service` dimension: the stack's name and the construct's id, so deployments sharing
 * an account and region keep their metrics apart. Characters a dimension value must not hold here
 * (see `METRICS_SERVICE_PATTERN`) become `-`.
 */
function metricsServiceFor(stack: Stack, construct: Construct): string {
  const name = Token.isUnresolved(stack.stackName) ? construct.node.path : `${stack.stackName}/${construct.node.id}`;
  return name.replace(/[^A-Za-z0-9_.:/@+=-]/g, '-').slice(0, 255);
}
