/**
 * Reads the two vend answers' grants: where A's private test topic is (always below
 * `<A's private prefix>/aws-signv4-mqtt-verify/<run>`), which grants A and B share (group rooms,
 * shared topics), and whether the deployment keeps users apart at all (shared scope).
 */
import type { VendedMqttUrl } from '../../web/types.js';

/** The sub-topic every message verify publishes goes under. */
export const VERIFY_SUBTOPIC = 'aws-signv4-mqtt-verify';

/** The grants, worded for people: principals shown as `<A>` and `<B>`, never as IDs. */
export function describeTopic(topic: string, a: VendedMqttUrl, b: VendedMqttUrl): string {
  return topic
    .split('/')
    .map((level) => (level === a.principalId ? '<A>' : level === b.principalId ? '<B>' : level))
    .join('/');
}

function levelsOf(topic: string): readonly string[] {
  return topic.split('/');
}

/** The concrete topic for a grant ending in `/*`: the grant's prefix, the verify sub-topic, the run. */
function topicUnder(grant: string, runId: string): string {
  return `${grant.slice(0, -1)}${VERIFY_SUBTOPIC}/${runId}`;
}

/**
 * A's private test topic: under a grant that A may both publish to and subscribe to, that names A's
 * principal as a whole level and ends in `/*`.
 * @returns the topic and its grant, or `undefined` when A has no such grant
 */
export function privateTopicOf(vended: VendedMqttUrl, runId: string): { readonly grant: string; readonly topic: string } | undefined {
  const grant = vended.topics.publish.find(
    (candidate) => candidate.endsWith('/*') && vended.topics.subscribe.includes(candidate) && levelsOf(candidate).includes(vended.principalId),
  );
  return grant === undefined ? undefined : { grant, topic: topicUnder(grant, runId) };
}

/** Whether a grant names either principal (a private grant of one of them). */
function namesEither(grant: string, a: VendedMqttUrl, b: VendedMqttUrl): boolean {
  const levels = levelsOf(grant);
  return levels.includes(a.principalId) || levels.includes(b.principalId);
}

/** What A and B share by design. */
export interface CommonGrants {
  /** Grants in both users' publish or both users' subscribe lists that name neither of them. */
  readonly grants: readonly string[];
  /** A topic A may subscribe to and B publish to, for `--include-shared`'s round trip, when there is one. */
  readonly roundTrip: { readonly grant: string; readonly topic: string } | undefined;
}

/** The grants both users hold (group rooms of a common group, shared topics). */
export function commonGrants(a: VendedMqttUrl, b: VendedMqttUrl, runId: string): CommonGrants {
  const shared = (left: readonly string[], right: readonly string[]): string[] => left.filter((grant) => right.includes(grant) && !namesEither(grant, a, b));
  const grants = [...new Set([...shared(a.topics.publish, b.topics.publish), ...shared(a.topics.subscribe, b.topics.subscribe)])];
  const grant = a.topics.subscribe.find((candidate) => candidate.endsWith('/*') && b.topics.publish.includes(candidate) && !namesEither(candidate, a, b));
  return { grants, roundTrip: grant === undefined ? undefined : { grant, topic: topicUnder(grant, runId) } };
}

/** Why a deployment keeps no user apart, or `undefined` when nothing says so. */
export function sharedScopeEvidence(a: VendedMqttUrl, b: VendedMqttUrl): string | undefined {
  const keyOf = (vended: VendedMqttUrl): string | undefined => new URL(vended.url).searchParams.get('X-Amz-Credential')?.split('/')[0];
  const keyA = keyOf(a);
  if (keyA !== undefined && keyA !== '' && keyA === keyOf(b)) {
    return "both users' URLs are signed with the same credentials (the function's own role): shared scope gives every signed-in user the whole namespace";
  }
  const same = (left: readonly string[], right: readonly string[]): boolean => left.length === right.length && left.every((grant) => right.includes(grant));
  const all = [...a.topics.publish, ...a.topics.subscribe];
  if (all.length > 0 && same(a.topics.publish, b.topics.publish) && same(a.topics.subscribe, b.topics.subscribe) && !all.some((grant) => namesEither(grant, a, b))) {
    return 'both users get the same unsubstituted grants, naming neither of them: no topic is private to one user';
  }
  return undefined;
}
