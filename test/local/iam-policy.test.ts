import { describe, expect, it } from 'vitest';
import {
  evaluateIntersection,
  evaluatePolicy,
  matchesResource,
  matchesWildcard,
  parsePolicy,
  PolicyParseError,
} from '../../local/iam-policy.js';
import { clientRolePolicy, iotArn, iotPermissions } from '../../local/iot-permissions.js';

const scope = { partition: 'aws', region: 'us-east-1', account: '000000000000' };
const arn = (resource: string): string => iotArn(scope, resource);

describe('matchesWildcard', () => {
  it.each([
    ['users/*', 'users/abc/chat', true],
    ['users/*', 'users/', true],
    ['users/*', 'users', false],
    ['users/?', 'users/a', true],
    ['users/?', 'users/ab', false],
    ['*', '', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'aXbY', false],
    ['a**', 'a', true],
    ['users/+/chat', 'users/abc/chat', false],
    ['users/+/chat', 'users/+/chat', true],
    ['users/#', 'users/abc', false],
    ['users/#', 'users/#', true],
  ])('%s vs %s → %s', (pattern, value, expected) => {
    expect(matchesWildcard(pattern, value)).toBe(expected);
  });

  it('stays fast on a pathological pattern', () => {
    const started = performance.now();
    expect(matchesWildcard(`${'*a'.repeat(50)}b`, 'a'.repeat(5000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('matchesResource', () => {
  it('matches segment by segment: a * in the region does not swallow the account', () => {
    expect(matchesResource('arn:aws:iot:*:000000000000:topic/a', arn('topic/a'))).toBe(true);
    expect(matchesResource('arn:aws:iot:*:topic/a', arn('topic/a'))).toBe(false);
  });

  it('lets * in the resource part span / and :', () => {
    expect(matchesResource(arn('client/*'), arn('client/us-east-1:abc/def'))).toBe(true);
  });

  it('compares resources case-sensitively', () => {
    expect(matchesResource(arn('topic/Users/*'), arn('topic/users/a'))).toBe(false);
  });

  it('treats "*" as every resource and refuses non-ARNs', () => {
    expect(matchesResource('*', arn('topic/a'))).toBe(true);
    expect(matchesResource(arn('topic/a'), 'topic/a')).toBe(false);
  });
});

describe('parsePolicy', () => {
  it('accepts JSON text, single statements and string Action/Resource', () => {
    const policy = parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'iot:Connect', Resource: '*' } }));
    expect(policy.statements).toEqual([{ effect: 'Allow', actions: ['iot:connect'], resources: ['*'] }]);
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['no statements', { Version: '2012-10-17', Statement: [] }, /at least one Statement/],
    ['a bad effect', { Statement: [{ Effect: 'allow', Action: '*', Resource: '*' }] }, /Effect must be "Allow" or "Deny"/],
    ['a Condition', { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: {} }] }, /Condition is not supported/],
    ['NotResource', { Statement: [{ Effect: 'Allow', Action: '*', NotResource: '*' }] }, /NotResource is not supported/],
    ['a policy variable', { Statement: [{ Effect: 'Allow', Action: '*', Resource: arn('client/${iot:ClientId}') }] }, /policy variable/],
    ['a non-ARN resource', { Statement: [{ Effect: 'Allow', Action: '*', Resource: 'topic/a' }] }, /must be "\*" or an ARN/],
    ['an empty Action list', { Statement: [{ Effect: 'Allow', Action: [], Resource: '*' }] }, /Action must be a non-empty/],
    ['an unknown version', { Version: '2020-01-01', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }, /Version must be/],
  ])('refuses %s with a specific error', (_name, document, message) => {
    expect(() => parsePolicy(document)).toThrow(PolicyParseError);
    expect(() => parsePolicy(document)).toThrow(message);
  });
});

describe('evaluatePolicy / evaluateIntersection', () => {
  const allowUsers = parsePolicy({
    Statement: [{ Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: [arn('topic/users/*')] }],
  });
  const denySecret = parsePolicy({
    Statement: [
      { Effect: 'Allow', Action: 'iot:*', Resource: '*' },
      { Effect: 'Deny', Action: 'iot:Publish', Resource: arn('topic/users/secret') },
    ],
  });

  it('allows only matching action and resource, actions case-insensitively', () => {
    expect(evaluatePolicy(allowUsers, 'iot:Publish', arn('topic/users/a'))).toBe('allow');
    expect(evaluatePolicy(allowUsers, 'IOT:PUBLISH', arn('topic/users/a'))).toBe('allow');
    expect(evaluatePolicy(allowUsers, 'iot:Subscribe', arn('topic/users/a'))).toBe('implicit-deny');
    expect(evaluatePolicy(allowUsers, 'iot:Publish', arn('topic/other'))).toBe('implicit-deny');
  });

  it('lets an explicit Deny win over any Allow', () => {
    expect(evaluatePolicy(denySecret, 'iot:Publish', arn('topic/users/secret'))).toBe('explicit-deny');
    expect(evaluatePolicy(denySecret, 'iot:Receive', arn('topic/users/secret'))).toBe('allow');
  });

  it('needs every policy to allow, and honours a Deny in any of them', () => {
    const narrow = parsePolicy({ Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: arn('topic/users/a/*') }] });
    expect(evaluateIntersection([allowUsers, narrow], 'iot:Publish', arn('topic/users/a/x'))).toBe('allow');
    expect(evaluateIntersection([allowUsers, narrow], 'iot:Publish', arn('topic/users/b/x'))).toBe('implicit-deny');
    expect(evaluateIntersection([allowUsers, narrow], 'iot:Receive', arn('topic/users/a/x'))).toBe('implicit-deny');
    expect(evaluateIntersection([allowUsers, denySecret], 'iot:Publish', arn('topic/users/secret'))).toBe('explicit-deny');
    expect(evaluateIntersection([], 'iot:Publish', arn('topic/users/a'))).toBe('implicit-deny');
  });
});

