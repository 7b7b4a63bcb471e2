/**
 * The construct's settings: scope values, defaults, and the validation that turns
 * `MqttUrlVendingProps` into checked values before any resource is created.
 */
import { Duration, Token } from 'aws-cdk-lib';
import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  MAX_GROUPS_DEFAULT,
  MAX_GROUPS_MAX,
  MAX_GROUPS_MIN,
  SESSION_CACHE_SIZE_DEFAULT,
  SESSION_CACHE_SIZE_MAX,
  SESSION_CACHE_SIZE_MIN,
  SESSION_DURATION_DEFAULT,
  SESSION_DURATION_MAX,
  SESSION_DURATION_MIN,
  SESSION_REFRESH_MARGIN_SECONDS,
  URL_TTL_DEFAULT,
  URL_TTL_MAX,
  URL_TTL_MIN,
  GROUP_PREFIX_WITHOUT_GROUP_TEMPLATE,
  USER_RATE_BURST_DEFAULT,
  USER_RATE_BURST_MAX,
  USER_RATE_BURST_MIN,
  USER_RATE_PER_SECOND_DEFAULT,
  USER_RATE_PER_SECOND_MAX,
} from '../lambda/vending/config.js';
import { InvalidVendingConfigError, describeReceived } from './config-error.js';
import { IOT_POLICY_IDENTITIES, type IotPolicyIdentity } from './iot-permissions.js';
import type { MqttUrlVendingProps, VendingScope } from './mqtt-url-vending-props.js';
import { groupPrefixProblem, type GroupSettings } from '../lambda/vending/groups.js';
import { usesGroups } from '../lambda/vending/topic-templates.js';
import type { RateLimitSettings } from '../lambda/vending/rate-limiter.js';
import { type IdentitySettings, resolveIdentity, resolveRequiredScopes } from './vending-identity.js';
import { DEFAULT_ALARM_THRESHOLDS, type VendingAlarmThresholds } from './vending-monitoring.js';
import { DEFAULT_TOPIC_TEMPLATES, assertNoGrantOverlap, assertSessionPolicyFits, validateTopicTemplates } from './topic-templates.js';
import {
  validateBoolean,
  validateDurationSeconds,
  validateInteger,
  validateIotEndpoint,
  validateNumberInRange,
  validateOrigin,
  validatePositiveNumber,
  validateRetention,
} from './validate-settings.js';

// Defined with the props; re-exported for existing imports.
export type { VendingScope } from './mqtt-url-vending-props.js';

// Defined with the rest of the identity settings; re-exported for existing imports.
export { USER_POOL_ISSUERS, type UserPoolIssuer } from './vending-identity.js';

/** Every {@link VendingScope}, for validation. */
export const VENDING_SCOPES: readonly VendingScope[] = Object.freeze(['per-user', 'shared']);

/** Default URL lifetime: AWS IoT refuses presigned URLs older than about 15 minutes anyway. */
export const DEFAULT_URL_TTL = Duration.seconds(URL_TTL_DEFAULT);
/** Default per-user session length (role chaining caps sessions at one hour). */
export const DEFAULT_SESSION_DURATION = Duration.seconds(SESSION_DURATION_DEFAULT);
/** Default number of per-user sessions the Lambda caches. */
export const DEFAULT_SESSION_CACHE_SIZE = SESSION_CACHE_SIZE_DEFAULT;
/** Default stage throttling. */
export const DEFAULT_THROTTLE: Required<ThrottleSettings> = Object.freeze({ rateLimit: 50, burstLimit: 100 });
/** Default retention of every log group the construct creates. */
export const DEFAULT_LOG_RETENTION = RetentionDays.ONE_MONTH;

