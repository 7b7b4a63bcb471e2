/**
 * `MqttUrlVendingProps`, the construct's props, in a module of their own: the construct and the
 * modules that validate them (`vending-settings.ts`, `vending-identity.ts`, `stack-context.ts`) all
 * read them, and none of those should import the construct for a type.
 */
import type { Duration } from 'aws-cdk-lib';
import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IotPolicyIdentity } from './iot-permissions.js';
import type { MqttUrlVendingIssuer, UserPoolIssuer } from './vending-identity.js';
import type { VendingAlarmThresholds } from './vending-monitoring.js';

/**
 * Whose credentials sign the vended URLs.
 * - `per-user`: the Lambda assumes the client role per caller with a session policy narrowed to
 *   that caller's `sub`, so a URL reaches only the caller's own client IDs and topics.
 * - `shared`: the Lambda signs with its own role, which holds the whole namespace; every caller
 *   gets the same rights. Only for trusted internal dashboards.
 */
export type VendingScope = 'per-user' | 'shared';

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
