/**
 * `${group}` grants through the handler: the `cognito:groups` claim as API Gateway's payload 2.0
 * delivers it (`"[a b]"`) and as a JSON array, eligibility, the limit, the session cache key, and
 * what the response and the request log say. STS is a recording stand-in behind the real
 * per-user credential source, so every session policy sent is inspected.
 */
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../lambda/handler.js';
import { parseConfig, type PerUserScope } from '../../lambda/vending/config.js';
import { perUserCredentialSource, type AssumeRoleRequest } from '../../lambda/vending/credentials.js';
import type { RequestLogRecord } from '../../lambda/vending/logger.js';
import { COGNITO_ENV, bodyOf, idTokenClaims, mqttUrlEvent, policyAllows } from './helpers.js';

const ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com';
const ROLE = 'arn:aws:iam::123456789012:role/mqtt-client';
const ARN_PREFIX = 'arn:aws:iot:eu-west-1:123456789012:';
const ALICE = '0a11ce00-1b2c-4d3e-9f00-0123456789ab';
const GRANTS = {
  PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*","lobby/*"]',
  SUBSCRIBE_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*","lobby/*","telemetry/*"]',
};

/** A handler over a recording STS; `env` adds to the per-user configuration with the demo grants. */
function makeHandler(env: Record<string, string> = {}) {
  const config = parseConfig({ ...COGNITO_ENV, IOT_ENDPOINT: ENDPOINT, CLIENT_ROLE_ARN: ROLE, ...GRANTS, ...env });
  const requests: AssumeRoleRequest[] = [];
  const records: RequestLogRecord[] = [];
  const credentials = perUserCredentialSource({
    scope: config.scope as PerUserScope,
    templates: config.templates,
    allowRetain: config.allowRetain,
    urlTtlSeconds: config.urlTtlSeconds,
    assumeRole: async (request) => {
      requests.push(request);
      return { accessKeyId: `ASIASESSION${String(requests.length).padStart(9, '0')}`, secretAccessKey: 'secret', sessionToken: 'token', expiresAtMs: Date.now() + 3_600_000 };
    },
  });
  const handler = createHandler(config, { credentials, log: (record) => records.push(record) });
  return { handler, requests, records };
}

function withGroups(groups: string | string[], sub = ALICE): Record<string, string> {
  return { ...idTokenClaims(sub), 'cognito:groups': groups as string };
}

/** The group rooms a session policy grants, by the actions it allows on them. */
function roomsIn(policy: string, candidates: readonly string[]): string[] {
  return candidates.filter((group) => policyAllows(policy, 'iot:Publish', `${ARN_PREFIX}topic/rooms/${group}/x`));
}

const CANDIDATES = ['team-a', 'team-b', 'team-c', 'a*b', 'x/y', 'a', 'b', 'x', 'y', '*', 'app-1'];

describe('cognito:groups', () => {
  it.each<[string, string | string[]]>([
    ['payload 2.0 form "[a b]"', '[team-a team-b]'],
    ['a JSON array', ['team-b', 'team-a']],
  ])('grants exactly the eligible groups from %s, in policy and response', async (_label, groups) => {
    const { handler, requests, records } = makeHandler();
    const result = await handler(mqttUrlEvent(withGroups(groups)));
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)['topics']).toEqual({
      publish: [`users/${ALICE}/*`, 'rooms/team-a/*', 'rooms/team-b/*', 'lobby/*'],
      subscribe: [`users/${ALICE}/*`, 'rooms/team-a/*', 'rooms/team-b/*', 'lobby/*', 'telemetry/*'],
    });
    const policy = requests[0]?.policy ?? '';
    expect(roomsIn(policy, CANDIDATES)).toEqual(['team-a', 'team-b']);
    expect(policyAllows(policy, 'iot:Subscribe', `${ARN_PREFIX}topicfilter/rooms/team-c/#`)).toBe(false);
    expect(records[0]).toMatchObject({ outcome: 'ok', groups: 2, ineligibleGroups: 0 });
  });

  it('grants nothing for an ineligible group (a*b, x/y, white space, $) and counts it in the log', async () => {
    const { handler, requests, records } = makeHandler();
    const result = await handler(mqttUrlEvent(withGroups(['team-a', 'a*b', 'x/y', 'with space', '${sub}', 'ü'])));
    expect(result.statusCode).toBe(200);
    const policy = requests[0]?.policy ?? '';
    expect(roomsIn(policy, CANDIDATES)).toEqual(['team-a']);
    // a*b would have been a wildcard in the ARN: nothing of the form rooms/a…b is reachable.
    expect(policyAllows(policy, 'iot:Publish', `${ARN_PREFIX}topic/rooms/aXXb/x`)).toBe(false);
    expect(policy).not.toMatch(/a\*b|x\/y|with space|ü/);
    expect((bodyOf(result)['topics'] as { publish: string[] }).publish).toEqual([`users/${ALICE}/*`, 'rooms/team-a/*', 'lobby/*']);
    expect(records[0]).toMatchObject({ groups: 1, ineligibleGroups: 5 });
  });

  it('never reads a group name that looks like a JSON array as several groups (privilege escalation)', async () => {
    const { handler, requests, records } = makeHandler();
    // One Cognito group named "team-a","team-b" (quotes and commas are allowed in group names), and
    // two groups named "team-a", and "team-b": payload 2.0 delivers both as JSON-looking strings.
    for (const claim of ['["team-a","team-b"]', '["team-a", "team-b"]']) {
      const result = await handler(mqttUrlEvent(withGroups(claim)));
      expect(result.statusCode).toBe(200);
      expect((bodyOf(result)['topics'] as { publish: string[] }).publish).toEqual([`users/${ALICE}/*`, 'lobby/*']);
    }
    for (const request of requests) expect(roomsIn(request.policy, CANDIDATES)).toEqual([]);
    expect(records.map((record) => record.groups)).toEqual([0, 0]);
  });

  it('keeps only the groups starting with GROUP_PREFIX', async () => {
    const { handler, requests, records } = makeHandler({ GROUP_PREFIX: 'app-' });
    expect((await handler(mqttUrlEvent(withGroups('[app-1 team-a admins]')))).statusCode).toBe(200);
    expect(roomsIn(requests[0]?.policy ?? '', CANDIDATES)).toEqual(['app-1']);
    expect(records[0]).toMatchObject({ groups: 1, ineligibleGroups: 2 });
  });

  it('answers 403 too_many_groups, naming the limit, before any STS call', async () => {
    const { handler, requests, records } = makeHandler({ MAX_GROUPS: '2' });
    const result = await handler(mqttUrlEvent(withGroups('[a b x]')));
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result)).toEqual({ error: { code: 'too_many_groups', message: 'This identity belongs to more than 2 eligible groups, the most this service grants.' } });
    expect(requests).toHaveLength(0);
    expect(records[0]).toMatchObject({ outcome: 'too_many_groups', status: 403 });
    // Ineligible groups do not count towards the limit, and repeats count once.
    expect((await handler(mqttUrlEvent(withGroups('[a b b a*b x/y]')))).statusCode).toBe(200);
  });

  it('assumes a new session when the group set changes, and reuses it while it does not', async () => {
    const { handler, requests, records } = makeHandler();
    await handler(mqttUrlEvent(withGroups('[team-a]')));
    await handler(mqttUrlEvent(withGroups('[team-a]')));
    await handler(mqttUrlEvent(withGroups('[team-a team-b]')));
    await handler(mqttUrlEvent(withGroups('[team-b team-a]')));
    await handler(mqttUrlEvent(idTokenClaims(ALICE)));
    expect(records.map((record) => record.cache)).toEqual(['miss', 'hit', 'miss', 'hit', 'miss']);
    expect(requests.map((request) => roomsIn(request.policy, CANDIDATES))).toEqual([['team-a'], ['team-a', 'team-b'], []]);
    // A user without groups still gets the private and shared grants, and no empty statement.
    const last = JSON.parse(requests[2]?.policy ?? '{}') as { Statement: { Resource: string[] }[] };
    expect(last.Statement.every((statement) => statement.Resource.length > 0)).toBe(true);
  });

  it('ignores cognito:groups entirely when no template uses ${group}', async () => {
    const { handler, requests, records } = makeHandler({ PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/*"]', SUBSCRIBE_TOPIC_TEMPLATES: '["users/${sub}/*"]', MAX_GROUPS: '1' });
    const result = await handler(mqttUrlEvent(withGroups('[a b c d e]')));
    expect(result.statusCode).toBe(200);
    await handler(mqttUrlEvent(withGroups('[f]')));
    expect(requests).toHaveLength(1);
    expect(records[0]?.groups).toBeUndefined();
  });

  it('grants iot:RetainPublish on the publish topics with ALLOW_RETAIN=true, and not otherwise', async () => {
    const retained = makeHandler({ ALLOW_RETAIN: 'true' });
    await retained.handler(mqttUrlEvent(withGroups('[team-a]')));
    const policy = retained.requests[0]?.policy ?? '';
    expect(policyAllows(policy, 'iot:RetainPublish', `${ARN_PREFIX}topic/rooms/team-a/x`)).toBe(true);
    expect(policyAllows(policy, 'iot:RetainPublish', `${ARN_PREFIX}topic/telemetry/x`)).toBe(false);
    const plain = makeHandler();
    await plain.handler(mqttUrlEvent(withGroups('[team-a]')));
    expect(policyAllows(plain.requests[0]?.policy ?? '', 'iot:RetainPublish', `${ARN_PREFIX}topic/rooms/team-a/x`)).toBe(false);
  });
});