/** The props of `MqttUrlVending`, validated and with defaults applied. */
export interface ResolvedVendingProps {
  /** The validated IoT data endpoint host, a token, or `undefined` to discover it at deploy time. */
  readonly iotEndpoint: string | undefined;
  /** The publish topic templates (Lambda rules, see `lambda/vending/topic-templates.ts`). */
  readonly publish: readonly string[];
  /** The subscribe (and receive) topic templates. */
  readonly subscribe: readonly string[];
  /** Which of a caller's groups `${group}` templates are filled with. */
  readonly groups: GroupSettings;
  /** Whether publish grants include `iot:RetainPublish`. */
  readonly allowRetain: boolean;
  /** Each caller's token bucket in each instance. */
  readonly userRate: RateLimitSettings;
  /** Whether to create the alarms. */
  readonly alarms: boolean;
  /** Where alarms are sent. */
  readonly alarmActions: readonly IAlarmAction[];
  /** Alarm thresholds, defaults filled in. */
  readonly alarmThresholds: Required<VendingAlarmThresholds>;
  /** Whether to create the dashboard. */
  readonly dashboard: boolean;
  /** URL lifetime in seconds, 1..900. */
  readonly urlTtlSeconds: number;
  /** Per-user STS session length in seconds, 900..3600. */
  readonly sessionDurationSeconds: number;
  /** How many per-user sessions the Lambda caches. */
  readonly sessionCacheSize: number;
  /** Whose credentials sign the URLs. */
  readonly scope: VendingScope;
  /** Who may call: the Cognito user pool (brought or to create) or the OIDC issuer. */
  readonly identity: IdentitySettings;
  /** The OAuth scopes the route requires (one of them); `undefined`: none. */
  readonly requiredScopes: readonly string[] | undefined;
  /** The CORS origins allowed to call the API. */
  readonly allowedOrigins: readonly string[];
  /** Stage throttling, defaults filled in. */
  readonly throttle: Required<ThrottleSettings>;
  /** Retention of every log group the construct creates. */
  readonly logRetention: RetentionDays;
  /** The identity AWS IoT substitutes for `${sub}` in the provisioned AWS IoT policy. */
  readonly iotPolicyIdentity: IotPolicyIdentity;
}

/**
 * Validates every prop (throwing {@link InvalidVendingConfigError}) and applies the defaults.
 */
