/**
 * The local gateway's IAM policy evaluator and its AWS IoT mapping, rule by rule: what a policy may
 * hold, how wildcards, ARN segments and actions match, and how Allow, Deny and intersections decide.
 * Each test was written against a mutant that survived the rest of the suite (`npm run mutate`).
 *
 * Nothing here calls the code under test at load time: a mutant that broke a module-level call
 * would fail this file's collection, which Stryker's vitest runner does not count as a kill.
 */
import { describe, expect, it } from 'vitest';
import {
  evaluateIntersection,
  evaluatePolicy,
  matchesAction,
  matchesResource,
  matchesWildcard,
  parsePolicy,
  PolicyParseError,
  type ParsedPolicy,
} from '../../local/iam-policy.js';
import { clientRolePolicy, iotArn, iotPermissions } from '../../local/iot-permissions.js';

const scope = { partition: 'aws', region: 'us-east-1', account: '000000000000' };
const ARN = 'arn:aws:iot:us-east-1:000000000000:';
const allow = (Action: unknown, Resource: unknown) => ({ Effect: 'Allow', Action, Resource });

function parseError(document: unknown): PolicyParseError {
  try {
    parsePolicy(document);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyParseError);
    return error as PolicyParseError;
  }
  throw new Error('expected parsePolicy to throw');
}

