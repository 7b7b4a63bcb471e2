/**
 * The grants work's rules at their edges: overlap explanations, the glob intersection's witnesses,
 * the `cognito:groups` claim, client suffixes, session policies and their worst case, the `sub`
 * refusals and the per-user token bucket. Each test was written against a mutant that survived the
 * rest of the suite (`npm run mutate`).
 *
 * Nothing here calls the code under test at load time: a mutant that broke a module-level call
 * would fail this file's collection, which Stryker's vitest runner does not count as a kill.
 */
import { describe, expect, it } from 'vitest';
import { ForbiddenSubjectError, InvalidRequestError, MissingIdentityError, TooManyGroupsError } from '../../lambda/vending/errors.js';
import { commonTopic } from '../../lambda/vending/glob-intersection.js';
import { grantOverlap } from '../../lambda/vending/grant-overlap.js';
import { GROUPS_CLAIM, MAX_GROUP_NAME_LENGTH, createGroupReader, groupPrefixProblem, groupsFromClaims } from '../../lambda/vending/groups.js';
import { UUID_CLIENT_ID_IAM_PATTERNS, subjectFromClaims } from '../../lambda/vending/identity.js';
import { createRateLimiter } from '../../lambda/vending/rate-limiter.js';
import { clientIdFor, parseClientSuffix, sessionPolicyFor, worstCaseSessionPolicyLength, type IotArnContext } from '../../lambda/vending/scope.js';

const ARN: IotArnContext = { partition: 'aws', region: 'eu-west-1', account: '123456789012' };
const PREFIX = 'arn:aws:iot:eu-west-1:123456789012:';
const UUID = '8f2c1e7a-1b2c-4d3e-9f00-0123456789ab';

describe('grantOverlap explanations', () => {
  it('explains an overlap of two same-variable templates at one value without inventing two holders', () => {
    const overlap = grantOverlap({ publish: ['x/${sub}', '${sub}/x'], subscribe: ['x/${sub}'] });
    expect(overlap).toEqual({
      reaching: { list: 'publish', index: 1, template: '${sub}/x' },
      reached: { list: 'publish', index: 0, template: 'x/${sub}' },
      topic: 'x/x',
      explanation: 'publish[1] "${sub}/x" and publish[0] "x/${sub}" overlap: the topic "x/x" is granted by both; templates with the same variable must have the same levels before it or diverge at a literal level before it',
    });
  });

  it('names both holders when the overlap gives the variables different values', () => {
    expect(grantOverlap({ publish: ['u/${sub}/*'], subscribe: ['u/ab/${sub}'] })?.explanation).toBe(
      'subscribe[0] "u/ab/${sub}" and publish[0] "u/${sub}/*" overlap: the topic "u/ab/x" is granted by "u/ab/${sub}" to the user whose sub is "x" and by "u/${sub}/*" to the user whose sub is "ab"',
    );
    expect(grantOverlap({ publish: ['rooms/${group}/*', 'rooms/*'], subscribe: ['a'] })?.explanation).toBe(
      'publish[1] "rooms/*" and publish[0] "rooms/${group}/*" overlap: the topic "rooms/x/" is granted by "rooms/*" to every signed-in user and by "rooms/${group}/*" to the members of group "x"',
    );
  });

  it('explains a * before the variable even when two holders share no topic', () => {
    expect(grantOverlap({ publish: ['*/${sub}/a'], subscribe: ['b'] })).toEqual({
      reaching: { list: 'publish', index: 0, template: '*/${sub}/a' },
      reached: { list: 'publish', index: 0, template: '*/${sub}/a' },
      topic: undefined,
      explanation: 'publish[0] "*/${sub}/a" has a * before ${sub}, which can stand for whole levels: the level of ${sub} must be fixed for one holder\'s topics never to reach another\'s',
    });
  });

  it('reports a repeated template at its first place, and finds nothing in repeats alone', () => {
    expect(grantOverlap({ publish: ['users/${sub}/*', 'users/${sub}/*'], subscribe: ['users/${sub}/*'] })).toBeUndefined();
    expect(grantOverlap({ publish: ['a/${sub}', 'users/*'], subscribe: ['users/*', 'users/${sub}/*'] })).toMatchObject({
      reaching: { list: 'publish', index: 1, template: 'users/*' },
      reached: { list: 'subscribe', index: 1, template: 'users/${sub}/*' },
    });
    expect(grantOverlap({ publish: ['*/${sub}', 'a'], subscribe: ['*/${sub}'] })).toMatchObject({ reaching: { list: 'publish', index: 0 } });
    expect(grantOverlap({ publish: ['a'], subscribe: ['b', '*/${group}'] })).toMatchObject({ reaching: { list: 'subscribe', index: 1 } });
  });
});

