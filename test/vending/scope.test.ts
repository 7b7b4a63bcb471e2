import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../lambda/vending/errors.js';
import { MAX_GROUP_NAME_LENGTH } from '../../lambda/vending/groups.js';
import { roleSessionNameFor } from '../../lambda/vending/role-session-name.js';
import {
  MAX_SESSION_POLICY_CHARS,
  clientIdFor,
  connectResourcesFor,
  parseClientSuffix,
  sessionPolicyFor,
  worstCaseSessionPolicyLength,
  type IotArnContext,
} from '../../lambda/vending/scope.js';
import type { Grantee, TopicTemplates } from '../../lambda/vending/topic-templates.js';
import { policyAllows } from './helpers.js';

const ARN: IotArnContext = { partition: 'aws', region: 'eu-west-1', account: '123456789012' };
const DEFAULTS: TopicTemplates = { publish: ['users/${sub}/*'], subscribe: ['users/${sub}/*'] };
const PREFIX = 'arn:aws:iot:eu-west-1:123456789012:';
const validSub = fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,128}$/);
// Cognito-style subs (lower-case UUIDs).
const UUID_A = '8f2c1e7a-1b2c-4d3e-9f00-0123456789ab';
const UUID_B = '0b5d7c3e-9a8b-4c7d-8e6f-fedcba987654';
const uuidSub = fc.uuid().map((uuid) => uuid.toLowerCase());
const SUBJECT = /^[A-Za-z0-9_.:@-]{1,128}$/;
const NO_GROUPS = { prefix: undefined, max: 4 };
/** The session policy of a caller without groups (retained publishing off unless asked). */
function policyFor(sub: string, templates: TopicTemplates = DEFAULTS, arn: IotArnContext = ARN, allowRetain = false): string {
  return sessionPolicyFor({ sub, groups: [] }, templates, arn, allowRetain);
}

describe('parseClientSuffix', () => {
  it('is optional', () => {
    expect(parseClientSuffix(undefined)).toBeUndefined();
  });

  it.each(['a', 'tab-1', 'Tab_2', 'Z'.repeat(32)])('accepts %j', (suffix) => {
    expect(parseClientSuffix(suffix)).toBe(suffix);
  });

  it.each(['', 'x'.repeat(33), 'a,b', 'a b', '../x', 'a/b', 'a+b', 'a#', 'a*', 'a.b', 'a:b', 'é', '%41'])('refuses %j with a 400 error naming the parameter', (suffix) => {
    try {
      parseClientSuffix(suffix);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as InvalidRequestError).parameter).toBe('clientSuffix');
      expect((error as Error).message).toMatch(/clientSuffix must be 1-32 characters/);
    }
  });
});

describe('clientIdFor', () => {
  it('builds <sub>[-<suffix>] for a UUID sub', () => {
    expect(clientIdFor(UUID_A, undefined)).toBe(UUID_A);
    expect(clientIdFor(UUID_A, 'tab1')).toBe(`${UUID_A}-tab1`);
  });

  it('gives a non-UUID sub its plain client ID, and refuses it a suffix with a 400 that says why', () => {
    expect(clientIdFor('alice', undefined)).toBe('alice');
    for (const sub of ['alice', 'a', UUID_A.toUpperCase(), `${UUID_A}x`, 'eu-west-1:8f2c1e7a-1b2c-4d3e-9f00-0123456789ab']) {
      const error = (() => {
        try {
          return clientIdFor(sub, 'tab1');
        } catch (caught) {
          return caught;
        }
      })();
      expect(error, sub).toBeInstanceOf(InvalidRequestError);
      expect((error as InvalidRequestError).parameter).toBe('clientSuffix');
      expect((error as Error).message).toMatch(/only available to users whose sub is a UUID.*fixed-length sub/);
    }
  });
});