export function resolveVendingProps(props: MqttUrlVendingProps): ResolvedVendingProps {
  const iotEndpoint = props.iotEndpoint === undefined || Token.isUnresolved(props.iotEndpoint)
    ? props.iotEndpoint
    : validateIotEndpoint('iotEndpoint', props.iotEndpoint);
  const publish = validateTopicTemplates('publishTopicTemplates', props.publishTopicTemplates ?? [...DEFAULT_TOPIC_TEMPLATES]);
  const subscribe = validateTopicTemplates('subscribeTopicTemplates', props.subscribeTopicTemplates ?? [...DEFAULT_TOPIC_TEMPLATES]);
  assertNoGrantOverlap({ publish, subscribe });
  const identity = resolveIdentity(props, usesGroups({ publish, subscribe }));
  const requiredScopes = resolveRequiredScopes(props.requiredScopes);
  const groupPrefix = props.groupPrefix;
  const prefixProblem = groupPrefix === undefined ? undefined : groupPrefixProblem(groupPrefix);
  if (prefixProblem !== undefined) throw new InvalidVendingConfigError('groupPrefix', prefixProblem, describeReceived(groupPrefix));
  if (groupPrefix !== undefined && !usesGroups({ publish, subscribe })) {
    throw new InvalidVendingConfigError('groupPrefix', GROUP_PREFIX_WITHOUT_GROUP_TEMPLATE, describeReceived(groupPrefix));
  }
  const groups: GroupSettings = { prefix: groupPrefix, max: validateInteger('maxGroups', props.maxGroups ?? MAX_GROUPS_DEFAULT, MAX_GROUPS_MIN, MAX_GROUPS_MAX) };
  const allowRetain = props.allowRetain ?? false;
  validateBoolean('allowRetain', allowRetain);
  assertSessionPolicyFits({ publish, subscribe }, groups, allowRetain);
  const userRate: RateLimitSettings = {
    perSecond: validateNumberInRange('userRatePerSecond', props.userRatePerSecond ?? USER_RATE_PER_SECOND_DEFAULT, 0, USER_RATE_PER_SECOND_MAX),
    burst: validateInteger('userRateBurst', props.userRateBurst ?? USER_RATE_BURST_DEFAULT, USER_RATE_BURST_MIN, USER_RATE_BURST_MAX),
  };
  const thresholds = props.alarmThresholds ?? {};
  const alarmThresholds: Required<VendingAlarmThresholds> = {
    api5xxPercent: validateNumberInRange('alarmThresholds.api5xxPercent', thresholds.api5xxPercent ?? DEFAULT_ALARM_THRESHOLDS.api5xxPercent, 0.1, 100),
    lambdaErrors: validatePositiveNumber('alarmThresholds.lambdaErrors', thresholds.lambdaErrors ?? DEFAULT_ALARM_THRESHOLDS.lambdaErrors),
    lambdaThrottles: validatePositiveNumber('alarmThresholds.lambdaThrottles', thresholds.lambdaThrottles ?? DEFAULT_ALARM_THRESHOLDS.lambdaThrottles),
    stsFailures: validatePositiveNumber('alarmThresholds.stsFailures', thresholds.stsFailures ?? DEFAULT_ALARM_THRESHOLDS.stsFailures),
    stsThrottles: validatePositiveNumber('alarmThresholds.stsThrottles', thresholds.stsThrottles ?? DEFAULT_ALARM_THRESHOLDS.stsThrottles),
    p99DurationMs: validateNumberInRange('alarmThresholds.p99DurationMs', thresholds.p99DurationMs ?? DEFAULT_ALARM_THRESHOLDS.p99DurationMs, 1, 10_000),
  };
  const alarms = validateBoolean('alarms', props.alarms ?? true);
  const dashboard = validateBoolean('dashboard', props.dashboard ?? true);
  const alarmActions = props.alarmActions ?? [];
  if (!Array.isArray(alarmActions)) throw new InvalidVendingConfigError('alarmActions', 'must be an array of alarm actions such as new SnsAction(topic)', describeReceived(alarmActions));
  const scope = props.scope ?? 'per-user';
  if (!VENDING_SCOPES.includes(scope)) {
    throw new InvalidVendingConfigError('scope', `must be one of ${VENDING_SCOPES.join(', ')}`, describeReceived(scope));
  }
  const iotPolicyIdentity = props.iotPolicyIdentity ?? 'thing-name';
  if (!IOT_POLICY_IDENTITIES.includes(iotPolicyIdentity)) {
    throw new InvalidVendingConfigError('iotPolicyIdentity', `must be one of ${IOT_POLICY_IDENTITIES.join(', ')}`, describeReceived(iotPolicyIdentity));
  }
  const allowedOrigins = props.allowedOrigins ?? [];
  if (!Array.isArray(allowedOrigins)) {
    throw new InvalidVendingConfigError('allowedOrigins', 'must be an array of origins', describeReceived(allowedOrigins));
  }
  const throttle = props.throttle ?? DEFAULT_THROTTLE;
  const urlTtlSeconds = validateDurationSeconds('urlTtl', props.urlTtl ?? DEFAULT_URL_TTL, URL_TTL_MIN, URL_TTL_MAX);
  const sessionDurationSeconds = validateDurationSeconds('sessionDuration', props.sessionDuration ?? DEFAULT_SESSION_DURATION, SESSION_DURATION_MIN, SESSION_DURATION_MAX);
  // The Lambda refreshes a cached session once less than TTL + 60 s remains; a shorter session
  // could never serve a URL, and the function refuses such a configuration at cold start.
  if (scope === 'per-user' && sessionDurationSeconds <= urlTtlSeconds + SESSION_REFRESH_MARGIN_SECONDS) {
    throw new InvalidVendingConfigError(
      'sessionDuration',
      `must exceed urlTtl + ${SESSION_REFRESH_MARGIN_SECONDS} seconds (${urlTtlSeconds + SESSION_REFRESH_MARGIN_SECONDS}) so a session outlives the URLs signed with it`,
      `${sessionDurationSeconds} seconds`,
    );
  }
  return {
    iotEndpoint,
    publish,
    subscribe,
    groups,
    allowRetain,
    userRate,
    alarms,
    alarmActions,
    alarmThresholds,
    dashboard,
    urlTtlSeconds,
    sessionDurationSeconds,
    sessionCacheSize: validateInteger('sessionCacheSize', props.sessionCacheSize ?? DEFAULT_SESSION_CACHE_SIZE, SESSION_CACHE_SIZE_MIN, SESSION_CACHE_SIZE_MAX),
    scope,
    identity,
    requiredScopes,
    allowedOrigins: allowedOrigins.map((origin: unknown, index) => validateOrigin(`allowedOrigins[${index}]`, origin)),
    throttle: {
      rateLimit: validatePositiveNumber('throttle.rateLimit', throttle.rateLimit ?? DEFAULT_THROTTLE.rateLimit),
      burstLimit: validateInteger('throttle.burstLimit', throttle.burstLimit ?? DEFAULT_THROTTLE.burstLimit, 1, Number.MAX_SAFE_INTEGER),
    },
    logRetention: validateRetention('logRetention', props.logRetention ?? DEFAULT_LOG_RETENTION),
    iotPolicyIdentity,
  };
}

