/**
 * A caller's MQTT scope, derived from its `sub` alone: client ID, topics, the STS session policy
 * that confines the assumed role to them, and the STS session name. Pure functions.
 *
 * Session policies intersect with the client role's own policy, so they can only narrow it:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
 */
import { createHash } from 'node:crypto';
import { InvalidRequestError } from './errors.js';

/** The placeholder that topic templates must contain; replaced by the caller's `sub`. */
export const SUB_PLACEHOLDER = '${sub}';

/** STS refuses session policies longer than this many characters (plain text, before packing). */
export const MAX_SESSION_POLICY_CHARS = 2048;

/** The MQTT topic templates, each containing {@link SUB_PLACEHOLDER}. */
export interface TopicTemplates {
  /** Topics the caller may publish to. */
  readonly publish: readonly string[];
  /** Topics (and filters) the caller may subscribe to and receive from. */
  readonly subscribe: readonly string[];
}

/** The parts of an AWS IoT ARN that do not depend on the caller. */
export interface IotArnContext {
  /** `aws`, `aws-cn`, `aws-us-gov`, … taken from the client role's ARN. */
  readonly partition: string;
  /** The signing region: the IoT endpoint's. */
  readonly region: string;
  /** The IoT endpoint's account, taken from the client role's ARN. */
  readonly account: string;
}

/** The caller's topics, templates with the `sub` substituted. */
export interface CallerTopics {
  readonly publish: string[];
  readonly subscribe: string[];
}

// 1–32 characters that are safe in a client ID, an ARN and a log line.
const CLIENT_SUFFIX = /^[A-Za-z0-9_-]{1,32}$/;
// STS RoleSessionName: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
const SESSION_NAME_MAX = 64;
const SESSION_NAME_UNSAFE = /[^\w+=,.@-]/g;

/**
 * Validates the optional `clientSuffix` query parameter.
 *
 * @param raw the parameter as API Gateway passed it (repeated parameters arrive comma-joined, and are
 *   refused because `,` is not allowed)
 * @returns the suffix, or `undefined` when the parameter is absent
 * @throws InvalidRequestError when present but not 1–32 of `A-Z a-z 0-9 _ -`
 */
export function parseClientSuffix(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!CLIENT_SUFFIX.test(raw)) {
    throw new InvalidRequestError('clientSuffix', 'clientSuffix must be 1-32 characters of A-Z a-z 0-9 _ -');
  }
  return raw;
}

/** The MQTT client ID: the `sub`, then `-<suffix>` when a suffix was asked for. */
export function clientIdFor(sub: string, suffix: string | undefined): string {
  return suffix === undefined ? sub : `${sub}-${suffix}`;
}

/** Replaces every {@link SUB_PLACEHOLDER} in a template. */
export function substituteSub(template: string, sub: string): string {
  return template.replaceAll(SUB_PLACEHOLDER, sub);
}

/** The caller's topics: every template with its `sub` substituted, in template order. */
export function topicsFor(templates: TopicTemplates, sub: string): CallerTopics {
  return {
    publish: templates.publish.map((template) => substituteSub(template, sub)),
    subscribe: templates.subscribe.map((template) => substituteSub(template, sub)),
  };
}

/**
 * The session policy that confines an assumed client role to one `sub`, as compact JSON:
 * `iot:Connect` on `client/<sub>` and `client/<sub>-*`; `iot:Publish` on `topic/<each publish
 * template>`; `iot:Receive` on `topic/<each subscribe template>` (delivery is what a subscription
 * is for; publishing needs no Receive); `iot:Subscribe` on `topicfilter/<each subscribe template>`. MQTT's `+` and `#` are literal in IAM, and `*` is IAM's wildcard, which is how
 * templates express "any sub-topic" (see
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-action-resources.html).
 *
 * @param sub a `sub` already validated by `subjectFromClaims`
 */
export function sessionPolicyFor(sub: string, templates: TopicTemplates, arn: IotArnContext): string {
  const prefix = `arn:${arn.partition}:iot:${arn.region}:${arn.account}:`;
  const resources = (kind: string, list: readonly string[]) => unique(list).map((t) => `${prefix}${kind}/${substituteSub(t, sub)}`);
  const statements: object[] = [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: [`${prefix}client/${sub}`, `${prefix}client/${sub}-*`] },
  ];
  if (templates.publish.length > 0) statements.push({ Effect: 'Allow', Action: 'iot:Publish', Resource: resources('topic', templates.publish) });
  if (templates.subscribe.length > 0) {
    statements.push({ Effect: 'Allow', Action: 'iot:Receive', Resource: resources('topic', templates.subscribe) });
    statements.push({ Effect: 'Allow', Action: 'iot:Subscribe', Resource: resources('topicfilter', templates.subscribe) });
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/**
 * The STS `RoleSessionName` for a `sub`, so CloudTrail names the user. A `sub` that already fits
 * `[\w+=,.@-]{2,64}` is used as is (every Cognito sub does); any other is cleaned and truncated, then
 * suffixed with 8 hex digits of its SHA-256 so different subs keep different names.
 */
export function roleSessionNameFor(sub: string): string {
  const cleaned = sub.replace(SESSION_NAME_UNSAFE, '.');
  if (cleaned === sub && sub.length >= 2 && sub.length <= SESSION_NAME_MAX) return sub;
  const digest = createHash('sha256').update(sub).digest('hex').slice(0, 8);
  return `${cleaned.slice(0, SESSION_NAME_MAX - digest.length - 1)}.${digest}`;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