describe('commonTopic witnesses', () => {
  it('finds the empty topic for two bare wildcards, and stops', () => {
    expect(commonTopic({ template: '*' }, { template: '*' })).toEqual({ topic: '', firstValue: undefined, secondValue: undefined });
    expect(commonTopic({ template: '**' }, { template: '*' })).toEqual({ topic: '', firstValue: undefined, secondValue: undefined });
    expect(commonTopic({ template: '' }, { template: '' })).toEqual({ topic: '', firstValue: undefined, secondValue: undefined });
    expect(commonTopic({ template: '*a' }, { template: '*b' })).toBeUndefined();
  });

  it('steps over a wildcard after the other pattern has ended', () => {
    expect(commonTopic({ template: 'a' }, { template: 'a*' })).toEqual({ topic: 'a', firstValue: undefined, secondValue: undefined });
    expect(commonTopic({ template: 'a*' }, { template: 'a' })).toEqual({ topic: 'a', firstValue: undefined, secondValue: undefined });
    expect(commonTopic({ template: 'u/${sub}', variable: '${sub}' }, { template: 'u/x*' })).toEqual({ topic: 'u/x', firstValue: 'x', secondValue: undefined });
    expect(commonTopic({ template: 'u/x*' }, { template: 'u/${sub}', variable: '${sub}' })).toEqual({ topic: 'u/x', firstValue: undefined, secondValue: 'x' });
  });

  it('reports the value each variable takes, wildcards filled with x', () => {
    expect(commonTopic({ template: 'u/${sub}/*', variable: '${sub}' }, { template: 'u/*/x' })).toEqual({ topic: 'u/x/x', firstValue: 'x', secondValue: undefined });
    expect(commonTopic({ template: 'u/${sub}', variable: '${sub}' }, { template: 'u/abc' })).toEqual({ topic: 'u/abc', firstValue: 'abc', secondValue: undefined });
    expect(commonTopic({ template: 'u/abc' }, { template: 'u/${g}', variable: '${g}' })).toEqual({ topic: 'u/abc', firstValue: undefined, secondValue: 'abc' });
    expect(commonTopic({ template: '${a}/x', variable: '${a}' }, { template: 'ab/${b}', variable: '${b}' })).toEqual({ topic: 'ab/x', firstValue: 'ab', secondValue: 'x' });
    expect(commonTopic({ template: 'u/${sub}', variable: '${sub}' }, { template: 'u/a/b' })).toBeUndefined();
    expect(commonTopic({ template: 'u/${sub}', variable: '${sub}' }, { template: 'u/' })).toBeUndefined();
  });

  it('treats the variable name as literal text when no variable is named', () => {
    expect(commonTopic({ template: 'u/${sub}' }, { template: 'u/x' })).toBeUndefined();
    expect(commonTopic({ template: 'u/${sub}' }, { template: 'u/${sub}' })).toEqual({ topic: 'u/${sub}', firstValue: undefined, secondValue: undefined });
  });
});

