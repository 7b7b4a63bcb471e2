/** `groupsFromClaims`: both claim forms, eligibility, the prefix, the limit. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TooManyGroupsError } from '../../lambda/vending/errors.js';
import { GROUPS_CLAIM, createGroupReader, groupPrefixProblem, groupsFromClaims, isEligible } from '../../lambda/vending/groups.js';

const ANY = { prefix: undefined, max: 4 };
const claims = (value: unknown): Record<string, unknown> => ({ sub: 'u', [GROUPS_CLAIM]: value });

describe('groupsFromClaims', () => {
  it.each<[string, unknown, string[]]>([
    ['no claim', undefined, []],
    ['null', null, []],
    ['payload 2.0 "[a b]"', '[team-b team-a]', ['team-a', 'team-b']],
    ['payload 2.0 with one group', '[solo]', ['solo']],
    ['payload 2.0, empty', '[]', []],
    ['a bare name', 'solo', ['solo']],
    ['a JSON array', ['b', 'a', 'b'], ['a', 'b']],
    // Never JSON-parsed: one group named "a","b" (Cognito allows quotes and commas) must not become two.
    ['one group whose name looks like a JSON array, as payload 2.0 delivers it', '["a","b"]', []],
    ['two groups whose names join into a JSON array', '["a", "b"]', []],
    ['names with brackets', '[x] [a]', []],
    ['doubled spaces', '[a  b]', ['a', 'b']],
  ])('reads %s', (_label, value, eligible) => {
    expect(groupsFromClaims(claims(value), ANY).eligible).toEqual(eligible);
  });

  it('leaves out and counts names that are unsafe in an ARN, a topic level or a log line, and non-strings', () => {
    const result = groupsFromClaims(claims(['ok', 'a*b', 'x/y', 'q?', 'p+', 'h#', '$x', 'tab\tx', 'nl\nx', 'sp ace', 'ü', '', 42, 'g'.repeat(41), 'g'.repeat(40)]), ANY);
    expect(result).toEqual({ eligible: ['g'.repeat(40), 'ok'], ineligible: 13 });
  });

  it('keeps only names starting with the prefix', () => {
    expect(groupsFromClaims(claims('[app-x team app-y]'), { prefix: 'app-', max: 4 })).toEqual({ eligible: ['app-x', 'app-y'], ineligible: 1 });
  });

  it('refuses more eligible groups than the maximum, naming it; ineligible ones and repeats do not count', () => {
    expect(() => groupsFromClaims(claims('[a b c]'), { prefix: undefined, max: 2 })).toThrow(TooManyGroupsError);
    try {
      groupsFromClaims(claims('[a b c]'), { prefix: undefined, max: 2 });
    } catch (error) {
      expect((error as TooManyGroupsError).max).toBe(2);
      expect((error as Error).message).toMatch(/3 eligible groups, more than MAX_GROUPS \(2\)/);
    }
    expect(groupsFromClaims(claims('[a b a x/y]'), { prefix: undefined, max: 2 }).eligible).toEqual(['a', 'b']);
  });

  it('never lets an eligible name carry a character that widens a grant or forges a log line (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 12 }), { maxLength: 6 }), (names) => {
        const { eligible, ineligible } = groupsFromClaims(claims(names), { prefix: undefined, max: 100 });
        for (const name of eligible) expect(name).toMatch(/^[A-Za-z0-9_.:@-]{1,40}$/);
        expect(eligible.length + ineligible).toBeLessThanOrEqual(names.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('isEligible and groupPrefixProblem', () => {
  it('agree on the character set, and a prefix must be usable', () => {
    expect(isEligible('team-a', undefined)).toBe(true);
    expect(isEligible('team-a', 'app-')).toBe(false);
    expect(groupPrefixProblem('app-')).toBeUndefined();
    expect(groupPrefixProblem('p'.repeat(39))).toBeUndefined();
    for (const bad of ['', 'a*', 'a/b', 'p'.repeat(40), 42]) expect(groupPrefixProblem(bad), String(bad)).toMatch(/1-39 characters/);
  });
});

describe('createGroupReader', () => {
  it('answers as groupsFromClaims does, remembering each claim string, and never remembers a refusal', () => {
    const read = createGroupReader({ prefix: undefined, max: 2 });
    const first = read(claims('[b a]'));
    expect(first).toEqual({ eligible: ['a', 'b'], ineligible: 0 });
    expect(read(claims('[b a]'))).toBe(first);
    expect(read(claims(['b', 'a']))).toEqual(first);
    expect(() => read(claims('[a b c]'))).toThrow(TooManyGroupsError);
    expect(() => read(claims('[a b c]'))).toThrow(TooManyGroupsError);
    expect(read(claims(undefined))).toEqual({ eligible: [], ineligible: 0 });
  });
});
