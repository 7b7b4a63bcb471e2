/**
 * What the page makes of the `topics` a vended URL lists: which kind of grant each one is, and which
 * MQTT filter and topic to offer for it. Pure (no DOM), so the rules are easy to read in one place.
 *
 * The API lists grants with every variable already filled in (`users/<principal>/*`,
 * `rooms/team-a/*`, `lobby/*`), so the page infers the kind back from the signed-in user's own
 * principal (the Cognito `sub`, or with another OIDC issuer the principal ID) and groups:
 * - a topic with the user's principal as a level is the **private namespace**;
 * - one with one of the user's groups (`cognito:groups`, or the issuer's groups claim) as a level
 *   is a **group room**;
 * - any other is **shared** by every signed-in user; a shared one the user may subscribe to but
 *   not publish to is a **read-only feed** (such as a device's telemetry).
 * The inference is for display only: AWS IoT (or the local gateway) decides what is allowed.
 */
import type { VendedTopics } from '../types.js';

/** The kinds of grant the page shows, in display order. */
export type GrantKind = 'private' | 'group' | 'shared' | 'read-only';

/** Every {@link GrantKind}, in display order. */
export const GRANT_KINDS: readonly GrantKind[] = ['private', 'group', 'shared', 'read-only'];

/** One granted topic pattern, as the page shows it. */
export interface GrantView {
  /** The pattern as the API listed it (IAM syntax: `*` is the wildcard). */
  readonly pattern: string;
  /** Which kind of grant it is (see the module comment). */
  readonly kind: GrantKind;
  /** The group it belongs to, for a group room. */
  readonly group: string | undefined;
  /** Whether the user may publish there. */
  readonly publish: boolean;
  /** Whether the user may subscribe (and receive) there. */
  readonly subscribe: boolean;
  /** The MQTT filter to subscribe with, or `undefined` when the pattern has no MQTT equivalent. */
  readonly filter: string | undefined;
  /** A topic to suggest for publishing, or `undefined` when publishing is not granted. */
  readonly sampleTopic: string | undefined;
}

/** Who is signed in: what the kinds are inferred from. */
export interface GrantOwner {
  /** What `${sub}` stands for: the token's `sub` with Cognito, the principal ID with another issuer. */
  readonly sub: string;
  /** The token's groups, `cognito:groups` or the issuer's groups claim (empty when it has none). */
  readonly groups: readonly string[];
}

/**
 * The MQTT filter equivalent to an IAM topic pattern: a `*` level becomes `+`, or `#` when it is the
 * last level (IAM's `*` spans levels, which only `#` does at the end). A `*` inside a level has no
 * MQTT equivalent.
 */
export function mqttFilterFor(pattern: string): string | undefined {
  const levels = pattern.split('/');
  if (levels.some((level) => level !== '*' && level.includes('*'))) return undefined;
  return levels.map((level, index) => (level !== '*' ? level : index === levels.length - 1 ? '#' : '+')).join('/');
}

/** A topic inside the pattern to suggest for publishing: `*` levels become `chat`. */
export function sampleTopicFor(pattern: string): string {
  return pattern
    .split('/')
    .map((level) => (level === '*' ? 'chat' : level.replaceAll('*', '')))
    .join('/');
}

/** Whether an IAM pattern (`*` any run of characters, `?` one character) matches a whole topic. */
export function patternMatches(pattern: string, topic: string): boolean {
  const source = [...pattern].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.+()[\]{}|-]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 's').test(topic);
}

function kindOf(pattern: string, owner: GrantOwner, publish: boolean): { kind: GrantKind; group: string | undefined } {
  const levels = pattern.split('/');
  if (levels.includes(owner.sub)) return { kind: 'private', group: undefined };
  const group = owner.groups.find((name) => levels.includes(name));
  if (group !== undefined) return { kind: 'group', group };
  return { kind: publish ? 'shared' : 'read-only', group: undefined };
}

/** Every granted pattern once, with its kind, in the API's order within {@link GRANT_KINDS} order. */
export function describeGrants(topics: VendedTopics, owner: GrantOwner): GrantView[] {
  const patterns = [...new Set([...topics.publish, ...topics.subscribe])];
  const views = patterns.map((pattern): GrantView => {
    const publish = topics.publish.includes(pattern);
    const subscribe = topics.subscribe.includes(pattern);
    return {
      pattern,
      ...kindOf(pattern, owner, publish),
      publish,
      subscribe,
      filter: subscribe ? mqttFilterFor(pattern) : undefined,
      sampleTopic: publish ? sampleTopicFor(pattern) : undefined,
    };
  });
  return GRANT_KINDS.flatMap((kind) => views.filter((view) => view.kind === kind));
}

/** Whether a received topic belongs to one of the read-only feeds (shown apart from the chat log). */
export function isReadOnlyFeed(grants: readonly GrantView[], topic: string): boolean {
  return grants.some((grant) => grant.kind === 'read-only' && patternMatches(grant.pattern, topic));
}

/** Whether any granted publish pattern covers the topic. */
export function mayPublish(grants: readonly GrantView[], topic: string): boolean {
  return grants.some((grant) => grant.publish && patternMatches(grant.pattern, topic));
}

/**
 * Whether any granted subscribe pattern covers the filter, read as AWS IoT reads it: the filter's
 * `+` and `#` are literal characters matched against the pattern (`topicfilter/<filter>`).
 */
export function maySubscribe(grants: readonly GrantView[], filter: string): boolean {
  return grants.some((grant) => grant.subscribe && patternMatches(grant.pattern, filter));
}
