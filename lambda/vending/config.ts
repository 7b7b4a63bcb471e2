/**
 * The Lambda's configuration: its environment, parsed and validated once at cold start. Nothing else
 * in the function reads `process.env`. Every problem is a {@link ConfigurationError} naming the
 * variable and showing the value received, so a bad deployment fails loudly on its first request
 * instead of vending URLs that cannot work.
 */
import { regionFromIotEndpoint } from '../signing/region.js';
import { resolveMqttUrlTarget, type MqttUrlTarget } from '../signing/sign-mqtt-url.js';
import { describeValue } from '../signing/errors.js';
import { parseHost, validateRegion } from '../signing/validate.js';
import { ConfigurationError } from './errors.js';
import { MAX_SUBJECT_LENGTH } from './identity.js';
import { grantOverlap } from './grant-overlap.js';
import type { Environment } from './environment.js';
import { identityFromEnvironment, type IdentitySettings } from './identity-config.js';
import type { RateLimitSettings } from './rate-limiter.js';
import { MAX_GROUP_NAME_LENGTH, groupPrefixProblem, type GroupSettings } from './groups.js';
import { MAX_SESSION_POLICY_CHARS, worstCaseSessionPolicyLength, type IotArnContext } from './scope.js';
import { DEFAULT_TOPIC_TEMPLATE, topicTemplateListProblem, usesGroups, type TopicTemplates } from './topic-templates.js';

export type { Environment } from './environment.js';

/** `METRICS_SERVICE`'s default: the `service` dimension of every metric (`metrics.ts`). */
export const DEFAULT_METRICS_SERVICE = 'aws-signv4-mqtt';
/** What a service name may be: safe in a dimension and in a JSON string without escaping. */
export const METRICS_SERVICE_PATTERN = /^[A-Za-z0-9_.:/@+=-]{1,255}$/;


/** Per-user scope: assume the client role per caller, narrowed by a session policy. */
export interface PerUserScope {
  /** Discriminates the scope kinds. */
  readonly kind: 'per-user';
  /** `CLIENT_ROLE_ARN`. */
  readonly roleArn: string;
  /** Partition, account and (signing) region of the IoT resource ARNs in session policies. */
  readonly arn: IotArnContext;
  /** `SESSION_DURATION_SECONDS`: how long each assumed session lasts. */
  readonly sessionDurationSeconds: number;
  /** `SESSION_CACHE_SIZE`: how many callers' sessions are kept. */
  readonly sessionCacheSize: number;
  /** The region of the STS client: the function's own (`AWS_REGION`), else the signing region. */
  readonly stsRegion: string;
}

/** Shared scope: every caller gets a URL signed with the function's own credentials. */
export interface SharedScope {
  /** Discriminates the scope kinds. */
  readonly kind: 'shared';
}

/** The parsed configuration. */
export interface VendingConfig {
  /**
   * The validated signing target (host, scheme, region, `X-Amz-Expires`); the signing date is left
   * unset and chosen per request.
   */
  readonly target: MqttUrlTarget;
  /** `URL_TTL_SECONDS`: validity of each URL. */
  readonly urlTtlSeconds: number;
  /**
   * `PUBLISH_TOPIC_TEMPLATES` and `SUBSCRIBE_TOPIC_TEMPLATES`, checked with the same rules as the
   * CDK construct applies (`topic-templates.ts`).
   */
  readonly templates: TopicTemplates;
  /** `GROUP_PREFIX` and `MAX_GROUPS`: which of the caller's groups `${group}` templates are filled with. */
  readonly groups: GroupSettings;
  /** `ALLOW_RETAIN`: whether publish grants include `iot:RetainPublish`. */
  readonly allowRetain: boolean;
  /** `USER_RATE_PER_SECOND` and `USER_RATE_BURST`: each caller's token bucket in this instance. */
  readonly rateLimit: RateLimitSettings;
  /** `METRICS_SERVICE`: the `service` dimension of every metric. */
  readonly metricsService: string;
  /** Per-user (`CLIENT_ROLE_ARN` set) or shared scope. */
  readonly scope: PerUserScope | SharedScope;
  /**
   * `IDENTITY_MODE` and its settings (`ISSUER_URL`, `AUDIENCES`, `PRINCIPAL_CLAIM`, `GROUPS_CLAIM`,
   * `JWKS_URI`): which issuer is trusted, and how the caller's principal and groups are read.
   */
  readonly identity: IdentitySettings;
}

// The limits and defaults below are the single source for the CDK side too (`lib/vending-settings.ts`,
// `lib/stack-context.ts`), so synth can never accept a value the function refuses at cold start.

