/**
 * CDK context → `MqttUrlVendingProps`, conversion only. Context arrives as JSON values from
 * `cdk.json` or as plain strings from `cdk deploy -c key=value`, so each key is converted to the
 * prop's type (numbers, lists, booleans, `Duration`s) and nothing more: the construct validates its
 * props once, with the Lambda's own rules, and {@link contextSettingFor} lets the stack name the
 * context key in the construct's error. A value that cannot even be converted is refused here,
 * naming its key.
 */
import { Duration } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { MAX_GROUPS_DEFAULT, USER_RATE_BURST_DEFAULT, USER_RATE_PER_SECOND_DEFAULT } from '../lambda/vending/config.js';
import { InvalidVendingConfigError, describeReceived } from './config-error.js';
import type { IotPolicyIdentity } from './iot-permissions.js';
import type { MqttUrlVendingProps } from './mqtt-url-vending-props.js';
import { DEFAULT_TOPIC_TEMPLATES } from './topic-templates.js';
import { DEFAULT_PRINCIPAL_CLAIM } from './vending-identity.js';
import {
  DEFAULT_LOG_RETENTION,
  DEFAULT_SESSION_CACHE_SIZE,
  DEFAULT_SESSION_DURATION,
  DEFAULT_THROTTLE,
  DEFAULT_URL_TTL,
  type UserPoolIssuer,
  type VendingScope,
} from './vending-settings.js';

/** Every context key the stack reads, with its default (the same values `cdk.json` documents). */
export const CONTEXT_DEFAULTS = Object.freeze({
  /** Empty: discover the `iot:Data-ATS` endpoint at deploy time. */
  iotEndpoint: '',
  scope: 'per-user' as VendingScope,
  urlTtlSeconds: DEFAULT_URL_TTL.toSeconds(),
  sessionDurationSeconds: DEFAULT_SESSION_DURATION.toSeconds(),
  sessionCacheSize: DEFAULT_SESSION_CACHE_SIZE,
  /** No CORS: list your web origins (`-c allowedOrigins=https://app.example.com`) to call the API from a browser. */
  allowedOrigins: [] as readonly string[],
  publishTopicTemplates: DEFAULT_TOPIC_TEMPLATES,
  subscribeTopicTemplates: DEFAULT_TOPIC_TEMPLATES,
  /** Empty: every group with a safe name is eligible for `${group}` templates. */
  groupPrefix: '',
  maxGroups: MAX_GROUPS_DEFAULT,
  allowRetain: false,
  userRatePerSecond: USER_RATE_PER_SECOND_DEFAULT,
  userRateBurst: USER_RATE_BURST_DEFAULT,
  /** Create the CloudWatch alarms. */
  alarms: true,
  /** Empty: alarms notify nobody; an SNS topic ARN: they notify it. */
  alarmTopicArn: '',
  /** Create the CloudWatch dashboard. */
  dashboard: true,
  throttleRateLimit: DEFAULT_THROTTLE.rateLimit,
  throttleBurstLimit: DEFAULT_THROTTLE.burstLimit,
  logRetentionDays: DEFAULT_LOG_RETENTION as number,
  iotPolicyIdentity: 'thing-name' as IotPolicyIdentity,
  /** Empty: create a user pool. */
  userPoolId: '',
  /** App client ids of `userPoolId`; required with it. */
  userPoolClientIds: [] as readonly string[],
  /** The issuer form of the pool's tokens: `original` or `updated`. */
  userPoolIssuer: 'original' as UserPoolIssuer,
  /** Empty: Cognito mode. An OIDC issuer URL (exactly as tokens carry it in `iss`): issuer mode. */
  issuerUrl: '',
  /** Issuer mode: the audiences the API accepts (at least one). */
  audiences: [] as readonly string[],
  /** Issuer mode: the claim name or JSON Pointer holding the caller's groups; empty: no groups. */
  groupsClaim: '',
  /** Issuer mode: the claim identifying the caller. */
  principalClaim: DEFAULT_PRINCIPAL_CLAIM,
  /** Issuer mode: the JWKS URI the function reads keys from; empty: from the discovery document. */
  jwksUri: '',
  /** Both modes: OAuth scopes the route requires (one of them); empty: none. */
  requiredScopes: [] as readonly string[],
});

/** A context key the stack reads. */
export type ContextKey = keyof typeof CONTEXT_DEFAULTS;

/** How an error names a context key. */
export const contextSetting = (key: ContextKey): string => `context "${key}"`;