describe('cognito:groups claim', () => {
  const ANY = { prefix: undefined, max: 4 };
  const claims = (value: unknown): Record<string, unknown> => ({ sub: 'u', [GROUPS_CLAIM]: value });

  it('counts no ineligible group when the claim is absent or null, and one for any other non-string', () => {
    expect(groupsFromClaims({ sub: 'u' }, ANY)).toEqual({ eligible: [], ineligible: 0 });
    expect(groupsFromClaims(claims(null), ANY)).toEqual({ eligible: [], ineligible: 0 });
    for (const value of [42, true, {}, { 0: 'team-a' }]) {
      expect(groupsFromClaims(claims(value), ANY)).toEqual({ eligible: [], ineligible: 1 });
    }
  });

  it('answers callers without groups with one frozen value', () => {
    const none = groupsFromClaims({ sub: 'u' }, ANY);
    expect(groupsFromClaims(claims('[]'), ANY)).toBe(none);
    expect(groupsFromClaims(claims([]), ANY)).toBe(none);
    expect(Object.isFrozen(none)).toBe(true);
    expect(Object.isFrozen(none.eligible)).toBe(true);
  });

  it('reads payload 2.0 brackets only as a pair, around the trimmed claim', () => {
    expect(groupsFromClaims(claims(' [team-a team-b] '), ANY)).toEqual({ eligible: ['team-a', 'team-b'], ineligible: 0 });
    expect(groupsFromClaims(claims('[team-a'), ANY)).toEqual({ eligible: [], ineligible: 1 });
    expect(groupsFromClaims(claims('team-a]'), ANY)).toEqual({ eligible: [], ineligible: 1 });
    expect(groupsFromClaims(claims('xteam-a]'), ANY)).toEqual({ eligible: [], ineligible: 1 });
    expect(groupsFromClaims(claims('[team-ab'), ANY)).toEqual({ eligible: [], ineligible: 1 });
    expect(groupsFromClaims(claims('[team-a  team-b]'), ANY)).toEqual({ eligible: ['team-a', 'team-b'], ineligible: 0 });
    expect(groupsFromClaims(claims('  '), ANY)).toEqual({ eligible: [], ineligible: 0 });
  });

  it('remembers each claim string once read, and reads claims that are not strings alike', () => {
    const read = createGroupReader(ANY);
    const first = read(claims('[team-a]'));
    expect(read(claims('[team-a]'))).toBe(first);
    expect(read(claims(['team-a']))).toEqual(first);
    // A claim array changed in place is read again, not answered from memory.
    const inPlace = ['team-a'];
    expect(read(claims(inPlace)).eligible).toEqual(['team-a']);
    inPlace.push('team-b');
    expect(read(claims(inPlace)).eligible).toEqual(['team-a', 'team-b']);
    const tooMany = createGroupReader({ prefix: undefined, max: 1 });
    expect(() => tooMany(claims('[a b]'))).toThrow(TooManyGroupsError);
    expect(() => tooMany(claims('[a b]'))).toThrow('the caller has 2 eligible groups, more than MAX_GROUPS (1)');
  });

  it('accepts a group prefix of 1 to 39 eligible characters (a name must fit after it), as a string only', () => {
    expect(groupPrefixProblem('a')).toBeUndefined();
    expect(groupPrefixProblem('p'.repeat(MAX_GROUP_NAME_LENGTH - 1))).toBeUndefined();
    for (const prefix of ['', 'p'.repeat(MAX_GROUP_NAME_LENGTH), 'a b', 'a/', ['app-'], { toString: () => 'app-' }, 42, undefined]) {
      expect(groupPrefixProblem(prefix)).toBe('must be 1-39 characters of A-Z a-z 0-9 _ . : @ -, the start of eligible group names');
    }
  });
});