describe('connectResourcesFor (client-ID takeover)', () => {
  it('grants a UUID sub its ID and its suffixed IDs, any other sub its exact ID only', () => {
    expect(connectResourcesFor(UUID_A)).toEqual([`client/${UUID_A}`, `client/${UUID_A}-*`]);
    expect(connectResourcesFor('a')).toEqual(['client/a']);
    expect(connectResourcesFor('a-b')).toEqual(['client/a-b']);
    expect(connectResourcesFor(UUID_A.toUpperCase())).toEqual([`client/${UUID_A.toUpperCase()}`]);
  });

  it('keeps non-UUID user a from connecting as user a-b (and the reverse)', () => {
    const a = policyFor('a');
    const ab = policyFor('a-b');
    expect(policyAllows(a, 'iot:Connect', `${PREFIX}client/a`)).toBe(true);
    expect(policyAllows(a, 'iot:Connect', `${PREFIX}client/a-b`)).toBe(false);
    expect(policyAllows(a, 'iot:Connect', `${PREFIX}client/a-x`)).toBe(false);
    expect(policyAllows(ab, 'iot:Connect', `${PREFIX}client/a-b`)).toBe(true);
    expect(policyAllows(ab, 'iot:Connect', `${PREFIX}client/a`)).toBe(false);
  });

  it('keeps UUID user A from connecting as UUID user B or as B-x, while A keeps A-x', () => {
    const a = policyFor(UUID_A);
    expect(policyAllows(a, 'iot:Connect', `${PREFIX}client/${UUID_A}-tab1`)).toBe(true);
    for (const id of [UUID_B, `${UUID_B}-x`, `${UUID_B}-${UUID_A}`, `${UUID_A}x`, UUID_A.slice(0, 35)]) {
      expect(policyAllows(a, 'iot:Connect', `${PREFIX}client/${id}`), id).toBe(false);
    }
  });

  it('never lets one sub connect as an ID another sub may hold (property)', () => {
    // Non-UUID subs starting with "<uuid>-" are refused by subjectFromClaims, so no user has one.
    const usable = (sub: string) => SUBJECT.test(sub) && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-/.test(sub);
    const sub = fc.oneof(uuidSub, validSub);
    const suffix = fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/);
    // Unrelated subs, and the dangerous neighbours: one sub is the other plus "-…".
    const pair = fc
      .oneof(
        fc.tuple(sub, sub),
        fc.tuple(sub, suffix).map(([mine, tail]): [string, string] => [mine, `${mine}-${tail}`]),
        fc.tuple(sub, suffix).map(([theirs, tail]): [string, string] => [`${theirs}-${tail}`, theirs]),
      )
      .filter(([mine, theirs]) => mine !== theirs && usable(mine) && usable(theirs));
    fc.assert(
      fc.property(pair, fc.option(suffix, { nil: undefined }), ([mine, theirs], theirSuffix) => {
        // Every ID the other user may connect as: its own, and a suffixed one when it may have those.
        const ids = [theirs];
        if (theirSuffix !== undefined && connectResourcesFor(theirs).length > 1) ids.push(clientIdFor(theirs, theirSuffix));
        const policy = policyFor(mine);
        for (const id of ids) expect(policyAllows(policy, 'iot:Connect', `${PREFIX}client/${id}`), `${mine} as ${id}`).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('sessionPolicyFor', () => {
  it('confines the default templates to the caller, as compact JSON', () => {
    const policy = policyFor(UUID_A);
    expect(policy).not.toMatch(/\s/);
    expect(JSON.parse(policy)).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:Connect', Resource: [`${PREFIX}client/${UUID_A}`, `${PREFIX}client/${UUID_A}-*`] },
        // One list for both: topics with the same actions share a statement.
        { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: [`${PREFIX}topic/users/${UUID_A}/*`] },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: [`${PREFIX}topicfilter/users/${UUID_A}/*`] },
      ],
    });
    expect((JSON.parse(policyFor('alice')) as { Statement: { Resource: string[] }[] }).Statement[0]?.Resource).toEqual([`${PREFIX}client/alice`]);
  });

  it('covers custom templates: Publish on the publish list, Receive and Subscribe on the subscribe list, MQTT wildcards literal', () => {
    const templates: TopicTemplates = {
      publish: ['devices/${sub}/telemetry', 'chat/${sub}/+'],
      subscribe: ['devices/${sub}/commands/#', 'devices/${sub}/telemetry'],
    };
    const doc = JSON.parse(policyFor('dev-7', templates, { partition: 'aws-cn', region: 'cn-north-1', account: '210987654321' })) as {
      Statement: { Resource: string[] }[];
    };
    const p = 'arn:aws-cn:iot:cn-north-1:210987654321:';
    expect(doc.Statement.map((s) => (s as { Action?: unknown }).Action)).toEqual(['iot:Connect', ['iot:Publish', 'iot:Receive'], 'iot:Publish', 'iot:Receive', 'iot:Subscribe']);
    expect(doc.Statement[1]?.Resource).toEqual([`${p}topic/devices/dev-7/telemetry`]);
    expect(doc.Statement[2]?.Resource).toEqual([`${p}topic/chat/dev-7/+`]);
    expect(doc.Statement[3]?.Resource).toEqual([`${p}topic/devices/dev-7/commands/#`]);
    expect(doc.Statement[4]?.Resource).toEqual([`${p}topicfilter/devices/dev-7/commands/#`, `${p}topicfilter/devices/dev-7/telemetry`]);
  });

  it('grants Publish only on publish templates and Receive only on subscribe templates', () => {
    const policy = policyFor('alice', { publish: ['out/${sub}/*'], subscribe: ['in/${sub}/*'] });
    expect(policyAllows(policy, 'iot:Publish', `${PREFIX}topic/out/alice/x`)).toBe(true);
    expect(policyAllows(policy, 'iot:Publish', `${PREFIX}topic/in/alice/x`)).toBe(false);
    expect(policyAllows(policy, 'iot:Receive', `${PREFIX}topic/in/alice/x`)).toBe(true);
    expect(policyAllows(policy, 'iot:Receive', `${PREFIX}topic/out/alice/x`)).toBe(false);
  });

  it('allows the caller its own client IDs and topics, and nothing of another user', () => {
    const policy = policyFor('alice');
    expect(policyAllows(policy, 'iot:Connect', `${PREFIX}client/alice`)).toBe(true);
    expect(policyAllows(policy, 'iot:Connect', `${PREFIX}client/alice-tab1`)).toBe(false);
    expect(policyAllows(policy, 'iot:Connect', `${PREFIX}client/alicex`)).toBe(false);
    expect(policyAllows(policy, 'iot:Connect', `${PREFIX}client/bob`)).toBe(false);
    expect(policyAllows(policy, 'iot:Publish', `${PREFIX}topic/users/alice/room/1`)).toBe(true);
    expect(policyAllows(policy, 'iot:Publish', `${PREFIX}topic/users/bob/room/1`)).toBe(false);
    expect(policyAllows(policy, 'iot:Publish', `${PREFIX}topic/users/alicex/room`)).toBe(false);
    expect(policyAllows(policy, 'iot:Subscribe', `${PREFIX}topicfilter/users/alice/#`)).toBe(true);
    expect(policyAllows(policy, 'iot:Subscribe', `${PREFIX}topicfilter/users/+/#`)).toBe(false);
    expect(policyAllows(policy, 'iot:Subscribe', `${PREFIX}topicfilter/#`)).toBe(false);
    expect(policyAllows(policy, 'iot:Receive', `${PREFIX}topic/users/bob/x`)).toBe(false);
    expect(policyAllows(policy, 'iot:Receive', `${PREFIX}topic/users/alice/x`)).toBe(true);
    // Another region or account is outside it too.
    expect(policyAllows(policy, 'iot:Connect', 'arn:aws:iot:us-east-1:123456789012:client/alice')).toBe(false);
  });

  it('stays under STS limit for any valid sub with the default templates', () => {
    fc.assert(
      fc.property(validSub, (sub) => {
        const policy = policyFor(sub);
        expect(policy.length).toBeLessThanOrEqual(MAX_SESSION_POLICY_CHARS);
        // Every resource names this sub and only it.
        const resources = (JSON.parse(policy) as { Statement: { Resource: string[] }[] }).Statement.flatMap((s) => s.Resource);
        for (const resource of resources) expect(resource).toMatch(new RegExp(`/${sub.replace(/[.]/g, '\\.')}(?:/|-\\*$|$)`));
      }),
      { numRuns: 200 },
    );
  });

  it('measures the worst case over long and UUID subs', () => {
    const worst = worstCaseSessionPolicyLength(DEFAULTS, ARN, NO_GROUPS, false);
    expect(worst).toBe(policyFor('x'.repeat(128)).length);
    expect(worst).toBeGreaterThan(policyFor(UUID_A).length);
    // With one short template per list and a very long ARN prefix (the role ARN pattern allows any
    // partition of the form aws-…), the UUID's extra client/<sub>-* grant, which repeats the
    // prefix, makes the longer policy.
    const fewest: TopicTemplates = { publish: ['${sub}'], subscribe: ['${sub}'] };
    const long: IotArnContext = { partition: `aws-${'x'.repeat(300)}`, region: 'ap-southeast-5', account: '123456789012' };
    expect(worstCaseSessionPolicyLength(fewest, long, NO_GROUPS, false)).toBe(policyFor(UUID_A, fewest, long).length);
    expect(worstCaseSessionPolicyLength(fewest, long, NO_GROUPS, false)).toBeGreaterThan(policyFor('x'.repeat(128), fewest, long).length);
  });

  it('fits a 128-character sub with several templates, and the worst case is known', () => {
    const several: TopicTemplates = {
      publish: ['app/${sub}/out/*', 'chat/rooms/${sub}/*', 'telemetry/${sub}'],
      subscribe: ['app/${sub}/in/*', 'chat/rooms/${sub}/*'],
    };
    const policy = policyFor('s'.repeat(128), several, { partition: 'aws-us-gov', region: 'us-gov-west-1', account: '123456789012' });
    expect(policy.length).toBeLessThanOrEqual(MAX_SESSION_POLICY_CHARS);
    expect(policy.length).toBeGreaterThan(1400);
  });
});

describe('sessionPolicyFor with group and shared templates', () => {
  const GRANTS: TopicTemplates = {
    publish: ['users/${sub}/*', 'rooms/${group}/*', 'lobby/*'],
    subscribe: ['users/${sub}/*', 'rooms/${group}/*', 'lobby/*', 'telemetry/*'],
  };
  const grantee = (groups: string[]): Grantee => ({ sub: UUID_A, groups });

  it('carries exactly the eligible groups, shared topics as written, and read-only telemetry for Receive only', () => {
    const policy = sessionPolicyFor(grantee(['team-a', 'team-b']), GRANTS, ARN, false);
    for (const topic of [`users/${UUID_A}/x`, 'rooms/team-a/x', 'rooms/team-b/x', 'lobby/x']) {
      expect(policyAllows(policy, 'iot:Publish', `${PREFIX}topic/${topic}`), topic).toBe(true);
      expect(policyAllows(policy, 'iot:Receive', `${PREFIX}topic/${topic}`), topic).toBe(true);
      expect(policyAllows(policy, 'iot:Subscribe', `${PREFIX}topicfilter/${topic}`), topic).toBe(true);
    }
    expect(policyAllows(policy, 'iot:Receive', `${PREFIX}topic/telemetry/sensor-1`)).toBe(true);
    expect(policyAllows(policy, 'iot:Publish', `${PREFIX}topic/telemetry/sensor-1`)).toBe(false);
    expect(policyAllows(policy, 'iot:Publish', `${PREFIX}topic/rooms/team-c/x`)).toBe(false);
    expect(policyAllows(policy, 'iot:Subscribe', `${PREFIX}topicfilter/rooms/team-c/#`)).toBe(false);
    const resources = (JSON.parse(policy) as { Statement: { Resource: string[] }[] }).Statement.flatMap((statement) => statement.Resource);
    expect(resources.filter((resource) => resource.includes('/rooms/'))).toEqual([
      `${PREFIX}topic/rooms/team-a/*`,
      `${PREFIX}topic/rooms/team-b/*`,
      `${PREFIX}topicfilter/rooms/team-a/*`,
      `${PREFIX}topicfilter/rooms/team-b/*`,
    ]);
  });

  it('leaves out a statement that group templates alone would leave without resources (IAM refuses an empty Resource)', () => {
    const policy = JSON.parse(sessionPolicyFor(grantee([]), { publish: ['rooms/${group}/*'], subscribe: ['rooms/${group}/*'] }, ARN, false)) as { Statement: { Action: unknown; Resource: string[] }[] };
    expect(policy.Statement.map((statement) => statement.Action)).toEqual(['iot:Connect']);
    expect(policy.Statement.every((statement) => statement.Resource.length > 0)).toBe(true);
  });

  it('grants iot:RetainPublish on exactly the publish topics when retained messages are allowed', () => {
    const policy = sessionPolicyFor(grantee(['team-a']), GRANTS, ARN, true);
    expect(policyAllows(policy, 'iot:RetainPublish', `${PREFIX}topic/rooms/team-a/x`)).toBe(true);
    expect(policyAllows(policy, 'iot:RetainPublish', `${PREFIX}topic/lobby/x`)).toBe(true);
    expect(policyAllows(policy, 'iot:RetainPublish', `${PREFIX}topic/telemetry/x`)).toBe(false);
    expect(policyAllows(sessionPolicyFor(grantee(['team-a']), GRANTS, ARN, false), 'iot:RetainPublish', `${PREFIX}topic/lobby/x`)).toBe(false);
  });

  it('takes names with replacement patterns literally ($& and friends never expand)', () => {
    // Neither a sub nor an eligible group can hold "$", but the filling must not depend on that.
    const policy = sessionPolicyFor({ sub: 'a$&b', groups: ["g$'", 'h$`'] }, GRANTS, ARN, false);
    expect(policyAllows(policy, 'iot:Publish', `${PREFIX}topic/users/a$&b/x`)).toBe(true);
    expect(policyAllows(policy, 'iot:Publish', `${PREFIX}topic/rooms/g$'/x`)).toBe(true);
    expect(policyAllows(policy, 'iot:Publish', `${PREFIX}topic/rooms/h$\`/x`)).toBe(true);
  });

  it('measures the worst case with MAX_GROUPS groups of the longest eligible name', () => {
    const groups = { prefix: 'app-', max: 3 };
    const worst = worstCaseSessionPolicyLength(GRANTS, ARN, groups, true);
    const names = ['a', 'b', 'c'].map((tail) => `app-${'g'.repeat(MAX_GROUP_NAME_LENGTH - 5)}${tail}`);
    expect(worst).toBeGreaterThanOrEqual(sessionPolicyFor({ sub: 'x'.repeat(128), groups: names }, GRANTS, ARN, true).length);
    expect(worst).toBeGreaterThan(worstCaseSessionPolicyLength(GRANTS, ARN, { prefix: 'app-', max: 2 }, true));
    expect(worst).toBeGreaterThan(worstCaseSessionPolicyLength(GRANTS, ARN, groups, false));
    // Without a ${group} template the group count does not matter.
    expect(worstCaseSessionPolicyLength(DEFAULTS, ARN, { prefix: undefined, max: 20 }, false)).toBe(worstCaseSessionPolicyLength(DEFAULTS, ARN, NO_GROUPS, false));
  });
});

describe('roleSessionNameFor', () => {
  const STS_NAME = /^[\w+=,.@-]{2,64}$/;

  it('uses a Cognito sub as it is, so CloudTrail names the user', () => {
    expect(roleSessionNameFor('8f2c1e7a-1b2c-4d3e-9f00-0123456789ab')).toBe('8f2c1e7a-1b2c-4d3e-9f00-0123456789ab');
  });

  it.each([
    ['a 1-character sub', 'a'],
    ['a sub with colons', 'eu-west-1:8f2c1e7a-1b2c'],
    ['a 128-character sub', 'q'.repeat(128)],
  ])('fits %s into STS rules and keeps it recognisable', (_label, sub) => {
    const name = roleSessionNameFor(sub);
    expect(name).toMatch(STS_NAME);
    expect(name.startsWith(sub.slice(0, 8).replace(/:/g, '.'))).toBe(true);
  });

  it('gives different names to subs that clean or truncate alike', () => {
    expect(roleSessionNameFor('a:b')).not.toBe(roleSessionNameFor('a.b'));
    // A sub that looks like a derived name is derived itself, so it cannot take another sub's name.
    const derived = roleSessionNameFor('a:b');
    expect(roleSessionNameFor(derived)).not.toBe(derived);
    expect(roleSessionNameFor(`${'z'.repeat(100)}1`)).not.toBe(roleSessionNameFor(`${'z'.repeat(100)}2`));
  });

  it('always satisfies STS for any valid sub', () => {
    fc.assert(fc.property(validSub, (sub) => STS_NAME.test(roleSessionNameFor(sub))), { numRuns: 300 });
  });

  it('never gives two distinct subs one name, including subs built from other subs\' names (property)', () => {
    const sub = fc.oneof(validSub, fc.stringMatching(/^[a-z:.]{1,6}$/));
    const pair = fc.oneof(
      fc.tuple(sub, sub),
      // The attack: take the name derived for one sub and present it as another sub.
      sub.map((first): [string, string] => [first, roleSessionNameFor(first)]),
    ).filter(([a, b]) => a !== b && SUBJECT.test(a) && SUBJECT.test(b));
    fc.assert(fc.property(pair, ([a, b]) => roleSessionNameFor(a) !== roleSessionNameFor(b)), { numRuns: 1000 });
  });
});