describe('parsePolicy: the document', () => {
  it('names its error class and keeps the JSON error as the cause', () => {
    const error = parseError('{"Statement": ');
    expect(error.name).toBe('PolicyParseError');
    expect(error.message).toBe('the policy is not valid JSON');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('refuses a document that is not an object', () => {
    for (const document of ['[]', '"x"', '42', 'null', [], null, 42, 'true']) {
      expect(parseError(document).message).toBe('the policy must be a JSON object');
    }
  });

  it('accepts Version, Statement and Id at the top level, nothing else', () => {
    const statement = allow('iot:Connect', '*');
    expect(parsePolicy({ Id: 'x', Version: '2012-10-17', Statement: [statement] }).statements).toHaveLength(1);
    for (const key of ['Statements', 'version', 'id', 'Principal', '']) {
      expect(parseError({ Statement: [statement], [key]: 'x' }).message).toBe(`the top-level element ${key} is not supported`);
    }
  });

  it('accepts both IAM versions or none, and refuses any other', () => {
    const statement = allow('iot:Connect', '*');
    expect(parsePolicy({ Version: '2012-10-17', Statement: statement }).statements).toHaveLength(1);
    expect(parsePolicy({ Version: '2008-10-17', Statement: statement }).statements).toHaveLength(1);
    expect(parsePolicy({ Statement: statement }).statements).toHaveLength(1);
    expect(parseError({ Version: '2020-01-01', Statement: statement }).message).toBe('Version must be "2012-10-17" or "2008-10-17" (received "2020-01-01")');
    expect(parseError({ Version: 20121017, Statement: statement }).message).toBe('Version must be "2012-10-17" or "2008-10-17" (received 20121017)');
    expect(parseError({ Version: '', Statement: statement }).message).toContain('Version must be');
    expect(parseError({ Version: null, Statement: statement }).message).toContain('Version must be');
  });

  it('takes one statement or a list, and refuses none', () => {
    expect(parsePolicy({ Statement: allow('iot:Connect', '*') }).statements).toEqual([{ effect: 'Allow', actions: ['iot:connect'], resources: ['*'] }]);
    expect(parsePolicy({ Statement: [allow('iot:Connect', '*'), { ...allow('iot:Publish', '*'), Effect: 'Deny' }] }).statements).toEqual([
      { effect: 'Allow', actions: ['iot:connect'], resources: ['*'] },
      { effect: 'Deny', actions: ['iot:publish'], resources: ['*'] },
    ]);
    expect(parseError({ Version: '2012-10-17' }).message).toBe('the policy must have at least one Statement');
    expect(parseError({ Statement: [] }).message).toBe('the policy must have at least one Statement');
  });
});

describe('parsePolicy: statements', () => {
  it('refuses a statement that is not an object, naming its index', () => {
    for (const statement of [null, 'x', 42, [allow('iot:Connect', '*')]]) {
      expect(parseError({ Statement: [allow('iot:Connect', '*'), statement] }).message).toBe('Statement[1] must be an object');
    }
  });

  it('accepts Sid, Effect, Action and Resource, and refuses every other element', () => {
    expect(parsePolicy({ Statement: { Sid: 'one', ...allow('iot:Connect', '*') } }).statements).toHaveLength(1);
    for (const key of ['NotAction', 'NotResource', 'Condition', 'Principal', 'sid', 'effect', '']) {
      expect(parseError({ Statement: [{ ...allow('iot:Connect', '*'), [key]: 'x' }] }).message).toBe(`Statement[0].${key} is not supported by this evaluator (only Sid, Effect, Action, Resource)`);
    }
  });

  it('refuses any Effect but Allow and Deny, showing what it got', () => {
    expect(parseError({ Statement: { ...allow('iot:Connect', '*'), Effect: 'allow' } }).message).toBe('Statement[0].Effect must be "Allow" or "Deny" (received "allow")');
    expect(parseError({ Statement: { Action: 'iot:Connect', Resource: '*' } }).message).toBe('Statement[0].Effect must be "Allow" or "Deny" (received undefined)');
    expect(parseError({ Statement: { ...allow('iot:Connect', '*'), Effect: '' } }).message).toContain('Effect must be');
    expect(parsePolicy({ Statement: { ...allow('iot:Connect', '*'), Effect: 'Deny' } }).statements[0]?.effect).toBe('Deny');
  });

  it('needs Action and Resource as a non-empty string or a non-empty list of non-empty strings', () => {
    const actionError = 'Statement[0].Action must be a non-empty string or a non-empty array of non-empty strings';
    const resourceError = 'Statement[0].Resource must be a non-empty string or a non-empty array of non-empty strings';
    for (const bad of [undefined, '', [], [''], ['iot:Connect', ''], [42], ['iot:Connect', null], 42, {}]) {
      expect(parseError({ Statement: { Effect: 'Allow', Action: bad, Resource: '*' } }).message).toBe(actionError);
      expect(parseError({ Statement: { Effect: 'Allow', Action: 'iot:Connect', Resource: bad } }).message).toBe(resourceError);
    }
    expect(parsePolicy({ Statement: allow(['iot:Connect', 'iot:Publish'], ['*', `${ARN}topic/a`]) }).statements[0]).toEqual({
      effect: 'Allow',
      actions: ['iot:connect', 'iot:publish'],
      resources: ['*', `${ARN}topic/a`],
    });
    expect(parsePolicy({ Statement: allow('iot:Connect', 'arn:aws:iot:r:a:x') }).statements[0]?.resources).toEqual(['arn:aws:iot:r:a:x']);
  });

  it('accepts service:action names with IAM wildcards, lower-cased, and refuses any other shape', () => {
    const actions = (action: string) => parsePolicy({ Statement: allow(action, '*') }).statements[0]?.actions;
    expect(actions('*')).toEqual(['*']);
    expect(actions('IOT:Publish')).toEqual(['iot:publish']);
    expect(actions('iot:*')).toEqual(['iot:*']);
    expect(actions('iot:Pub?ish')).toEqual(['iot:pub?ish']);
    expect(actions('a-b0:X')).toEqual(['a-b0:x']);
    for (const action of ['iot', 'iot:', ':Publish', 'iot:Pub lish', 'iot:Publish/x', 'i_t:Publish', 'iot:Publish:x', 'iot::Publish', ' iot:Publish', 'iot:Publish ', '**', 'iot:Publish\n']) {
      expect(parseError({ Statement: allow(action, '*') }).message).toBe(`Statement[0].Action has a malformed action ${JSON.stringify(action)}`);
    }
  });

  it('accepts "*" and ARNs of six segments or more as resources, and refuses the rest', () => {
    const resources = (resource: string) => parsePolicy({ Statement: allow('iot:Connect', resource) }).statements[0]?.resources;
    expect(resources('*')).toEqual(['*']);
    expect(resources(`${ARN}topic/a:b`)).toEqual([`${ARN}topic/a:b`]);
    for (const resource of ['topic/a', 'arn:aws:iot:us-east-1:topic/a', `x${ARN}topic/a`, `ARN:aws:iot:us-east-1:000000000000:topic/a`, '**', 'arn', 'arn:']) {
      expect(parseError({ Statement: allow('iot:Connect', resource) }).message).toBe(`Statement[0].Resource must be "*" or an ARN (received ${JSON.stringify(resource)})`);
    }
    expect(parseError({ Statement: allow('iot:Connect', `${ARN}client/\${iot:ClientId}`) }).message).toBe(
      `Statement[0].Resource uses a policy variable (${JSON.stringify(`${ARN}client/\${iot:ClientId}`)}), which this evaluator does not support`,
    );
    // `$` and `{` alone are no policy variable.
    expect(resources(`${ARN}topic/$/{x}`)).toEqual([`${ARN}topic/$/{x}`]);
  });
});

describe('matchesWildcard', () => {
  it.each([
    ['ab', 'ax', false],
    ['a', 'b', false],
    ['b', 'ab', false],
    ['topic/a', 'xtopic/a', false],
    ['a', 'aa', false],
    ['aa', 'a', false],
    ['', '', true],
    ['', 'a', false],
    ['*', '', true],
    ['**', 'abc', true],
    ['a*', 'a*b', true],
    ['a*b', 'aab', true],
    ['a*b', 'ab', true],
    ['a*b', 'abab', true],
    ['a*b', 'abba', false],
    ['*b', 'ab', true],
    ['?*b', 'xb', true],
    ['?*b', 'b', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a*c*e', 'abcde', true],
    ['a*c*e', 'abcdf', false],
    ['*a', 'ba', true],
    ['x*', 'y', false],
    ['a+#', 'a+#', true],
    ['a+', 'ab', false],
  ])('matches pattern %j against %j: %s', (pattern, value, expected) => {
    expect(matchesWildcard(pattern, value)).toBe(expected);
  });
});

describe('matchesResource and matchesAction', () => {
  it('needs both sides to be ARNs of six segments', () => {
    const topic = `${ARN}topic/a`;
    expect(matchesResource('*rn:aws:iot:us-east-1:000000000000:topic/a', topic)).toBe(false);
    expect(matchesResource(topic, 'xrn:aws:iot:us-east-1:000000000000:topic/a')).toBe(false);
    expect(matchesResource('arn:aws:iot:us-east-1:topic/a', 'arn:aws:iot:us-east-1:topic/a')).toBe(false);
    expect(matchesResource(topic, 'arn:aws:iot:us-east-1:topic/a')).toBe(false);
    expect(matchesResource('arn:aws:iot:us-east-1:topic/*', 'arn:aws:iot:us-east-1:topic/a')).toBe(false);
    expect(matchesResource(topic, topic)).toBe(true);
    expect(matchesResource('*', 'anything at all')).toBe(true);
  });

  it('keeps the colons of the resource part, and matches segment by segment', () => {
    expect(matchesResource(`${ARN}topic/a:b`, `${ARN}topic/ab`)).toBe(false);
    expect(matchesResource(`${ARN}topic/ab`, `${ARN}topic/a:b`)).toBe(false);
    expect(matchesResource(`${ARN}topic/a:b`, `${ARN}topic/a:b`)).toBe(true);
    expect(matchesResource(`${ARN}topic/*`, `${ARN}topic/x:y`)).toBe(true);
    expect(matchesResource(`${ARN}topic/a:*`, `${ARN}topic/a:b:c`)).toBe(true);
    expect(matchesResource('arn:aws:iot:*:000000000000:topic/a', `${ARN}topic/a`)).toBe(true);
    expect(matchesResource('arn:aws:iot:*:topic/a', `${ARN}topic/a`)).toBe(false);
    expect(matchesResource('arn:aws:iot:us-east-1:111111111111:topic/a', `${ARN}topic/a`)).toBe(false);
  });

  it('never lets a * in the account swallow a colon of the resource part', () => {
    expect(matchesResource('arn:aws:iot:us-east-1:*:b', `${ARN}a:b`)).toBe(false);
    expect(matchesResource('arn:aws:iot:us-east-1:*:a:b', `${ARN}a:b`)).toBe(true);
    expect(matchesResource('arn:aws:iot:*:000000000000:b', 'arn:aws:iot:us-east-1:000000000000:a:b')).toBe(false);
  });

  it('compares actions case-insensitively through the lower-cased pattern', () => {
    expect(matchesAction('iot:publish', 'iot:Publish')).toBe(true);
    expect(matchesAction('iot:publish', 'IOT:PUBLISH')).toBe(true);
    expect(matchesAction('iot:*', 'iot:Receive')).toBe(true);
    expect(matchesAction('iot:publish', 'iot:RetainPublish')).toBe(false);
  });
});

describe('evaluatePolicy and evaluateIntersection', () => {
  const topic = (name: string) => `${ARN}topic/${name}`;

  it('needs both the action and the resource of a statement to match', () => {
    const policy = parsePolicy({ Statement: allow('iot:Publish', topic('a')) });
    expect(evaluatePolicy(policy, 'iot:Publish', topic('a'))).toBe('allow');
    expect(evaluatePolicy(policy, 'iot:Receive', topic('a'))).toBe('implicit-deny');
    expect(evaluatePolicy(policy, 'iot:Publish', topic('b'))).toBe('implicit-deny');
  });

  it('lets any matching action or resource of a statement apply it', () => {
    const policy = parsePolicy({ Statement: allow(['iot:Receive', 'iot:Publish'], [topic('b'), topic('a')]) });
    expect(evaluatePolicy(policy, 'iot:Publish', topic('a'))).toBe('allow');
    expect(evaluatePolicy(policy, 'iot:Receive', topic('b'))).toBe('allow');
  });

  it('lets a Deny win whatever the order of statements, and only where it applies', () => {
    const denyFirst = parsePolicy({ Statement: [{ Effect: 'Deny', Action: 'iot:Publish', Resource: topic('a') }, allow('iot:*', '*')] });
    const denyLast = parsePolicy({ Statement: [allow('iot:*', '*'), { Effect: 'Deny', Action: 'iot:Publish', Resource: topic('a') }] });
    for (const policy of [denyFirst, denyLast]) {
      expect(evaluatePolicy(policy, 'iot:Publish', topic('a'))).toBe('explicit-deny');
      expect(evaluatePolicy(policy, 'iot:Publish', topic('b'))).toBe('allow');
      expect(evaluatePolicy(policy, 'iot:Receive', topic('a'))).toBe('allow');
    }
    const denyOnly = parsePolicy({ Statement: { Effect: 'Deny', Action: 'iot:Publish', Resource: topic('a') } });
    expect(evaluatePolicy(denyOnly, 'iot:Publish', topic('b'))).toBe('implicit-deny');
  });

  it('allows with an intersection only when every policy allows, a Deny anywhere winning', () => {
    const a = parsePolicy({ Statement: allow('iot:Publish', topic('*')) });
    const b = parsePolicy({ Statement: allow('iot:Publish', topic('x/*')) });
    const deny = parsePolicy({ Statement: [allow('iot:*', '*'), { Effect: 'Deny', Action: 'iot:Publish', Resource: topic('x/secret') }] });
    const none: ParsedPolicy = parsePolicy({ Statement: allow('iot:Connect', '*') });
    expect(evaluateIntersection([a], 'iot:Publish', topic('y'))).toBe('allow');
    expect(evaluateIntersection([a, b], 'iot:Publish', topic('x/1'))).toBe('allow');
    expect(evaluateIntersection([a, b], 'iot:Publish', topic('y'))).toBe('implicit-deny');
    expect(evaluateIntersection([b, a], 'iot:Publish', topic('y'))).toBe('implicit-deny');
    expect(evaluateIntersection([none, deny], 'iot:Publish', topic('x/secret'))).toBe('explicit-deny');
    expect(evaluateIntersection([deny, none], 'iot:Publish', topic('x/secret'))).toBe('explicit-deny');
    expect(evaluateIntersection([a, deny], 'iot:Publish', topic('x/1'))).toBe('allow');
    expect(evaluateIntersection([], 'iot:Publish', topic('y'))).toBe('implicit-deny');
  });
});

describe('iotArn, iotPermissions and clientRolePolicy', () => {
  it('builds the ARN of an IoT resource from the endpoint scope', () => {
    expect(iotArn({ partition: 'aws-cn', region: 'cn-north-1', account: '123456789012' }, 'topic/a')).toBe('arn:aws-cn:iot:cn-north-1:123456789012:topic/a');
  });

  it('needs iot:RetainPublish as well as iot:Publish for a retained PUBLISH, and iot:Publish for any', () => {
    const retainOnly = parsePolicy({ Statement: allow('iot:RetainPublish', `${ARN}topic/a`) });
    const publishOnly = parsePolicy({ Statement: allow('iot:Publish', `${ARN}topic/a`) });
    const both = parsePolicy({ Statement: allow(['iot:Publish', 'iot:RetainPublish'], `${ARN}topic/a`) });
    expect(iotPermissions(scope, [retainOnly]).publish('a', true)).toBe('implicit-deny');
    expect(iotPermissions(scope, [retainOnly]).publish('a', false)).toBe('implicit-deny');
    expect(iotPermissions(scope, [publishOnly]).publish('a', true)).toBe('implicit-deny');
    expect(iotPermissions(scope, [publishOnly]).publish('a', false)).toBe('allow');
    expect(iotPermissions(scope, [both]).publish('a', true)).toBe('allow');
  });

  it('checks each operation with its own action and resource type', () => {
    const policy = parsePolicy({
      Statement: [
        allow('iot:Connect', `${ARN}client/c1`),
        allow('iot:Subscribe', `${ARN}topicfilter/f/+`),
        allow('iot:Receive', `${ARN}topic/r`),
        allow('iot:Publish', `${ARN}topic/p`),
      ],
    });
    const permissions = iotPermissions(scope, [policy]);
    expect(permissions.connect('c1')).toBe('allow');
    expect(permissions.connect('c2')).toBe('implicit-deny');
    expect(permissions.subscribe('f/+')).toBe('allow');
    expect(permissions.subscribe('r')).toBe('implicit-deny');
    expect(permissions.receive('r')).toBe('allow');
    expect(permissions.receive('p')).toBe('implicit-deny');
    expect(permissions.publish('p', false)).toBe('allow');
    expect(permissions.publish('r', false)).toBe('implicit-deny');
  });

  it('builds the client role policy the construct deploys: UUID client IDs, widened templates, retain only when allowed', () => {
    const templates = { publish: ['users/${sub}/*', 'rooms/${group}/*', 'lobby', 'users/${sub}/*'], subscribe: ['users/${sub}/*', 'feed/${group}'] };
    const role = clientRolePolicy(scope, templates);
    expect(role.statements).toEqual([
      { effect: 'Allow', actions: ['iot:connect'], resources: [`${ARN}client/????????-????-????-????-????????????`, `${ARN}client/????????-????-????-????-????????????-*`] },
      { effect: 'Allow', actions: ['iot:publish'], resources: [`${ARN}topic/users/*/*`, `${ARN}topic/rooms/*/*`, `${ARN}topic/lobby`] },
      { effect: 'Allow', actions: ['iot:receive'], resources: [`${ARN}topic/users/*/*`, `${ARN}topic/feed/*`] },
      { effect: 'Allow', actions: ['iot:subscribe'], resources: [`${ARN}topicfilter/users/*/*`, `${ARN}topicfilter/feed/*`] },
    ]);
    const withRetain = clientRolePolicy(scope, templates, true);
    expect(withRetain.statements[2]).toEqual({ effect: 'Allow', actions: ['iot:retainpublish'], resources: [`${ARN}topic/users/*/*`, `${ARN}topic/rooms/*/*`, `${ARN}topic/lobby`] });
    expect(withRetain.statements).toHaveLength(5);
    const permissions = iotPermissions(scope, [withRetain]);
    expect(permissions.publish('rooms/team-a/x', true)).toBe('allow');
    expect(permissions.publish('feed/team-a', false)).toBe('implicit-deny');
    expect(permissions.connect('596b9587-08f9-42c8-922e-37acb226da76-tab')).toBe('allow');
    expect(permissions.connect('device-1')).toBe('implicit-deny');
  });
});
