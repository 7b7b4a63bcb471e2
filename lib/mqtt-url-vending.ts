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
import { CorsHttpMethod, HttpApi, HttpMethod, type HttpStage, type IHttpRouteAuthorizer, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { ArnPrincipal, PolicyDocument, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnPolicy } from 'aws-cdk-lib/aws-iot';
import { ApplicationLogLevel, Architecture, Code, Function as LambdaFunction, LoggingFormat, Runtime, SystemLogLevel } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { regionFromIotEndpoint } from '../lambda/signing/region.js';
import { handlerBundleDirectory } from './handler-asset.js';
import { IotDataEndpoint } from './iot-data-endpoint.js';
import { iotPolicyDocument, iotRoleStatements } from './iot-permissions.js';
import { acknowledgeWildcardResources } from './nag-acknowledgements.js';
import { type IdentityMode, issuerAuthorizer, userPoolAuthorizer, userPoolIssuerUrl } from './vending-identity.js';
import type { MqttUrlVendingProps } from './mqtt-url-vending-props.js';
import { resolveVendingProps } from './vending-settings.js';
import { type VendingAlarms, VendingMonitoring } from './vending-monitoring.js';
import { createDefaultUserPool } from './vending-user-pool.js';

// Re-exported so that consumers of the construct need only this module (documented at the source).
export type { IotPolicyIdentity } from './iot-permissions.js';
export type { IdentityMode, MqttUrlVendingIssuer, UserPoolIssuer } from './vending-identity.js';
export type { MqttUrlVendingProps, VendingScope } from './mqtt-url-vending-props.js';
export type { VendingAlarmThresholds, VendingAlarms } from './vending-monitoring.js';

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
