/**
 * CDK context → `MqttUrlVendingProps`. Context arrives as JSON values from `cdk.json` or as plain
 * strings from `cdk deploy -c key=value`, so every key accepts both; each is validated here under
 * its context name, so an error points at the key the operator actually typed.
 */
import { Duration } from 'aws-cdk-lib';
import { UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  SESSION_CACHE_SIZE_MAX,
  SESSION_CACHE_SIZE_MIN,
  SESSION_DURATION_MAX,
  SESSION_DURATION_MIN,
  URL_TTL_MAX,
  URL_TTL_MIN,
} from '../lambda/vending/config.js';
import { InvalidVendingConfigError, describeReceived } from './config-error.js';
import { IOT_POLICY_IDENTITIES, type IotPolicyIdentity } from './iot-permissions.js';
import type { MqttUrlVendingProps } from './mqtt-url-vending.js';
import {
  DEFAULT_LOG_RETENTION,
  DEFAULT_SESSION_CACHE_SIZE,
  DEFAULT_SESSION_DURATION,
  DEFAULT_THROTTLE,
  DEFAULT_URL_TTL,
  VENDING_SCOPES,
  type VendingScope,
} from './vending-settings.js';
import { DEFAULT_TOPIC_TEMPLATES, validateTopicTemplates } from './topic-templates.js';
import { validateInteger, validateIotEndpoint, validateOrigin, validatePositiveNumber, validateRetention } from './validate-settings.js';

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
  throttleRateLimit: DEFAULT_THROTTLE.rateLimit,
  throttleBurstLimit: DEFAULT_THROTTLE.burstLimit,
  logRetentionDays: DEFAULT_LOG_RETENTION as number,
  iotPolicyIdentity: 'thing-name' as IotPolicyIdentity,
  /** Empty: create a user pool. */
  userPoolId: '',
  /** App client ids of `userPoolId`; required with it. */
  userPoolClientIds: [] as readonly string[],
});

/** A context key the stack reads. */
export type ContextKey = keyof typeof CONTEXT_DEFAULTS;

const settingName = (key: ContextKey): string => `context "${key}"`;

function read(scope: Construct, key: ContextKey): unknown {
  const value: unknown = scope.node.tryGetContext(key);
  return value === undefined || value === null ? CONTEXT_DEFAULTS[key] : value;
}

function readNumber(scope: Construct, key: ContextKey): unknown {
  const value = read(scope, key);
  // `-c key=600` arrives as the string "600".
  return typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
}

function readString(scope: Construct, key: ContextKey): string {
  const value = read(scope, key);
  if (typeof value !== 'string') throw new InvalidVendingConfigError(settingName(key), 'must be a string', describeReceived(value));
  return value.trim();
}

/** Arrays: a JSON array, a JSON array in a string, or a comma-separated string ("" is empty). */
function readList(scope: Construct, key: ContextKey): unknown {
  const value = read(scope, key);
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text.startsWith('[')) {
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new InvalidVendingConfigError(settingName(key), 'must be a JSON array or a comma-separated list', describeReceived(value), { cause });
    }
  }
  return text === '' ? [] : text.split(',').map((item) => item.trim());
}

function oneOf<T extends string>(key: ContextKey, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidVendingConfigError(settingName(key), `must be one of ${allowed.join(', ')}`, describeReceived(value));
  }
  return value as T;
}

function importUserPool(scope: Construct): Pick<MqttUrlVendingProps, 'userPool' | 'userPoolClients'> {
  const userPoolId = readString(scope, 'userPoolId');
  const clientIds = readList(scope, 'userPoolClientIds');
  if (!Array.isArray(clientIds) || !clientIds.every((id): id is string => typeof id === 'string' && /^[\w+]{1,128}$/.test(id))) {
    throw new InvalidVendingConfigError(settingName('userPoolClientIds'), 'must be a list of app client ids', describeReceived(clientIds));
  }
  if (userPoolId === '') {
    if (clientIds.length > 0) {
      throw new InvalidVendingConfigError(settingName('userPoolClientIds'), 'needs context "userPoolId" (the pool the clients belong to)', describeReceived(clientIds));
    }
    return {};
  }
  if (!/^[\w-]+_[0-9a-zA-Z]+$/.test(userPoolId)) {
    throw new InvalidVendingConfigError(settingName('userPoolId'), 'must be a user pool id such as eu-west-1_AbCdEf123', describeReceived(userPoolId));
  }
  if (clientIds.length === 0) {
    throw new InvalidVendingConfigError(settingName('userPoolClientIds'), 'must name at least one app client of context "userPoolId"', describeReceived(clientIds));
  }
  return {
    userPool: UserPool.fromUserPoolId(scope, 'ImportedUserPool', userPoolId),
    userPoolClients: clientIds.map((id, index) => UserPoolClient.fromUserPoolClientId(scope, `ImportedUserPoolClient${index}`, id)),
  };
}

/**
 * Reads and validates every context key (see {@link CONTEXT_DEFAULTS}) into construct props.
 * `scope` is where imported user pool references are created.
 */
export function vendingPropsFromContext(scope: Construct): MqttUrlVendingProps {
  const endpoint = readString(scope, 'iotEndpoint');
  const origins = readList(scope, 'allowedOrigins');
  if (!Array.isArray(origins)) {
    throw new InvalidVendingConfigError(settingName('allowedOrigins'), 'must be a list of origins', describeReceived(origins));
  }
  return {
    ...importUserPool(scope),
    iotEndpoint: endpoint === '' ? undefined : validateIotEndpoint(settingName('iotEndpoint'), endpoint),
    scope: oneOf('scope', readString(scope, 'scope'), VENDING_SCOPES),
    urlTtl: Duration.seconds(validateInteger(settingName('urlTtlSeconds'), readNumber(scope, 'urlTtlSeconds'), URL_TTL_MIN, URL_TTL_MAX)),
    sessionDuration: Duration.seconds(validateInteger(settingName('sessionDurationSeconds'), readNumber(scope, 'sessionDurationSeconds'), SESSION_DURATION_MIN, SESSION_DURATION_MAX)),
    sessionCacheSize: validateInteger(settingName('sessionCacheSize'), readNumber(scope, 'sessionCacheSize'), SESSION_CACHE_SIZE_MIN, SESSION_CACHE_SIZE_MAX),
    allowedOrigins: origins.map((origin: unknown, index) => validateOrigin(`${settingName('allowedOrigins')}[${index}]`, origin)),
    publishTopicTemplates: validateTopicTemplates(settingName('publishTopicTemplates'), readList(scope, 'publishTopicTemplates')),
    subscribeTopicTemplates: validateTopicTemplates(settingName('subscribeTopicTemplates'), readList(scope, 'subscribeTopicTemplates')),
    throttle: {
      rateLimit: validatePositiveNumber(settingName('throttleRateLimit'), readNumber(scope, 'throttleRateLimit')),
      burstLimit: validateInteger(settingName('throttleBurstLimit'), readNumber(scope, 'throttleBurstLimit'), 1, Number.MAX_SAFE_INTEGER),
    },
    logRetention: validateRetention(settingName('logRetentionDays'), readNumber(scope, 'logRetentionDays')) satisfies RetentionDays,
    iotPolicyIdentity: oneOf('iotPolicyIdentity', readString(scope, 'iotPolicyIdentity'), IOT_POLICY_IDENTITIES),
  };
}
