/**
 * `GROUPS_CLAIM` parsing (a claim name, or an RFC 6901 JSON Pointer), reading the value it points
 * at in a verified payload, Entra ID's overage form, and the groups of a verified value.
 */
import { describe, expect, it } from 'vitest';
import { TooManyGroupsError } from '../../lambda/vending/errors.js';
import { groupsFromVerifiedValue } from '../../lambda/vending/groups.js';
import { claimNameProblem, groupsClaimValue, isGroupsOverage, parseGroupsClaim, type GroupsClaim } from '../../lambda/vending/groups-claim.js';

function parsed(text: string): GroupsClaim {
  const result = parseGroupsClaim(text);
  if ('problem' in result) throw new Error(result.problem);
  return result;
}

describe('parseGroupsClaim', () => {
  it('takes any printable text not starting with / as a claim name, as it is', () => {
    for (const name of ['groups', 'cognito:groups', 'https://example.com/groups', 'roles', 'a/b', 'ü', 'x'.repeat(256)]) {
      expect(parseGroupsClaim(name)).toEqual({ kind: 'name', name });
    }
  });

  it('takes text starting with / as an RFC 6901 pointer, ~1 before ~0', () => {
    expect(parsed('/realm_access/roles')).toEqual({ kind: 'pointer', pointer: '/realm_access/roles', tokens: ['realm_access', 'roles'] });
    expect(parsed('/groups')).toEqual({ kind: 'pointer', pointer: '/groups', tokens: ['groups'] });
    expect(parsed('/https:~1~1example.com~1groups')).toMatchObject({ tokens: ['https://example.com/groups'] });
    // RFC 6901 section 4: "~01" is "~1", not "/".
    expect(parsed('/a~01')).toMatchObject({ tokens: ['a~1'] });
    expect(parsed('/a~0~1b')).toMatchObject({ tokens: ['a~/b'] });
    expect(parsed('/resource_access/my-app/roles')).toMatchObject({ tokens: ['resource_access', 'my-app', 'roles'] });
  });

  it.each([
    ['', /claim name of 1-256/],
    ['with space', /claim name of 1-256/],
    ['tab\tname', /claim name/],
    ['x'.repeat(257), /claim name of 1-256/],
    ['/a b', /JSON Pointer of 1-256/],
    [`/${'x'.repeat(256)}`, /JSON Pointer of 1-256/],
    ['/a~', /"~" may only start "~0" or "~1"/],
    ['/a~2', /"~" may only start/],
    ['/', /without empty tokens/],
    ['/a/', /without empty tokens/],
    ['//a', /without empty tokens/],
  ])('refuses %j', (text, problem) => {
    const result = parseGroupsClaim(text);
    expect(result).toHaveProperty('problem');
    expect((result as { problem: string }).problem).toMatch(problem);
  });

  it('says a claim name must not be a pointer', () => {
    expect(claimNameProblem('sub')).toBeUndefined();
    expect(claimNameProblem('/sub')).toMatch(/not a JSON Pointer/);
    expect(claimNameProblem('a b')).toMatch(/without white space/);
  });
});

describe('groupsClaimValue', () => {
  const payload = {
    groups: ['a', 'b'],
    'https://example.com/groups': ['x'],
    'a/b': 'slash-claim',
    realm_access: { roles: ['r1', 'r2'], nested: { deep: 'd' } },
    list: [{ roles: ['in-array'] }, 'second', 2, 3, 4, 5, 6, 7, 8, 9, 'tenth'],
    empty: null,
  };

  it('reads a claim by its name, as it is', () => {
    expect(groupsClaimValue(payload, parsed('groups'))).toEqual(['a', 'b']);
    expect(groupsClaimValue(payload, parsed('https://example.com/groups'))).toEqual(['x']);
    expect(groupsClaimValue(payload, parsed('a/b'))).toBe('slash-claim');
    expect(groupsClaimValue(payload, parsed('missing'))).toBeUndefined();
    expect(groupsClaimValue(payload, parsed('empty'))).toBeNull();
  });

  it('follows a pointer through objects and arrays (decimal indexes only)', () => {
    expect(groupsClaimValue(payload, parsed('/realm_access/roles'))).toEqual(['r1', 'r2']);
    expect(groupsClaimValue(payload, parsed('/realm_access/nested/deep'))).toBe('d');
    expect(groupsClaimValue(payload, parsed('/list/0/roles'))).toEqual(['in-array']);
    expect(groupsClaimValue(payload, parsed('/list/1'))).toBe('second');
    expect(groupsClaimValue(payload, parsed('/list/01'))).toBeUndefined();
    expect(groupsClaimValue(payload, parsed('/list/-'))).toBeUndefined();
    expect(groupsClaimValue(payload, parsed('/list/10'))).toBe('tenth');
    expect(groupsClaimValue(payload, parsed('/list/11'))).toBeUndefined();
    expect(groupsClaimValue(payload, parsed('/list/1x'))).toBeUndefined();
    // Strings and numbers have no members to follow, not even their own length or characters.
    expect(groupsClaimValue(payload, parsed('/list/1/length'))).toBeUndefined();
    expect(groupsClaimValue(payload, parsed('/list/1/0'))).toBeUndefined();
    expect(groupsClaimValue(payload, parsed('/list/2/toFixed'))).toBeUndefined();
    expect(groupsClaimValue(payload, parsed('/list/length'))).toBeUndefined();
    expect(groupsClaimValue(payload, parsed('/a~1b'))).toBe('slash-claim');
    expect(groupsClaimValue(payload, parsed('/realm_access/missing/roles'))).toBeUndefined();
    expect(groupsClaimValue(payload, parsed('/groups/0/x'))).toBeUndefined();
    expect(groupsClaimValue(payload, parsed('/empty/x'))).toBeUndefined();
  });

  it('never follows inherited members', () => {
    for (const text of ['/__proto__', '/constructor', '/realm_access/toString', 'constructor', 'hasOwnProperty']) {
      expect(groupsClaimValue(payload, parsed(text))).toBeUndefined();
    }
    // A payload's own "__proto__" member (JSON.parse makes it an own property) is read like any other.
    expect(groupsClaimValue(JSON.parse('{"__proto__":["p"]}') as Record<string, unknown>, parsed('/__proto__'))).toEqual(['p']);
  });
});