/** Default of `URL_TTL_SECONDS`, in seconds. */
export const URL_TTL_DEFAULT = 300;
/** Smallest `URL_TTL_SECONDS`. */
export const URL_TTL_MIN = 1;
/** Largest `URL_TTL_SECONDS`: AWS IoT is reported to refuse URLs older than ~15 min. */
export const URL_TTL_MAX = 900;
/** Default of `SESSION_DURATION_SECONDS`, in seconds. */
export const SESSION_DURATION_DEFAULT = 3600;
/** Smallest `SESSION_DURATION_SECONDS`: STS's minimum session length. */
export const SESSION_DURATION_MIN = 900;
/** Largest `SESSION_DURATION_SECONDS`: role chaining caps sessions at one hour. */
export const SESSION_DURATION_MAX = 3600;
/** Default of `SESSION_CACHE_SIZE`. */
export const SESSION_CACHE_SIZE_DEFAULT = 10_000;
/** Smallest `SESSION_CACHE_SIZE`. */
export const SESSION_CACHE_SIZE_MIN = 1;
/** Largest `SESSION_CACHE_SIZE`. */
export const SESSION_CACHE_SIZE_MAX = 1_000_000;
/** Default of `MAX_GROUPS`. */
export const MAX_GROUPS_DEFAULT = 4;
/** Smallest `MAX_GROUPS`. */
export const MAX_GROUPS_MIN = 1;
/** Largest `MAX_GROUPS`: a session policy has room for few grants anyway (2,048 characters). */
export const MAX_GROUPS_MAX = 20;
/** Why a group prefix is refused when no template holds `${group}` (Lambda and construct alike). */
export const GROUP_PREFIX_WITHOUT_GROUP_TEMPLATE = 'only applies to ${group} templates, and no publish or subscribe template holds ${group}: remove it or add a ${group} template';
/** Default of `USER_RATE_PER_SECOND`: one vend per second per caller, sustained. */
export const USER_RATE_PER_SECOND_DEFAULT = 1;
/** Largest `USER_RATE_PER_SECOND`; 0 turns the limiter off. */
export const USER_RATE_PER_SECOND_MAX = 1000;
/** Default of `USER_RATE_BURST`. */
export const USER_RATE_BURST_DEFAULT = 5;
/** Smallest `USER_RATE_BURST`. */
export const USER_RATE_BURST_MIN = 1;
/** Largest `USER_RATE_BURST`. */
export const USER_RATE_BURST_MAX = 1000;
/** The environment's names for the two template lists, as refusals name them. */
const LIST_NAMES = { publish: 'PUBLISH_TOPIC_TEMPLATES', subscribe: 'SUBSCRIBE_TOPIC_TEMPLATES' } as const;
/**
 * A session is refreshed once less than the URL TTL plus this margin remains, so a URL never
 * outlives the credentials it was signed with.
 */
export const SESSION_REFRESH_MARGIN_SECONDS = 60;
// arn:<partition>:iam::<12-digit account>:role/<optional path/><name>
const ROLE_ARN = /^arn:(aws(?:-[a-z]+)*):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/**
 * Parses and validates the environment (see the table in the README).
 *
 * @param env the environment, normally `process.env`
 * @throws ConfigurationError naming the first variable at fault
 */