describe('client suffixes and IDs', () => {
  it('passes an absent suffix through and checks a present one', () => {
    expect(parseClientSuffix(undefined)).toBeUndefined();
    expect(parseClientSuffix('undefined')).toBe('undefined');
    expect(parseClientSuffix('tab-1')).toBe('tab-1');
    for (const bad of ['', 'a,b', 'x'.repeat(33)]) {
      const error = (() => {
        try {
          parseClientSuffix(bad);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error).toMatchObject({ message: 'clientSuffix must be 1-32 characters of A-Z a-z 0-9 _ -' });
    }
    expect(clientIdFor(UUID, 'tab-1')).toBe(`${UUID}-tab-1`);
    expect(clientIdFor('alice', undefined)).toBe('alice');
  });
});

describe('session policies', () => {
  const templates = { publish: ['users/${sub}/*'], subscribe: ['users/${sub}/*', 'feed/*'] };

  it('grants exactly Publish and RetainPublish on the publish topics when retained messages are allowed', () => {
    const policy = JSON.parse(sessionPolicyFor({ sub: 'alice', groups: [] }, templates, ARN, true)) as { Statement: unknown[] };
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:Connect', Resource: [`${PREFIX}client/alice`] },
        { Effect: 'Allow', Action: ['iot:Publish', 'iot:RetainPublish', 'iot:Receive'], Resource: [`${PREFIX}topic/users/alice/*`] },
        { Effect: 'Allow', Action: 'iot:Receive', Resource: [`${PREFIX}topic/feed/*`] },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: [`${PREFIX}topicfilter/users/alice/*`, `${PREFIX}topicfilter/feed/*`] },
      ],
    });
    const withoutRetain = JSON.parse(sessionPolicyFor({ sub: 'alice', groups: [] }, templates, ARN, false)) as { Statement: { Action: unknown }[] };
    expect(withoutRetain.Statement[1]?.Action).toEqual(['iot:Publish', 'iot:Receive']);
  });

  it('measures the worst case with MAX_GROUPS names of exactly 40 characters, whatever the prefix', () => {
    const groupTemplates = { publish: ['rooms/${group}/*'], subscribe: ['rooms/${group}/*'] };
    const names = Array.from({ length: 3 }, (_, index) => `${'g'.repeat(MAX_GROUP_NAME_LENGTH - 1)}${index}`);
    const expected = Math.max(
      sessionPolicyFor({ sub: 'x'.repeat(128), groups: names }, groupTemplates, ARN, false).length,
      sessionPolicyFor({ sub: UUID, groups: names }, groupTemplates, ARN, false).length,
    );
    expect(worstCaseSessionPolicyLength(groupTemplates, ARN, { prefix: undefined, max: 3 }, false)).toBe(expected);
    expect(worstCaseSessionPolicyLength(groupTemplates, ARN, { prefix: 'organisation-', max: 3 }, false)).toBe(expected);
    // Ten groups: two-digit tails, still 40 characters each.
    const ten = Array.from({ length: 10 }, (_, index) => `${'g'.repeat(MAX_GROUP_NAME_LENGTH - String(index).length)}${index}`);
    expect(worstCaseSessionPolicyLength(groupTemplates, ARN, { prefix: 'p-', max: 10 }, true)).toBe(sessionPolicyFor({ sub: 'x'.repeat(128), groups: ten }, groupTemplates, ARN, true).length);
    // Without group templates the groups change nothing.
    expect(worstCaseSessionPolicyLength(templates, ARN, { prefix: undefined, max: 10 }, false)).toBe(worstCaseSessionPolicyLength(templates, ARN, { prefix: undefined, max: 0 }, false));
  });
});

describe('subjectFromClaims messages', () => {
  function refusal(claims: unknown): Error {
    try {
      subjectFromClaims(claims);
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected a refusal');
  }

  it('says what was missing, and never more than a description of it', () => {
    expect(refusal(null)).toEqual(new MissingIdentityError('the authorizer passed no JWT claims (received null)'));
    expect(refusal(['sub'])).toEqual(new MissingIdentityError('the authorizer passed no JWT claims (received a value of type array)'));
    expect(refusal({ sub: 42 })).toEqual(new MissingIdentityError('the JWT claims hold no usable sub (received 42)'));
    expect(refusal({ sub: '' })).toEqual(new MissingIdentityError('the JWT claims hold no usable sub (received "")'));
  });

  it('says why a sub is refused, with its length', () => {
    const unsafe = refusal({ sub: 'a/b' });
    expect(unsafe).toBeInstanceOf(ForbiddenSubjectError);
    expect(unsafe).toMatchObject({ reason: 'unsafe-characters', message: 'sub must be 1-128 characters of A-Z a-z 0-9 _ . : @ - (received 3 characters: "a/b")' });
    const mistakable = refusal({ sub: `${UUID}-x` });
    expect(mistakable).toMatchObject({ reason: 'mistakable-client-id', message: `sub starts with a UUID followed by "-" without being one, like a suffixed client ID (received "${UUID}-x")` });
  });

  it('lists the two UUID-shaped client ID patterns of the role ceiling', () => {
    expect(UUID_CLIENT_ID_IAM_PATTERNS).toEqual(['????????-????-????-????-????????????', '????????-????-????-????-????????????-*']);
    expect(Object.isFrozen(UUID_CLIENT_ID_IAM_PATTERNS)).toBe(true);
  });
});

describe('per-user token bucket', () => {
  it('asks a caller to come back when the missing part of a token has dripped in', () => {
    let nowMs = 1_000_000;
    const limit = createRateLimiter({ perSecond: 0.1, burst: 1 }, 10, () => nowMs);
    expect(limit('alice')).toEqual({ allowed: true });
    expect(limit('alice')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    nowMs += 5000; // half a token back: 5 s to go
    expect(limit('alice')).toEqual({ allowed: false, retryAfterSeconds: 5 });
    nowMs += 4000; // 0.9 of a token: 1 s to go
    expect(limit('alice')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    nowMs += 1000;
    expect(limit('alice')).toEqual({ allowed: true });
  });
});
