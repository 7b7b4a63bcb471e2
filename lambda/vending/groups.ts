/**
 * The caller's groups → the eligible group names that `${group}` templates are filled with. Pure.
 * Two sources:
 *
 * - **The authorizer's claims** (Cognito mode: `cognito:groups`, or `GROUPS_CLAIM`). API Gateway
 *   HTTP APIs (payload format 2.0) hand every JWT claim to the integration as a string, and format an
 *   array claim the way Go prints a slice: `"[team-a team-b]"`, space-separated, unquoted.
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 *   Other paths (tests, a direct invoke) may pass a real JSON array, which is accepted too. A string is
 *   never JSON-parsed: Cognito group names may hold `"`, `,`, `[` and `]`, so one group named
 *   `"team-a","team-b"` arrives as `["team-a","team-b"]`, which a JSON reading would turn into two
 *   groups the user is not in. Read as payload 2.0 it is one name with quotes: never eligible.
 * - **A token the Lambda verified itself** (issuer mode, `verified-groups.ts`): the claim's JSON value,
 *   an array of names or one name. Nothing is split, so a name with a space stays one (ineligible) name.
 */
import { LruMap } from '../signing/lru-map.js';
import { TooManyGroupsError } from './errors.js';

/** The claim Cognito user pools put the user's groups in. */
export const GROUPS_CLAIM = 'cognito:groups';

/**
 * The longest eligible group name. Cognito allows 128 characters
 * (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateGroup.html),
 * but every eligible group adds its name to several resources of the caller's session policy, whose
 * worst case must fit STS's 2,048 characters: with 128-character names, four groups and one
 * `${group}` template in both lists already overflow it. 40 holds a UUID with a short prefix
 * (`org-<uuid>`) and keeps that typical setting (private, group, shared and read-only templates,
 * four groups, retained messages on) within budget in every partition. Longer names are left out
 * and counted, like any ineligible group.
 */
export const MAX_GROUP_NAME_LENGTH = 40;

/**
 * The names a group may have to be eligible: the characters a `sub` may hold (see `SUBJECT_PATTERN`
 * in `identity.ts`), for the same reasons: a group name goes into an IAM ARN (`*` and `?` are
 * wildcards), an MQTT topic level (`+`, `#`, `/`), a policy (`$` could start a variable) and a log
 * line (white space, controls). Cognito allows more (any letter, mark, symbol or punctuation); such
 * groups are left out, never escaped, since an escaped name could equal another group's real one.
 */
export const GROUP_NAME_PATTERN = new RegExp(`^[A-Za-z0-9_.:@-]{1,${MAX_GROUP_NAME_LENGTH}}$`);

/** Longest group prefix: one character shorter than a name, so a name fits after it. */
export const GROUP_PREFIX_MAX_LENGTH = MAX_GROUP_NAME_LENGTH - 1;

const GROUP_PREFIX_PATTERN = new RegExp(`^[A-Za-z0-9_.:@-]{1,${GROUP_PREFIX_MAX_LENGTH}}$`);

/**
 * Why a group prefix is unusable, or `undefined` when it is fine; phrased to follow the setting's
 * name. The Lambda (`GROUP_PREFIX`) and the construct (`groupPrefix`) both apply it.
 */
export function groupPrefixProblem(prefix: unknown): string | undefined {
  if (typeof prefix === 'string' && GROUP_PREFIX_PATTERN.test(prefix)) return undefined;
  return `must be 1-${GROUP_PREFIX_MAX_LENGTH} characters of A-Z a-z 0-9 _ . : @ -, the start of eligible group names`;
}

/** The deployment's group settings (`GROUP_PREFIX`, `MAX_GROUPS`). */
export interface GroupSettings {
  /** Only groups whose names start with this are eligible; `undefined` for every group. */
  readonly prefix: string | undefined;
  /** The most eligible groups a caller may have; more is refused (403 `too_many_groups`). */
  readonly max: number;
}

/** The caller's eligible groups, and how many of its groups were left out. */
export interface CallerGroups {
  /** Eligible names, sorted, without repeats: the order of the grants and of the cache key. */
  readonly eligible: readonly string[];
  /** How many groups of the claim were not eligible (for the request log). */
  readonly ineligible: number;
  /**
   * Whether the token had Entra ID's groups overage form (no groups claim, `_claim_names` naming it),
   * so the caller got no groups (for the request log); absent otherwise.
   */
  readonly overage?: boolean;
}