export function parseConfig(env: Environment): VendingConfig {
  const urlTtlSeconds = integerVariable(env, 'URL_TTL_SECONDS', URL_TTL_DEFAULT, URL_TTL_MIN, URL_TTL_MAX);
  const target = signingTarget(env, urlTtlSeconds);
  const templates: TopicTemplates = {
    publish: templatesVariable(env, LIST_NAMES.publish),
    subscribe: templatesVariable(env, LIST_NAMES.subscribe),
  };
  const overlap = grantOverlap(templates, LIST_NAMES);
  if (overlap !== undefined) throw new ConfigurationError(LIST_NAMES[overlap.reaching.list], overlap.explanation);
  const identity = identityFromEnvironment(env, usesGroups(templates));
  const groups: GroupSettings = {
    prefix: groupPrefixVariable(env, templates),
    max: integerVariable(env, 'MAX_GROUPS', MAX_GROUPS_DEFAULT, MAX_GROUPS_MIN, MAX_GROUPS_MAX),
  };
  const allowRetain = booleanVariable(env, 'ALLOW_RETAIN');
  const rateLimit: RateLimitSettings = {
    perSecond: rateVariable(env),
    burst: integerVariable(env, 'USER_RATE_BURST', USER_RATE_BURST_DEFAULT, USER_RATE_BURST_MIN, USER_RATE_BURST_MAX),
  };
  const metricsService = env['METRICS_SERVICE'] ?? DEFAULT_METRICS_SERVICE;
  if (!METRICS_SERVICE_PATTERN.test(metricsService)) {
    throw new ConfigurationError('METRICS_SERVICE', `must be 1-255 characters of A-Z a-z 0-9 _ . : / @ + = - (received ${describeValue(metricsService)})`);
  }
  const common = { target, urlTtlSeconds, templates, groups, allowRetain, rateLimit, metricsService, identity };
  const roleArn = env['CLIENT_ROLE_ARN'];
  if (roleArn === undefined) return { ...common, scope: { kind: 'shared' } };

  const roleMatch = ROLE_ARN.exec(roleArn);
  if (roleMatch === null) {
    throw new ConfigurationError('CLIENT_ROLE_ARN', `must be an IAM role ARN such as arn:aws:iam::123456789012:role/client, or unset for shared scope (received ${describeValue(roleArn)})`);
  }
  const arn: IotArnContext = { partition: roleMatch[1] ?? '', account: roleMatch[2] ?? '', region: target.region };
  const sessionDurationSeconds = integerVariable(env, 'SESSION_DURATION_SECONDS', SESSION_DURATION_DEFAULT, SESSION_DURATION_MIN, SESSION_DURATION_MAX);
  if (sessionDurationSeconds <= urlTtlSeconds + SESSION_REFRESH_MARGIN_SECONDS) {
    throw new ConfigurationError(
      'SESSION_DURATION_SECONDS',
      `must exceed URL_TTL_SECONDS + ${SESSION_REFRESH_MARGIN_SECONDS} (${urlTtlSeconds + SESSION_REFRESH_MARGIN_SECONDS}) so a session outlives the URLs signed with it (received ${sessionDurationSeconds})`,
    );
  }
  const sessionCacheSize = integerVariable(env, 'SESSION_CACHE_SIZE', SESSION_CACHE_SIZE_DEFAULT, SESSION_CACHE_SIZE_MIN, SESSION_CACHE_SIZE_MAX);
  const worst = worstCaseSessionPolicyLength(templates, arn, groups, allowRetain);
  const tooLong = sessionPolicyBudgetProblem(worst, templates, groups);
  if (tooLong !== undefined) throw new ConfigurationError(LIST_NAMES.publish, `with ${LIST_NAMES.subscribe}${tooLong}`);
  const stsRegion = env['AWS_REGION'] === undefined ? target.region : regionVariable(env, 'AWS_REGION');
  return {
    ...common,
    scope: { kind: 'per-user', roleArn, arn, sessionDurationSeconds, sessionCacheSize, stsRegion },
  };
}

/** {@link parseConfig} of `process.env`: the one place the function reads its environment. */
export function configFromProcessEnv(): VendingConfig {
  return parseConfig(process.env);
}

/**
 * `METRICS_SERVICE` for a function whose configuration was refused, so its 500s are still counted
 * under the deployment's own dimension; the default when the variable itself is unusable.
 */
export function metricsServiceFromProcessEnv(): string {
  const service = process.env['METRICS_SERVICE'];
  return service !== undefined && METRICS_SERVICE_PATTERN.test(service) ? service : DEFAULT_METRICS_SERVICE;
}

function signingTarget(env: Environment, urlTtlSeconds: number): MqttUrlTarget {
  const endpoint = env['IOT_ENDPOINT'];
  if (endpoint === undefined) {
    throw new ConfigurationError('IOT_ENDPOINT', 'is required: the AWS IoT data endpoint host, such as abc123-ats.iot.eu-west-1.amazonaws.com');
  }
  // The host is checked before a region is looked for in it, so a malformed one is reported as such.
  try {
    parseHost(endpoint, 'IOT_ENDPOINT');
  } catch (error) {
    throw new ConfigurationError('IOT_ENDPOINT', `must be a bare host[:port] (${(error as Error).message})`, { cause: error });
  }
  const named = regionFromIotEndpoint(endpoint);
  let region = named ?? (env['AWS_REGION'] === undefined ? undefined : regionVariable(env, 'AWS_REGION'));
  if (env['IOT_REGION'] !== undefined) {
    region = regionVariable(env, 'IOT_REGION');
    if (named !== undefined && named !== region) {
      throw new ConfigurationError('IOT_REGION', `must match the region IOT_ENDPOINT names (${named}) or be unset (received ${describeValue(region)})`);
    }
  }
  if (region === undefined) {
    throw new ConfigurationError('IOT_REGION', `is required when IOT_ENDPOINT names no region and AWS_REGION is unset (IOT_ENDPOINT is ${describeValue(endpoint)})`);
  }
  return resolveMqttUrlTarget({ host: endpoint, region, expiresIn: urlTtlSeconds });
}