// The props whose context key has another name; every other prop is read from the key of its name.
const CONTEXT_KEY_OF_PROP: Readonly<Record<string, ContextKey>> = {
  urlTtl: 'urlTtlSeconds',
  sessionDuration: 'sessionDurationSeconds',
  'throttle.rateLimit': 'throttleRateLimit',
  'throttle.burstLimit': 'throttleBurstLimit',
  logRetention: 'logRetentionDays',
  userPoolClients: 'userPoolClientIds',
  userPool: 'userPoolId',
  issuer: 'issuerUrl',
  'issuer.url': 'issuerUrl',
  'issuer.audiences': 'audiences',
  'issuer.groupsClaim': 'groupsClaim',
  'issuer.principalClaim': 'principalClaim',
  'issuer.jwksUri': 'jwksUri',
};

/**
 * The context setting behind a construct setting named in an error: `publishTopicTemplates[2]` →
 * `context "publishTopicTemplates"[2]`, `urlTtl` → `context "urlTtlSeconds"`, and a combined
 * `publishTopicTemplates + subscribeTopicTemplates` → both keys.
 */
export function contextSettingFor(propSetting: string): string {
  return propSetting.replace(/[A-Za-z]+(?:\.[A-Za-z]+)?/g, (prop) => {
    const key = CONTEXT_KEY_OF_PROP[prop] ?? (prop in CONTEXT_DEFAULTS ? (prop as ContextKey) : undefined);
    return key === undefined ? prop : contextSetting(key);
  });
}

function read(scope: Construct, key: ContextKey): unknown {
  const value: unknown = scope.node.tryGetContext(key);
  return value === undefined || value === null ? CONTEXT_DEFAULTS[key] : value;
}

/** Numbers: `-c key=600` arrives as the string "600". Anything else is left for the construct to refuse. */
function readNumber(scope: Construct, key: ContextKey): number {
  const value = read(scope, key);
  const number = typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number') throw new InvalidVendingConfigError(contextSetting(key), 'must be a number', describeReceived(value));
  return number;
}

function readSeconds(scope: Construct, key: ContextKey): Duration {
  const seconds = readNumber(scope, key);
  try {
    return Duration.seconds(seconds);
  } catch (cause) {
    // Duration refuses negative and non-finite amounts itself.
    throw new InvalidVendingConfigError(contextSetting(key), 'must be a whole number of seconds', describeReceived(seconds), { cause });
  }
}

function readString(scope: Construct, key: ContextKey): string {
  const value = read(scope, key);
  if (typeof value !== 'string') throw new InvalidVendingConfigError(contextSetting(key), 'must be a string', describeReceived(value));
  return value.trim();
}

/** Booleans: `true`/`false`, or the strings "true"/"false" from `-c`. */
function readBoolean(scope: Construct, key: ContextKey): boolean {
  const value = read(scope, key);
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new InvalidVendingConfigError(contextSetting(key), 'must be true or false', describeReceived(value));
}

/** Arrays: a JSON array, a JSON array in a string, or a comma-separated string ("" is empty). */
function readList(scope: Construct, key: ContextKey): unknown[] {
  const value = read(scope, key);
  let list = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[')) {
      try {
        list = JSON.parse(text) as unknown;
      } catch (cause) {
        throw new InvalidVendingConfigError(contextSetting(key), 'must be a JSON array or a comma-separated list', describeReceived(value), { cause });
      }
    } else {
      list = text === '' ? [] : text.split(',').map((item) => item.trim());
    }
  }
  if (!Array.isArray(list)) throw new InvalidVendingConfigError(contextSetting(key), 'must be a list (a JSON array or a comma-separated string)', describeReceived(value));
  return list;
}

function importUserPool(scope: Construct): Pick<MqttUrlVendingProps, 'userPool' | 'userPoolClients'> {
  const userPoolId = readString(scope, 'userPoolId');
  const clientIds = readList(scope, 'userPoolClientIds');
  if (!clientIds.every((id): id is string => typeof id === 'string' && /^[\w+]{1,128}$/.test(id))) {
    throw new InvalidVendingConfigError(contextSetting('userPoolClientIds'), 'must be a list of app client ids', describeReceived(clientIds));
  }
  if (userPoolId === '') {
    if (clientIds.length > 0) {
      throw new InvalidVendingConfigError(contextSetting('userPoolClientIds'), 'needs context "userPoolId" (the pool the clients belong to)', describeReceived(clientIds));
    }
    return {};
  }
  if (!/^[\w-]+_[0-9a-zA-Z]+$/.test(userPoolId)) {
    throw new InvalidVendingConfigError(contextSetting('userPoolId'), 'must be a user pool id such as eu-west-1_AbCdEf123', describeReceived(userPoolId));
  }
  return {
    userPool: UserPool.fromUserPoolId(scope, 'ImportedUserPool', userPoolId),
    userPoolClients: clientIds.map((id, index) => UserPoolClient.fromUserPoolClientId(scope, `ImportedUserPoolClient${index}`, id)),
  };
}

