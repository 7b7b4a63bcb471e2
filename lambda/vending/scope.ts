/**
 * A caller's MQTT scope, derived from its `sub` and eligible groups: its client ID, and the STS
 * session policy that confines the assumed client role to its client IDs and granted topics. Pure functions (no `node:`
 * imports), so the CDK construct checks its settings with the very code the Lambda runs.
 *
 * Session policies intersect with the client role's own policy, so they can only narrow it:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
 */
import { InvalidRequestError } from './errors.js';
import { MAX_GROUP_NAME_LENGTH, type GroupSettings } from './groups.js';
import { MAX_SUBJECT_LENGTH, isUuidSubject } from './identity.js';
import { grantedTopics, type Grantee, type TopicTemplates } from './topic-templates.js';

/** STS refuses session policies longer than this many characters (plain text, before packing). */
export const MAX_SESSION_POLICY_CHARS = 2048;

/** The parts of an AWS IoT ARN that do not depend on the caller. */
export interface IotArnContext {
  /** `aws`, `aws-cn`, `aws-us-gov`, … taken from the client role's ARN. */
  readonly partition: string;
  /** The signing region: the IoT endpoint's. */
  readonly region: string;
  /** The IoT endpoint's account, taken from the client role's ARN. */
  readonly account: string;
}