describe('isGroupsOverage', () => {
  const overage = { sub: 'x', _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/' } } };

  it("recognizes Entra ID's form: no groups claim, and _claim_names naming it", () => {
    expect(isGroupsOverage(overage, parsed('groups'))).toBe(true);
    expect(isGroupsOverage(overage, parsed('/groups'))).toBe(true);
  });

  it('is false when the claim is there, _claim_names names another claim or is not an object, or the pointer is nested', () => {
    expect(isGroupsOverage({ ...overage, groups: [] }, parsed('groups'))).toBe(false);
    expect(isGroupsOverage(overage, parsed('roles'))).toBe(false);
    expect(isGroupsOverage({ sub: 'x' }, parsed('groups'))).toBe(false);
    expect(isGroupsOverage({ _claim_names: 'groups' }, parsed('groups'))).toBe(false);
    expect(isGroupsOverage({ _claim_names: ['groups'] }, parsed('groups'))).toBe(false);
    expect(isGroupsOverage({ _claim_names: null }, parsed('groups'))).toBe(false);
    expect(isGroupsOverage({ _claim_names: { realm_access: 'src1' } }, parsed('/realm_access/roles'))).toBe(false);
    expect(isGroupsOverage({ _claim_names: { toString: 'x' } }, parsed('hasOwnProperty'))).toBe(false);
    // A nested pointer has no top-level name, not even "undefined".
    expect(isGroupsOverage({ _claim_names: { undefined: 'src1' } }, parsed('/realm_access/roles'))).toBe(false);
  });
});

describe('groupsFromVerifiedValue', () => {
  const ANY = { prefix: undefined, max: 4 };

  it('reads an array of names, or one name, never splitting on spaces', () => {
    expect(groupsFromVerifiedValue(['team-b', 'team-a', 'team-a'], ANY)).toEqual({ eligible: ['team-a', 'team-b'], ineligible: 0 });
    expect(groupsFromVerifiedValue('team-a', ANY)).toEqual({ eligible: ['team-a'], ineligible: 0 });
    expect(groupsFromVerifiedValue('team-a team-b', ANY)).toEqual({ eligible: [], ineligible: 1 });
    expect(groupsFromVerifiedValue('[team-a team-b]', ANY)).toEqual({ eligible: [], ineligible: 1 });
    expect(groupsFromVerifiedValue(['admins team', 'ok'], ANY)).toEqual({ eligible: ['ok'], ineligible: 1 });
  });

  it('gives no groups for nothing, and counts anything else as one ineligible name', () => {
    expect(groupsFromVerifiedValue(undefined, ANY)).toEqual({ eligible: [], ineligible: 0 });
    expect(groupsFromVerifiedValue(null, ANY)).toEqual({ eligible: [], ineligible: 0 });
    expect(groupsFromVerifiedValue([], ANY)).toEqual({ eligible: [], ineligible: 0 });
    expect(groupsFromVerifiedValue({ a: 'b' }, ANY)).toEqual({ eligible: [], ineligible: 1 });
    expect(groupsFromVerifiedValue(42, ANY)).toEqual({ eligible: [], ineligible: 1 });
    expect(groupsFromVerifiedValue(['a', 1, null, { b: 2 }], ANY)).toEqual({ eligible: ['a'], ineligible: 3 });
  });

  it('applies the prefix and the limit', () => {
    expect(groupsFromVerifiedValue(['app-a', 'b'], { prefix: 'app-', max: 4 })).toEqual({ eligible: ['app-a'], ineligible: 1 });
    expect(() => groupsFromVerifiedValue(['a', 'b', 'c'], { prefix: undefined, max: 2 })).toThrow(TooManyGroupsError);
    expect(groupsFromVerifiedValue(['a', 'b', 'b', 'x/y'], { prefix: undefined, max: 2 })).toEqual({ eligible: ['a', 'b'], ineligible: 1 });
  });
});