// Stands for a claim entry that is not a string: it fails GROUP_NAME_PATTERN, which needs a character.
// Stryker disable next-line StringLiteral: any string outside GROUP_NAME_PATTERN would do; '' is simply the shortest
const NEVER_ELIGIBLE = '';
const NO_GROUPS: CallerGroups = Object.freeze({ eligible: Object.freeze([]) as readonly string[], ineligible: 0 });

/**
 * The eligible groups of a caller's claims.
 *
 * @param claims the JWT authorizer's claims (already known to be an object with a usable `sub`)
 * @param claim the claim holding the groups (`GROUPS_CLAIM`)
 * @throws TooManyGroupsError when more than `settings.max` groups are eligible (HTTP 403)
 */
export function groupsFromClaims(claims: Readonly<Record<string, unknown>>, settings: GroupSettings, claim: string = GROUPS_CLAIM): CallerGroups {
  return eligibleGroups(groupNames(claims[claim]), settings);
}

/**
 * The eligible groups of a claim value from a verified token's JSON payload: `undefined` or `null`
 * (no groups), an array of names, or one name. Entries that are not strings, and any other value,
 * count as one name that is never eligible.
 *
 * @throws TooManyGroupsError when more than `settings.max` groups are eligible (HTTP 403)
 */
export function groupsFromVerifiedValue(value: unknown, settings: GroupSettings): CallerGroups {
  if (value === undefined || value === null) return NO_GROUPS;
  if (Array.isArray(value)) return eligibleGroups(value.map((entry) => (typeof entry === 'string' ? entry : NEVER_ELIGIBLE)), settings);
  return eligibleGroups([typeof value === 'string' ? value : NEVER_ELIGIBLE], settings);
}

function eligibleGroups(names: readonly string[], settings: GroupSettings): CallerGroups {
  if (names.length === 0) return NO_GROUPS;
  const kept = names.filter((name) => isEligible(name, settings.prefix));
  const eligible = [...new Set(kept)].sort();
  if (eligible.length > settings.max) {
    throw new TooManyGroupsError(`the caller has ${eligible.length} eligible groups, more than MAX_GROUPS (${settings.max})`, settings.max);
  }
  return { eligible, ineligible: names.length - kept.length };
}

/** How many distinct `cognito:groups` strings {@link createGroupReader} remembers. */
export const GROUP_CLAIM_MEMO_SIZE = 1024;

/**
 * {@link groupsFromClaims} for one deployment's settings, remembering the answer for each claim
 * string (payload 2.0 delivers the claim as one string): a signed-in user sends the same string on
 * every vend, and parsing it again would cost more than the rest of a warm request's bookkeeping.
 * Refusals are not remembered; they are rare and each must raise its own error.
 */
export function createGroupReader(settings: GroupSettings, claim: string = GROUPS_CLAIM): (claims: Readonly<Record<string, unknown>>) => CallerGroups {
  const memo = new LruMap<string, CallerGroups>(GROUP_CLAIM_MEMO_SIZE);
  return (claims) => {
    const raw = claims[claim];
    if (typeof raw !== 'string') return groupsFromClaims(claims, settings, claim);
    const known = memo.get(raw);
    if (known !== undefined) return known;
    const groups = groupsFromClaims(claims, settings, claim);
    memo.set(raw, groups);
    return groups;
  };
}

/** Whether a group name may be granted topics (see {@link GROUP_NAME_PATTERN}). */
export function isEligible(name: string, prefix: string | undefined): boolean {
  return GROUP_NAME_PATTERN.test(name) && (prefix === undefined || name.startsWith(prefix));
}

/**
 * The group names in a claim value: `undefined` (no groups), a JSON array, or a string holding
 * payload 2.0's `[a b]` (never JSON, see the module comment). Anything that is not a string counts as one name that is
 * never eligible (`''`).
 */
function groupNames(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((entry) => (typeof entry === 'string' ? entry : NEVER_ELIGIBLE));
  if (typeof value !== 'string') return [NEVER_ELIGIBLE];
  const text = value.trim();
  // Payload 2.0: "[a b]"; a bare "a" is one group. Brackets and spaces are never in an eligible name,
  // so splitting on them cannot join or cut eligible names wrongly.
  const inner = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return inner.split(' ').filter((name) => name !== '');
}