function regionVariable(env: Environment, name: string): string {
  try {
    return validateRegion(env[name], name);
  } catch (error) {
    throw new ConfigurationError(name, `must be an AWS region such as eu-west-1 (received ${describeValue(env[name])})`, { cause: error });
  }
}

function integerVariable(env: Environment, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined) return fallback;
  const value = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new ConfigurationError(name, `must be a whole number of ${min}..${max} (received ${describeValue(text)})`);
  }
  return value;
}

function templatesVariable(env: Environment, name: string): string[] {
  const text = env[name];
  if (text === undefined) return [DEFAULT_TOPIC_TEMPLATE];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(name, `must be a JSON array of strings such as ["users/\${sub}/*"] (received ${describeValue(text)})`, { cause: error });
  }
  if (!Array.isArray(parsed)) {
    throw new ConfigurationError(name, `must be a JSON array of strings such as ["users/\${sub}/*"] (received ${describeValue(text)})`);
  }
  const found = topicTemplateListProblem(parsed);
  if (found?.index !== undefined) {
    throw new ConfigurationError(name, `entry ${found.index} ${found.problem} (received ${describeValue(parsed[found.index])})`);
  }
  if (found !== undefined) throw new ConfigurationError(name, `${found.problem} (received ${describeValue(text)})`);
  return parsed as string[];
}

/**
 * Why a worst-case session policy of `worst` characters is too long, phrased to follow the template
 * lists' names, with what to reduce; `undefined` when it fits STS's limit. Shared with the CDK
 * construct, so synth and cold start say the same. Without this check the failure would only show,
 * per request, for users with long subs or many groups.
 */
export function sessionPolicyBudgetProblem(worst: number, templates: TopicTemplates, groups: GroupSettings): string | undefined {
  if (worst <= MAX_SESSION_POLICY_CHARS) return undefined;
  const groupsPart = usesGroups(templates) ? `, ${groups.max} groups of up to ${MAX_GROUP_NAME_LENGTH} characters` : '';
  const reduce = usesGroups(templates) ? 'lower the maximum number of groups, or use fewer or shorter templates' : 'use fewer or shorter templates';
  return (
    ` makes session policies of up to ${worst} characters (subs of up to ${MAX_SUBJECT_LENGTH} characters${groupsPart}), over STS's ` +
    `${MAX_SESSION_POLICY_CHARS}: ${reduce} (a trailing * covers sub-topics)`
  );
}

function groupPrefixVariable(env: Environment, templates: TopicTemplates): string | undefined {
  const prefix = env['GROUP_PREFIX'];
  if (prefix === undefined || prefix === '') return undefined;
  const problem = groupPrefixProblem(prefix);
  if (problem !== undefined) throw new ConfigurationError('GROUP_PREFIX', `${problem}, or unset (received ${describeValue(prefix)})`);
  // A prefix without a ${group} template would select groups for nothing: surely a mistake.
  if (!usesGroups(templates)) throw new ConfigurationError('GROUP_PREFIX', `${GROUP_PREFIX_WITHOUT_GROUP_TEMPLATE} (received ${describeValue(prefix)})`);
  return prefix;
}

/** `USER_RATE_PER_SECOND`: a number of vends per second, 0 (off) to the maximum, decimals allowed. */
function rateVariable(env: Environment): number {
  const text = env['USER_RATE_PER_SECOND'];
  if (text === undefined) return USER_RATE_PER_SECOND_DEFAULT;
  // Any decimal number, in the exponent form too: the construct writes the prop with String(), which
  // renders 1e-7 so, and what synth accepts the function must accept.
  const value = /^\d+(\.\d+)?(e[-+]?\d+)?$/i.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 0 && value <= USER_RATE_PER_SECOND_MAX)) {
    throw new ConfigurationError('USER_RATE_PER_SECOND', `must be a number of vends per second from 0 (off) to ${USER_RATE_PER_SECOND_MAX}, such as 1 or 0.5 (received ${describeValue(text)})`);
  }
  return value;
}

function booleanVariable(env: Environment, name: string): boolean {
  const text = env[name];
  if (text === undefined || text === 'false') return false;
  if (text === 'true') return true;
  throw new ConfigurationError(name, `must be true or false (received ${describeValue(text)})`);
}