// The issuer-mode keys other than `issuerUrl`: meaningless without it.
const ISSUER_ONLY_KEYS = ['audiences', 'groupsClaim', 'principalClaim', 'jwksUri'] as const;

/**
 * Issuer mode when `issuerUrl` is set: `issuer` from the issuer keys, and `userPoolIssuer` only when
 * it differs from the default, so that the construct refuses it with the issuer. Without
 * `issuerUrl`, an issuer-only key set to anything but its default is refused here: it would be
 * silently ignored in Cognito mode.
 */
function issuerFromContext(scope: Construct): Pick<MqttUrlVendingProps, 'issuer' | 'userPoolIssuer'> {
  const url = readString(scope, 'issuerUrl');
  const values = {
    audiences: readList(scope, 'audiences'),
    groupsClaim: readString(scope, 'groupsClaim'),
    principalClaim: readString(scope, 'principalClaim'),
    jwksUri: readString(scope, 'jwksUri'),
  };
  const userPoolIssuer = readString(scope, 'userPoolIssuer') as UserPoolIssuer;
  if (url === '') {
    for (const key of ISSUER_ONLY_KEYS) {
      if (JSON.stringify(values[key]) !== JSON.stringify(CONTEXT_DEFAULTS[key])) {
        throw new InvalidVendingConfigError(contextSetting(key), 'needs context "issuerUrl" (it configures an OIDC issuer, and Cognito mode would ignore it)', describeReceived(values[key]));
      }
    }
    return { userPoolIssuer };
  }
  return {
    issuer: {
      url,
      audiences: values.audiences as string[],
      groupsClaim: values.groupsClaim === '' ? undefined : values.groupsClaim,
      principalClaim: values.principalClaim,
      jwksUri: values.jwksUri === '' ? undefined : values.jwksUri,
    },
    ...(userPoolIssuer === CONTEXT_DEFAULTS.userPoolIssuer ? {} : { userPoolIssuer }),
  };
}

/**
 * Converts every context key (see {@link CONTEXT_DEFAULTS}) into construct props. `scope` is where
 * imported user pool references are created. The values are validated by the construct.
 */
export function vendingPropsFromContext(scope: Construct): MqttUrlVendingProps {
  const endpoint = readString(scope, 'iotEndpoint');
  const groupPrefix = readString(scope, 'groupPrefix');
  const alarmTopicArn = readString(scope, 'alarmTopicArn');
  if (alarmTopicArn !== '' && !/^arn:[\w-]+:sns:[\w-]+:\d{12}:[\w-]{1,256}$/.test(alarmTopicArn)) {
    throw new InvalidVendingConfigError(contextSetting('alarmTopicArn'), 'must be an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:ops-alerts, or empty', describeReceived(alarmTopicArn));
  }
  const requiredScopes = readList(scope, 'requiredScopes');
  return {
    ...importUserPool(scope),
    ...issuerFromContext(scope),
    requiredScopes: requiredScopes.length === 0 ? undefined : (requiredScopes as string[]),
    iotEndpoint: endpoint === '' ? undefined : endpoint,
    scope: readString(scope, 'scope') as VendingScope,
    urlTtl: readSeconds(scope, 'urlTtlSeconds'),
    sessionDuration: readSeconds(scope, 'sessionDurationSeconds'),
    sessionCacheSize: readNumber(scope, 'sessionCacheSize'),
    allowedOrigins: readList(scope, 'allowedOrigins') as string[],
    publishTopicTemplates: readList(scope, 'publishTopicTemplates') as string[],
    subscribeTopicTemplates: readList(scope, 'subscribeTopicTemplates') as string[],
    groupPrefix: groupPrefix === '' ? undefined : groupPrefix,
    maxGroups: readNumber(scope, 'maxGroups'),
    allowRetain: readBoolean(scope, 'allowRetain'),
    userRatePerSecond: readNumber(scope, 'userRatePerSecond'),
    userRateBurst: readNumber(scope, 'userRateBurst'),
    alarms: readBoolean(scope, 'alarms'),
    alarmActions: alarmTopicArn === '' ? [] : [new SnsAction(Topic.fromTopicArn(scope, 'AlarmTopic', alarmTopicArn))],
    dashboard: readBoolean(scope, 'dashboard'),
    throttle: { rateLimit: readNumber(scope, 'throttleRateLimit'), burstLimit: readNumber(scope, 'throttleBurstLimit') },
    logRetention: readNumber(scope, 'logRetentionDays') as RetentionDays,
    iotPolicyIdentity: readString(scope, 'iotPolicyIdentity') as IotPolicyIdentity,
  };
}