// Any UUID has the same length; this one only has to be one.
const WORST_CASE_UUID = '00000000-0000-0000-0000-000000000000';
// 1–32 characters that are safe in a client ID, an ARN and a log line.
const CLIENT_SUFFIX = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * THE rule for which MQTT client IDs a `sub` may connect as, as AWS IoT resource names
 * (`client/<id>`): every other piece of code (the session policy, {@link clientIdFor}) follows it.
 *
 * - A UUID `sub` (Cognito's form, always 36 characters) gets `client/<sub>` and `client/<sub>-*`,
 *   so one user can hold several connections (`<sub>-<suffix>`).
 * - Any other `sub` gets `client/<sub>` only, exactly.
 *
 * Why no user can connect as another's client ID (which would kick that user off):
 * - Exact grants match one ID each, and subs are distinct, so two exact grants never collide.
 * - `client/<A>-*`, for a UUID `A`, matches exactly the IDs that start with the 37 characters `A-`.
 *   Another UUID `B` (36 characters) cannot start with them; `B-<suffix>` starts with them only if
 *   its first 36 characters, `B`, equal `A`. A non-UUID `sub` that starts with `<uuid>-` is refused
 *   (403) by `subjectFromClaims`, so no user holds an exact grant that a `-*` grant reaches.
 * - Subs cannot hold `*` or `?` (see `SUBJECT_PATTERN`), so `<sub>` is never itself a wildcard.
 * Without the fixed length this fails: subs `a` and `a-b` would let `a` connect as `a-b`.
 *
 * @param sub a `sub` already validated by `subjectFromClaims`
 */
export function connectResourcesFor(sub: string): string[] {
  return suffixesAllowedFor(sub) ? [`client/${sub}`, `client/${sub}-*`] : [`client/${sub}`];
}

// The one place that decides whether `<sub>-*` is granted; connectResourcesFor and clientIdFor agree through it.
function suffixesAllowedFor(sub: string): boolean {
  return isUuidSubject(sub);
}

/**
 * Validates the optional `clientSuffix` query parameter.
 *
 * @param raw the parameter as API Gateway passed it (repeated parameters arrive comma-joined, and are
 *   refused because `,` is not allowed)
 * @returns the suffix, or `undefined` when the parameter is absent
 * @throws InvalidRequestError when present but not 1–32 of `A-Z a-z 0-9 _ -`
 */
export function parseClientSuffix(raw: string | undefined): string | undefined {
  // An absent parameter (undefined) passes; a present one must match.
  if (raw?.match(CLIENT_SUFFIX) === null) {
    throw new InvalidRequestError('clientSuffix', 'clientSuffix must be 1-32 characters of A-Z a-z 0-9 _ -');
  }
  return raw;
}

/**
 * The MQTT client ID: the `sub`, then `-<suffix>` when a suffix was asked for. Always an ID that
 * {@link connectResourcesFor} grants.
 *
 * @param sub a `sub` already validated by `subjectFromClaims`
 * @param suffix a suffix already validated by {@link parseClientSuffix}
 * @throws InvalidRequestError when a suffix is asked for but the `sub` is not a UUID: suffixes need
 *   a fixed-length subject (see {@link connectResourcesFor})
 */
export function clientIdFor(sub: string, suffix: string | undefined): string {
  if (suffix === undefined) return sub;
  if (!suffixesAllowedFor(sub)) {
    throw new InvalidRequestError(
      'clientSuffix',
      'clientSuffix is only available to users whose sub is a UUID (as Cognito issues): suffixed client IDs need a fixed-length sub; connect without clientSuffix, as the client ID <sub>',
    );
  }
  return `${sub}-${suffix}`;
}

/** The IoT actions a session policy grants on topics, in the order statements list them. */
type TopicAction = 'iot:Publish' | 'iot:RetainPublish' | 'iot:Receive';

/**
 * The session policy that confines an assumed client role to one caller, as compact JSON:
 * `iot:Connect` on {@link connectResourcesFor}; on `topic/<each granted publish topic>`
 * `iot:Publish` (and `iot:RetainPublish` when retained messages are allowed); `iot:Receive` on
 * `topic/<each granted subscribe topic>` and `iot:Subscribe` on `topicfilter/<the same>`. The
 * granted topics are the templates filled in for the caller (`grantedTopics`: private ones with its
 * `sub`, group ones once per eligible group, shared ones as written).
 *
 * Publish and Receive deliberately do not cover both lists (as the design first had it): delivery is
 * what a subscription is for, and publishing needs no Receive, so each action gets only the list it
 * needs (least privilege). Topics that get the same actions share one statement, which keeps the
 * common case (one list for both) well inside STS's 2,048 characters. A statement left without
 * resources (group templates only, and no groups) is left out, since IAM refuses an empty Resource.
 * MQTT's `+` and `#` are literal in IAM, and `*` is IAM's wildcard, which is how templates express
 * "any sub-topic" (see https://docs.aws.amazon.com/iot/latest/developerguide/iot-action-resources.html).
 *
 * @param grantee a `sub` validated by `subjectFromClaims` and its eligible groups (`groupsFromClaims`)
 */
export function sessionPolicyFor(grantee: Grantee, templates: TopicTemplates, arn: IotArnContext, allowRetain: boolean): string {
  const prefix = `arn:${arn.partition}:iot:${arn.region}:${arn.account}:`;
  const publish = grantedTopics(templates.publish, grantee);
  const subscribe = grantedTopics(templates.subscribe, grantee);
  const actions = new Map<string, TopicAction[]>();
  const grant = (topics: readonly string[], granted: readonly TopicAction[]): void => {
    for (const topic of topics) actions.set(topic, [...(actions.get(topic) ?? []), ...granted]);
  };
  grant(publish, allowRetain ? ['iot:Publish', 'iot:RetainPublish'] : ['iot:Publish']);
  grant(subscribe, ['iot:Receive']);
  const byActions = new Map<string, { Effect: 'Allow'; Action: TopicAction[] | TopicAction; Resource: string[] }>();
  for (const [topic, granted] of actions) {
    // Stryker disable next-line StringLiteral: the key only groups topics by their list of actions, and action names hold no separator, so any separator (or none) keeps the keys distinct
    const key = granted.join(',');
    let statement = byActions.get(key);
    if (statement === undefined) {
      statement = { Effect: 'Allow', Action: granted.length === 1 ? (granted[0] as TopicAction) : granted, Resource: [] };
      byActions.set(key, statement);
    }
    statement.Resource.push(`${prefix}topic/${topic}`);
  }
  const statements: object[] = [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: connectResourcesFor(grantee.sub).map((name) => `${prefix}${name}`) },
    ...byActions.values(),
  ];
  if (subscribe.length > 0) statements.push({ Effect: 'Allow', Action: 'iot:Subscribe', Resource: subscribe.map((filter) => `${prefix}topicfilter/${filter}`) });
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/**
 * The length of the longest session policy {@link sessionPolicyFor} can build for `templates`:
 * allowed `sub` and group characters need no JSON escaping, so the longest `sub`
 * ({@link MAX_SUBJECT_LENGTH} characters) with `groups.max` distinct groups of the longest eligible
 * name ({@link MAX_GROUP_NAME_LENGTH} characters) is the worst case,
 * unless a UUID `sub`'s extra `client/<sub>-*` grant outweighs the long `sub` (it can, with a long
 * enough ARN prefix: the grant repeats the prefix), so both are measured. The Lambda (at cold start)
 * and the CDK construct (at synth, with the longest partition and region) both compare it with
 * {@link MAX_SESSION_POLICY_CHARS}.
 */
export function worstCaseSessionPolicyLength(templates: TopicTemplates, arn: IotArnContext, groups: GroupSettings, allowRetain: boolean): number {
  // Without `${group}` templates the groups fill nothing in, so passing them changes nothing.
  const names = longestGroupNames(groups);
  const longest = sessionPolicyFor({ sub: 'x'.repeat(MAX_SUBJECT_LENGTH), groups: names }, templates, arn, allowRetain).length;
  const uuid = sessionPolicyFor({ sub: WORST_CASE_UUID, groups: names }, templates, arn, allowRetain).length;
  return Math.max(longest, uuid);
}

/**
 * `groups.max` distinct names of the greatest eligible length. Only their length counts: eligible
 * characters need no JSON escaping, so any such names (with the deployment's prefix or not) give a
 * policy of the same length.
 */
function longestGroupNames(groups: GroupSettings): string[] {
  return Array.from({ length: groups.max }, (_, index) => {
    const tail = String(index);
    return 'g'.repeat(MAX_GROUP_NAME_LENGTH - tail.length) + tail;
  });
}
