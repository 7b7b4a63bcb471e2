import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../lambda/vending/errors.js';
import {
  MAX_SESSION_POLICY_CHARS,
  clientIdFor,
  parseClientSuffix,
  roleSessionNameFor,
  sessionPolicyFor,
  topicsFor,
  type IotArnContext,
  type TopicTemplates,
} from '../../lambda/vending/scope.js';
import { policyAllows } from './helpers.js';

const ARN: IotArnContext = { partition: 'aws', region: 'eu-west-1', account: '123456789012' };
const DEFAULTS: TopicTemplates = { publish: ['users/${sub}/*'], subscribe: ['users/${sub}/*'] };
const PREFIX = 'arn:aws:iot:eu-west-1:123456789012:';
const validSub = fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,128}$/);

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

describe('clientIdFor and topicsFor', () => {
  it('builds <sub>[-<suffix>]', () => {
    expect(clientIdFor('alice', undefined)).toBe('alice');
    expect(clientIdFor('alice', 'tab1')).toBe('alice-tab1');
  });

  it('substitutes every ${sub} and keeps template order', () => {
    const templates: TopicTemplates = { publish: ['a/${sub}/b/${sub}', 'x/${sub}'], subscribe: ['c/${sub}/#'] };
    expect(topicsFor(templates, 'u1')).toEqual({ publish: ['a/u1/b/u1', 'x/u1'], subscribe: ['c/u1/#'] });
  });
});

describe('sessionPolicyFor', () => {
  it('confines the default templates to the caller, as compact JSON', () => {
    const policy = sessionPolicyFor('alice', DEFAULTS, ARN);
    expect(policy).not.toMatch(/\s/);
    expect(JSON.parse(policy)).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:Connect', Resource: [`${PREFIX}client/alice`, `${PREFIX}client/alice-*`] },
        { Effect: 'Allow', Action: 'iot:Publish', Resource: [`${PREFIX}topic/users/alice/*`] },
        { Effect: 'Allow', Action: 'iot:Receive', Resource: [`${PREFIX}topic/users/alice/*`] },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: [`${PREFIX}topicfilter/users/alice/*`] },
      ],
    });
  });

  it('covers custom templates: Publish on the publish list, Receive and Subscribe on the subscribe list, MQTT wildcards literal', () => {
    const templates: TopicTemplates = {
      publish: ['devices/${sub}/telemetry', 'chat/${sub}/+'],
      subscribe: ['devices/${sub}/commands/#', 'devices/${sub}/telemetry'],
    };
    const doc = JSON.parse(sessionPolicyFor('dev-7', templates, { partition: 'aws-cn', region: 'cn-north-1', account: '210987654321' })) as {
      Statement: { Resource: string[] }[];
    };
    const p = 'arn:aws-cn:iot:cn-north-1:210987654321:';
    expect(doc.Statement.map((s) => (s as { Action?: unknown }).Action)).toEqual(['iot:Connect', 'iot:Publish', 'iot:Receive', 'iot:Subscribe']);
    expect(doc.Statement[1]?.Resource).toEqual([`${p}topic/devices/dev-7/telemetry`, `${p}topic/chat/dev-7/+`]);
    expect(doc.Statement[2]?.Resource).toEqual([`${p}topic/devices/dev-7/commands/#`, `${p}topic/devices/dev-7/telemetry`]);
    expect(doc.Statement[3]?.Resource).toEqual([`${p}topicfilter/devices/dev-7/commands/#`, `${p}topicfilter/devices/dev-7/telemetry`]);
  });

  it('leaves out statements with no resources', () => {
    const doc = JSON.parse(sessionPolicyFor('alice', { publish: [], subscribe: [] }, ARN)) as { Statement: { Action: unknown }[] };
    expect(doc.Statement.map((s) => s.Action)).toEqual(['iot:Connect']);
  });

  it('grants Publish only on publish templates and Receive only on subscribe templates', () => {
    const policy = sessionPolicyFor('alice', { publish: ['out/${sub}/*'], subscribe: ['in/${sub}/*'] }, ARN);
    expect(policyAllows(policy, 'iot:Publish', `${PREFIX}topic/out/alice/x`)).toBe(true);
    expect(policyAllows(policy, 'iot:Publish', `${PREFIX}topic/in/alice/x`)).toBe(false);
    expect(policyAllows(policy, 'iot:Receive', `${PREFIX}topic/in/alice/x`)).toBe(true);
    expect(policyAllows(policy, 'iot:Receive', `${PREFIX}topic/out/alice/x`)).toBe(false);
  });

  it('allows the caller its own client IDs and topics, and nothing of another user', () => {
    const policy = sessionPolicyFor('alice', DEFAULTS, ARN);
    expect(policyAllows(policy, 'iot:Connect', `${PREFIX}client/alice`)).toBe(true);
    expect(policyAllows(policy, 'iot:Connect', `${PREFIX}client/alice-tab1`)).toBe(true);
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
        const policy = sessionPolicyFor(sub, DEFAULTS, ARN);
        expect(policy.length).toBeLessThanOrEqual(MAX_SESSION_POLICY_CHARS);
        // Every resource names this sub and only it.
        const resources = (JSON.parse(policy) as { Statement: { Resource: string[] }[] }).Statement.flatMap((s) => s.Resource);
        for (const resource of resources) expect(resource).toMatch(new RegExp(`/${sub.replace(/[.]/g, '\\.')}(?:/|-\\*$|$)`));
      }),
      { numRuns: 200 },
    );
  });

  it('fits a 128-character sub with several templates, and the worst case is known', () => {
    const several: TopicTemplates = {
      publish: ['app/${sub}/out/*', 'chat/rooms/${sub}/*', 'telemetry/${sub}'],
      subscribe: ['app/${sub}/in/*', 'chat/rooms/${sub}/*'],
    };
    const policy = sessionPolicyFor('s'.repeat(128), several, { partition: 'aws-us-gov', region: 'us-gov-west-1', account: '123456789012' });
    expect(policy.length).toBeLessThanOrEqual(MAX_SESSION_POLICY_CHARS);
    expect(policy.length).toBeGreaterThan(1500);
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
    expect(roleSessionNameFor(`${'z'.repeat(100)}1`)).not.toBe(roleSessionNameFor(`${'z'.repeat(100)}2`));
  });

  it('always satisfies STS for any valid sub', () => {
    fc.assert(fc.property(validSub, (sub) => STS_NAME.test(roleSessionNameFor(sub))), { numRuns: 300 });
  });
});
