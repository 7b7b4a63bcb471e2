/**
 * Who is in which Cognito group in the local user pool.
 *
 * A deployed user pool gets its groups from an administrator (`aws cognito-idp admin-add-user-to-group`);
 * the local pool has no users to administer (any username signs in), so membership is a plain map
 * from username to group names, given when the stack starts:
 *
 * - `startLocalStack({ userGroups })`, default {@link DEMO_USER_GROUPS}: `alice` and `bob` in
 *   `team-a`, `carol` in `team-b`, everybody else in no group;
 * - `npm run dev` reads it from `LOCAL_USER_GROUPS`, a JSON object such as
 *   `{"alice":["team-a","ops"],"dave":["team-b"]}` (it replaces the default map; `{}` puts nobody in
 *   any group).
 *
 * Usernames match as they sign in, case-insensitively (`Alice` is alice). Group names follow
 * Cognito's own rule, which is wider than what the vending Lambda grants topics for: a group such as
 * `team a/b` is accepted here, as Cognito would, and the Lambda leaves it out. The pool then puts the
 * user's groups in the `cognito:groups` claim of its tokens, as Cognito does (see `cognito.ts`).
 */
import { describeValue } from '../lambda/signing/errors.js';
import { canonicalUsername, COGNITO_NAME_PATTERN } from './usernames.js';

/** Group names by username, in the order they go into `cognito:groups`. */
export type UserGroups = Readonly<Record<string, readonly string[]>>;

/** The demo's membership: `alice` and `bob` share `team-a`, `carol` is alone in `team-b`. */
export const DEMO_USER_GROUPS: UserGroups = Object.freeze({
  alice: Object.freeze(['team-a']),
  bob: Object.freeze(['team-a']),
  carol: Object.freeze(['team-b']),
});

/** Cognito's quota: a user can belong to at most 100 groups. */
export const MAX_GROUPS_PER_USER = 100;

const EXAMPLE = '{"alice":["team-a"]}';

/** A membership map that Cognito could not hold; `setting` names where it came from. */
export class UserGroupsError extends Error {
  override readonly name = 'UserGroupsError';

  /**
   * @param setting the option or environment variable at fault, e.g. `LOCAL_USER_GROUPS`
   * @param message what is wrong, starting with the setting's name
   */
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A validated membership map, looked up by username as users sign in. */
export class GroupDirectory {
  readonly #groups: ReadonlyMap<string, readonly string[]>;

  private constructor(groups: ReadonlyMap<string, readonly string[]>) {
    this.#groups = groups;
  }

  /**
   * Validates a membership map: an object whose keys are Cognito usernames (two spellings of one
   * user are refused) and whose values are arrays of at most {@link MAX_GROUPS_PER_USER} distinct
   * Cognito group names.
   * @param setting how errors name the map, e.g. `userGroups` or `LOCAL_USER_GROUPS`
   * @throws UserGroupsError naming the setting, the user and the value at fault
   */
  static from(value: unknown, setting: string): GroupDirectory {
    if (!isRecord(value)) {
      throw new UserGroupsError(setting, `${setting} must map usernames to arrays of group names, such as ${EXAMPLE} (received ${describeValue(value)})`);
    }
    const groups = new Map<string, readonly string[]>();
    const spelledAs = new Map<string, string>();
    for (const [username, list] of Object.entries(value)) {
      const where = `${setting}[${JSON.stringify(username)}]`;
      if (!COGNITO_NAME_PATTERN.test(username)) {
        throw new UserGroupsError(setting, `${setting} has a key that is not a Cognito username (1 to 128 letters, marks, symbols, digits or punctuation, no white space): ${describeValue(username)}`);
      }
      const canonical = canonicalUsername(username);
      const earlier = spelledAs.get(canonical);
      if (earlier !== undefined) {
        throw new UserGroupsError(setting, `${setting} lists ${JSON.stringify(earlier)} and ${JSON.stringify(username)}, which are the same user (usernames are case-insensitive)`);
      }
      spelledAs.set(canonical, username);
      if (!Array.isArray(list)) throw new UserGroupsError(setting, `${where} must be an array of group names (received ${describeValue(list)})`);
      if (list.length > MAX_GROUPS_PER_USER) {
        throw new UserGroupsError(setting, `${where} has ${list.length} groups; Cognito puts a user in at most ${MAX_GROUPS_PER_USER}`);
      }
      for (const [index, group] of list.entries()) {
        if (typeof group !== 'string' || !COGNITO_NAME_PATTERN.test(group)) {
          throw new UserGroupsError(setting, `${where}[${index}] must be a Cognito group name (1 to 128 letters, marks, symbols, digits or punctuation, no white space) (received ${describeValue(group)})`);
        }
        if (list.indexOf(group) !== index) throw new UserGroupsError(setting, `${where} lists ${JSON.stringify(group)} twice`);
      }
      groups.set(canonical, Object.freeze([...(list as string[])]));
    }
    return new GroupDirectory(groups);
  }

  /** The groups of the user who signs in as `username` (any case), or none. */
  groupsOf(username: string): readonly string[] {
    return this.#groups.get(canonicalUsername(username)) ?? [];
  }
}

/**
 * Parses a membership map from the JSON text of an environment variable.
 * @param variable the variable's name, for the error, e.g. `LOCAL_USER_GROUPS`
 * @throws UserGroupsError naming the variable and showing the value received
 */
export function parseUserGroupsJson(text: string, variable: string): UserGroups {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserGroupsError(variable, `${variable} must be a JSON object such as ${EXAMPLE} (received ${describeValue(text)}, which is not JSON)`);
  }
  GroupDirectory.from(parsed, variable);
  return parsed as UserGroups;
}