describe('iotPermissions and the client role policy', () => {
  const templates = { publish: ['users/${sub}/*'], subscribe: ['users/${sub}/*', 'broadcast/${sub}'] };
  const role = clientRolePolicy(scope, templates);
  // Client IDs are Cognito subs (UUIDs): the role's Connect ceiling admits nothing else.
  const ALICE = '11111111-2222-3333-4444-555555555555';
  const BOB = '66666666-7777-8888-9999-000000000000';
  const session = parsePolicy({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: [arn(`client/${ALICE}`), arn(`client/${ALICE}-*`)] },
      { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: [arn('topic/users/alice/*')] },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: [arn('topicfilter/users/alice/*')] },
    ],
  });
  const alice = iotPermissions(scope, [role, session]);

  it('widens ${sub} to * in the role policy and grants UUID-shaped client IDs only', () => {
    const roleOnly = iotPermissions(scope, [role]);
    expect(roleOnly.connect('596b9587-08f9-42c8-922e-37acb226da76')).toBe('allow');
    expect(roleOnly.connect('596b9587-08f9-42c8-922e-37acb226da76-tab1')).toBe('allow');
    expect(roleOnly.connect('anyone')).toBe('implicit-deny');
    expect(roleOnly.connect('production-device-0001')).toBe('implicit-deny');
    expect(roleOnly.publish('users/bob/chat', false)).toBe('allow');
    expect(roleOnly.receive('broadcast/bob')).toBe('allow');
    expect(roleOnly.subscribe('broadcast/bob')).toBe('allow');
    expect(roleOnly.publish('elsewhere', false)).toBe('implicit-deny');
  });

  it('widens ${group} to * as well, keeps shared templates as written, and adds iot:RetainPublish on the publish templates only with allowRetain', () => {
    const grants = { publish: ['users/${sub}/*', 'rooms/${group}/*', 'lobby/*'], subscribe: ['rooms/${group}/*', 'telemetry/*'] };
    const plain = iotPermissions(scope, [clientRolePolicy(scope, grants)]);
    expect(plain.publish('rooms/team-a/chat', false)).toBe('allow');
    expect(plain.publish('lobby/chat', false)).toBe('allow');
    expect(plain.subscribe('rooms/team-b/#')).toBe('allow');
    expect(plain.receive('telemetry/sensor-1')).toBe('allow');
    expect(plain.publish('telemetry/sensor-1', false)).toBe('implicit-deny');
    expect(plain.publish('lobby/chat', true)).toBe('implicit-deny');
    const retaining = iotPermissions(scope, [clientRolePolicy(scope, grants, true)]);
    expect(retaining.publish('lobby/chat', true)).toBe('allow');
    expect(retaining.publish('rooms/team-a/chat', true)).toBe('allow');
    expect(retaining.publish('users/bob/state', true)).toBe('allow');
    expect(retaining.publish('telemetry/sensor-1', true)).toBe('implicit-deny');
  });

  it('maps CONNECT to iot:Connect on client/<id>', () => {
    expect(alice.connect(ALICE)).toBe('allow');
    expect(alice.connect(`${ALICE}-tab2`)).toBe('allow');
    expect(alice.connect(BOB)).toBe('implicit-deny');
    expect(alice.connect(`${BOB}-tab2`)).toBe('implicit-deny');
    expect(alice.connect(`${ALICE}x`)).toBe('implicit-deny');
  });

  it('maps SUBSCRIBE to iot:Subscribe on topicfilter/<filter>, MQTT wildcards literal', () => {
    expect(alice.subscribe('users/alice/#')).toBe('allow');
    expect(alice.subscribe('users/alice/+')).toBe('allow');
    expect(alice.subscribe('users/+/chat')).toBe('implicit-deny');
    expect(alice.subscribe('#')).toBe('implicit-deny');
    expect(alice.subscribe('users/bob/#')).toBe('implicit-deny');
  });

  it('maps PUBLISH to iot:Publish, and a retained PUBLISH also needs iot:RetainPublish', () => {
    expect(alice.publish('users/alice/chat', false)).toBe('allow');
    expect(alice.publish('users/alice/chat', true)).toBe('implicit-deny');
    expect(alice.publish('users/bob/chat', false)).toBe('implicit-deny');
    const retaining = iotPermissions(scope, [parsePolicy({ Statement: [{ Effect: 'Allow', Action: ['iot:Publish', 'iot:RetainPublish'], Resource: arn('topic/t') }] })]);
    expect(retaining.publish('t', true)).toBe('allow');
  });

  it('maps delivery to iot:Receive on topic/<topic>', () => {
    expect(alice.receive('users/alice/chat')).toBe('allow');
    expect(alice.receive('users/bob/chat')).toBe('implicit-deny');
  });

  it('checks the endpoint\'s own account and region', () => {
    const elsewhere = iotPermissions({ ...scope, account: '111111111111' }, [role, session]);
    expect(elsewhere.connect('alice')).toBe('implicit-deny');
  });
});
