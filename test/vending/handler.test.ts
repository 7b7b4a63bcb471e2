/**
 * The handler through the real SDK path: `fromTemporaryCredentials` → STS client → HTTP → the
 * loopback STS stand-in (`AWS_ENDPOINT_URL_STS`). Signatures are checked with @smithy/signature-v4.
 */
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../lambda/handler.js';
import { parseConfig, type VendingConfig } from '../../lambda/vending/config.js';
import { perUserCredentialSource, type AssumeRole } from '../../lambda/vending/credentials.js';
import { CredentialsUnavailableError } from '../../lambda/vending/errors.js';
import type { RequestLogRecord } from '../../lambda/vending/logger.js';
import { roleSessionNameFor } from '../../lambda/vending/role-session-name.js';
import { stsAssumeRole, functionCredentials } from '../../lambda/vending/sts-assume-role.js';
import { LocalSts } from '../../local/sts-server.js';
import { COGNITO_ENV, accessTokenClaims, bodyOf, headerOf, idTokenClaims, mqttUrlEvent, parseMqttUrl, policyAllows, smithyPresign } from './helpers.js';

const ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com';
const ROLE = 'arn:aws:iam::123456789012:role/mqtt-client';
const ARN_PREFIX = 'arn:aws:iot:eu-west-1:123456789012:';
// The function's own (Lambda execution role) credentials, as Lambda puts them in the environment.
const OWN = {
  accessKeyId: 'ASIAFUNCTIONROLE0001',
  secretAccessKey: 'function/Secret+Key=0123456789abcdefghij',
  sessionToken: 'FwoGZXIvYXdzEFunctionRoleToken/+=abcdefghijklmnopqrstuvwxyz0123456789',
};

// Cognito-style subs (lower-case UUIDs): only those may ask for a clientSuffix.
const ALICE = '0a11ce00-1b2c-4d3e-9f00-0123456789ab';
const DAVE = '0da7e000-1b2c-4d3e-9f00-0123456789ab';
const ERIN = '0e714000-1b2c-4d3e-9f00-0123456789ab';

const clock = { ms: Date.now() };
const sts = new LocalSts({ now: () => new Date(clock.ms) });
// As on AWS: the client role trusts the function's own (execution role) credentials.
sts.registerCaller(OWN);
sts.trustRole(ROLE, [OWN.accessKeyId]);
let stsUrl = '';

const perUser: VendingConfig = parseConfig({ ...COGNITO_ENV, IOT_ENDPOINT: ENDPOINT, CLIENT_ROLE_ARN: ROLE });
const shared: VendingConfig = parseConfig({ ...COGNITO_ENV, IOT_ENDPOINT: ENDPOINT });

/**
 * A handler with a fresh session cache, logging into `records`; with `sts`, a per-user credential
 * source with that STS deadline and call instead of the defaults.
 */
function makeHandler(config: VendingConfig = perUser, sts?: { deadlineMs: number; assumeRole: AssumeRole }) {
  const records: RequestLogRecord[] = [];
  const now = () => clock.ms;
  const credentials =
    sts === undefined || config.scope.kind !== 'per-user'
      ? undefined
      : perUserCredentialSource({ scope: config.scope, templates: config.templates, allowRetain: config.allowRetain, urlTtlSeconds: config.urlTtlSeconds, now, ...sts });
  const handler = createHandler(config, { now, log: (record) => records.push(record), ...(credentials === undefined ? {} : { credentials }) });
  return { handler, records };
}

function callsFor(sub: string) {
  return sts.calls.filter((call) => call.roleSessionName === sub);
}

function setOwnCredentials(): void {
  process.env['AWS_ACCESS_KEY_ID'] = OWN.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = OWN.secretAccessKey;
  process.env['AWS_SESSION_TOKEN'] = OWN.sessionToken;
}

beforeAll(async () => {
  stsUrl = await sts.start();
  process.env['AWS_ENDPOINT_URL_STS'] = stsUrl;
  setOwnCredentials();
});

afterAll(async () => {
  await sts.stop();
  for (const name of ['AWS_ENDPOINT_URL_STS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete process.env[name];
});

describe('per-user scope against the loopback STS', () => {
  it('vends a URL whose signature verifies with the assumed session, and answers as designed', async () => {
    const { handler, records } = makeHandler();
    const result = await handler(mqttUrlEvent(idTokenClaims(ALICE), { clientSuffix: 'tab-1' }), { awsRequestId: 'lambda-req-1' } as never);
    expect(result.statusCode).toBe(200);
    expect(headerOf(result, 'cache-control')).toBe('no-store');
    expect(headerOf(result, 'content-type')).toBe('application/json');
    const body = bodyOf(result);
    expect(Object.keys(body).sort()).toEqual(['clientId', 'endpoint', 'expiresAt', 'principalId', 'region', 'topics', 'url']);
    expect(body).toMatchObject({
      clientId: `${ALICE}-tab-1`,
      // Cognito mode: the principal is the sub itself.
      principalId: ALICE,
      endpoint: ENDPOINT,
      region: 'eu-west-1',
      topics: { publish: [`users/${ALICE}/*`], subscribe: [`users/${ALICE}/*`] },
    });

    const url = parseMqttUrl(String(body['url']));
    expect(`${url.url.protocol}//${url.url.host}${url.url.pathname}`).toBe(`wss://${ENDPOINT}/mqtt`);
    expect(new Date(String(body['expiresAt'])).getTime()).toBe(url.signingDate.getTime() + 300_000);
    expect(url.url.searchParams.get('X-Amz-Expires')).toBe('300');

    // The URL was signed with the session STS issued for this call, token included unsigned and last.
    const [call] = callsFor(ALICE);
    expect(call).toMatchObject({ roleArn: ROLE, roleSessionName: ALICE, durationSeconds: 3600, callerAccessKeyId: OWN.accessKeyId });
    const session = sts.session(url.accessKeyId);
    expect(session).toBeDefined();
    expect(url.sessionToken).toBe(session?.sessionToken);
    expect([...url.url.searchParams.keys()].slice(-2)).toEqual(['X-Amz-Signature', 'X-Amz-Security-Token']);
    const expected = await smithyPresign(url, { accessKeyId: session?.accessKeyId ?? '', secretAccessKey: session?.secretAccessKey ?? '' }, 'eu-west-1');
    expect(url.signature).toBe(expected['X-Amz-Signature']);
    for (const name of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders']) {
      expect(url.url.searchParams.get(name)).toBe(expected[name]);
    }
    expect(records).toEqual([
      expect.objectContaining({ requestId: 'lambda-req-1', sub: ALICE, clientId: `${ALICE}-tab-1`, outcome: 'ok', status: 200, cache: 'miss' }),
    ]);
  });

  it('sends a session policy that confines the caller to its own client IDs and topics', async () => {
    const { handler } = makeHandler();
    const result = await handler(mqttUrlEvent(accessTokenClaims('carol')));
    expect(result.statusCode).toBe(200);
    const policy = callsFor('carol')[0]?.policy ?? '';
    expect(policy.length).toBeLessThanOrEqual(2048);
    expect(policyAllows(policy, 'iot:Connect', `${ARN_PREFIX}client/carol`)).toBe(true);
    // carol is not a UUID: her exact client ID only, so user "carol-phone" stays safe from her.
    expect(policyAllows(policy, 'iot:Connect', `${ARN_PREFIX}client/carol-phone`)).toBe(false);
    expect(policyAllows(policy, 'iot:Publish', `${ARN_PREFIX}topic/users/carol/chat`)).toBe(true);
    expect(policyAllows(policy, 'iot:Receive', `${ARN_PREFIX}topic/users/carol/chat`)).toBe(true);
    expect(policyAllows(policy, 'iot:Subscribe', `${ARN_PREFIX}topicfilter/users/carol/#`)).toBe(true);
    for (const [action, resource] of [
      ['iot:Connect', 'client/alice'],
      ['iot:Connect', 'client/carolx'],
      ['iot:Publish', 'topic/users/alice/chat'],
      ['iot:Receive', 'topic/users/alice/chat'],
      ['iot:Subscribe', 'topicfilter/users/+/chat'],
      ['iot:Subscribe', 'topicfilter/#'],
      ['iot:Publish', 'topic/$aws/things/x/shadow/update'],
    ] as const) {
      expect(policyAllows(policy, action, `${ARN_PREFIX}${resource}`), `${action} ${resource}`).toBe(false);
    }
  });

  it('serves repeat calls from the cache', async () => {
    const { handler, records } = makeHandler();
    const first = parseMqttUrl(String(bodyOf(await handler(mqttUrlEvent(idTokenClaims(DAVE))))['url']));
    const second = parseMqttUrl(String(bodyOf(await handler(mqttUrlEvent(idTokenClaims(DAVE), { clientSuffix: 'b' })))['url']));
    const third = parseMqttUrl(String(bodyOf(await handler(mqttUrlEvent(accessTokenClaims(DAVE))))['url']));
    expect(callsFor(DAVE)).toHaveLength(1);
    expect(new Set([first.accessKeyId, second.accessKeyId, third.accessKeyId]).size).toBe(1);
    expect(records.map((record) => record.cache)).toEqual(['miss', 'hit', 'hit']);
  });

  it('makes exactly one STS call for 20 concurrent first requests of one sub', async () => {
    // The per-user token bucket (burst 5) is off here: this is about STS, not fairness.
    const { handler, records } = makeHandler(parseConfig({ ...COGNITO_ENV, IOT_ENDPOINT: ENDPOINT, CLIENT_ROLE_ARN: ROLE, USER_RATE_PER_SECOND: '0' }));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => handler(mqttUrlEvent(idTokenClaims(ERIN), { clientSuffix: `tab${i}` }))));
    expect(results.map((result) => result.statusCode)).toEqual(Array(20).fill(200));
    expect(callsFor(ERIN)).toHaveLength(1);
    const keys = new Set(results.map((result) => parseMqttUrl(String(bodyOf(result)['url'])).accessKeyId));
    expect(keys.size).toBe(1);
    expect(records.every((record) => record.cache === 'miss')).toBe(true);
  });

  it('refreshes a session once less than URL TTL + 60 s of it remains', async () => {
    const { handler, records } = makeHandler();
    const start = clock.ms;
    // Time passes for everyone, the SDK signing the STS request included (STS refuses a request
    // dated more than 15 minutes off its clock).
    vi.useFakeTimers({ toFake: ['Date'] });
    const setClock = (ms: number): void => {
      clock.ms = ms;
      vi.setSystemTime(ms);
    };
    try {
      const first = parseMqttUrl(String(bodyOf(await handler(mqttUrlEvent(idTokenClaims('frank'))))['url']));
      setClock(start + (3600 - 360) * 1000); // exactly 360 s left: still good
      const second = parseMqttUrl(String(bodyOf(await handler(mqttUrlEvent(idTokenClaims('frank'))))['url']));
      setClock(clock.ms + 1000); // 359 s left: a URL signed now could outlive the session
      const refreshed = await handler(mqttUrlEvent(idTokenClaims('frank')));
      const third = parseMqttUrl(String(bodyOf(refreshed)['url']));
      expect(second.accessKeyId).toBe(first.accessKeyId);
      expect(third.accessKeyId).not.toBe(first.accessKeyId);
      expect(callsFor('frank')).toHaveLength(2);
      expect(records.map((record) => record.cache)).toEqual(['miss', 'hit', 'miss']);
      // The new URL is signed at the (advanced) clock, with the new session.
      expect(third.signingDate.getTime()).toBe(Math.floor(clock.ms / 1000) * 1000);
      const session = sts.session(third.accessKeyId);
      expect(session?.expiration.getTime()).toBe(clock.ms + 3_600_000);
      const expected = await smithyPresign(third, { accessKeyId: third.accessKeyId, secretAccessKey: session?.secretAccessKey ?? '' }, 'eu-west-1');
      expect(third.signature).toBe(expected['X-Amz-Signature']);
    } finally {
      vi.useRealTimers();
      clock.ms = start;
    }
  });

  it('keeps no more sessions than SESSION_CACHE_SIZE', async () => {
    const records: RequestLogRecord[] = [];
    const config = parseConfig({ ...COGNITO_ENV, IOT_ENDPOINT: ENDPOINT, CLIENT_ROLE_ARN: ROLE, SESSION_CACHE_SIZE: '1' });
    const handler = createHandler(config, { now: () => clock.ms, log: (record) => records.push(record) });
    for (const sub of ['lru-a', 'lru-b', 'lru-a']) await handler(mqttUrlEvent(idTokenClaims(sub)));
    expect(records.map((record) => record.cache)).toEqual(['miss', 'miss', 'miss']);
    expect(callsFor('lru-a')).toHaveLength(2);
  });

  it('answers 503 with Retry-After and no URL when STS throttles, logs it, and does not cache the failure', async () => {
    const { handler, records } = makeHandler();
    sts.failNext('throttle', 2); // the first attempt and its one retry
    const result = await handler(mqttUrlEvent(idTokenClaims('grace')));
    expect(result.statusCode).toBe(503);
    expect(headerOf(result, 'retry-after')).toBe('5');
    expect(headerOf(result, 'cache-control')).toBe('no-store');
    expect(bodyOf(result)).toEqual({ error: { code: 'throttled', message: 'Temporary credentials are unavailable; retry later.' } });
    expect(result.body).not.toMatch(/wss:|X-Amz/);
    expect(callsFor('grace')).toHaveLength(2);
    expect(records[0]).toMatchObject({ sub: 'grace', outcome: 'throttled', status: 503, error: expect.any(CredentialsUnavailableError) as unknown });

    const retried = await handler(mqttUrlEvent(idTokenClaims('grace')));
    expect(retried.statusCode).toBe(200);
    expect(callsFor('grace')).toHaveLength(3);
  });

  it('answers 503 when STS fails with 500', async () => {
    const { handler, records } = makeHandler();
    sts.failNext('error', 2);
    const result = await handler(mqttUrlEvent(idTokenClaims('heidi')));
    expect(result.statusCode).toBe(503);
    expect(headerOf(result, 'retry-after')).toBe('2');
    expect(bodyOf(result)).toEqual({ error: { code: 'credentials_unavailable', message: 'Temporary credentials are unavailable; retry later.' } });
    expect(records[0]).toMatchObject({ outcome: 'credentials_unavailable', status: 503 });
  });

  it('answers 503 quickly when STS is unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    process.env['AWS_ENDPOINT_URL_STS'] = `http://127.0.0.1:${port}`;
    try {
      const { handler, records } = makeHandler();
      const started = performance.now();
      const result = await handler(mqttUrlEvent(idTokenClaims('ivan')));
      expect(result.statusCode).toBe(503);
      expect(performance.now() - started).toBeLessThan(5000);
      expect(records[0]?.error).toBeInstanceOf(CredentialsUnavailableError);
    } finally {
      process.env['AWS_ENDPOINT_URL_STS'] = stsUrl;
    }
  });

  it('keeps user "a" from connecting as user "a-b", and UUID user A from connecting as UUID user B or B-x', async () => {
    const { handler } = makeHandler();
    const BOB = '0b0b0000-1b2c-4d3e-9f00-0123456789ab';
    for (const sub of ['a', 'a-b', ALICE, BOB]) expect((await handler(mqttUrlEvent(idTokenClaims(sub)))).statusCode).toBe(200);
    const policyOf = (sub: string) => callsFor(roleSessionNameFor(sub))[0]?.policy ?? '';
    const connect = (sub: string, clientId: string) => policyAllows(policyOf(sub), 'iot:Connect', `${ARN_PREFIX}client/${clientId}`);
    expect(connect('a', 'a')).toBe(true);
    expect(connect('a', 'a-b')).toBe(false);
    expect(connect('a-b', 'a-b')).toBe(true);
    expect(connect(ALICE, `${ALICE}-tab1`)).toBe(true);
    expect(connect(ALICE, BOB)).toBe(false);
    expect(connect(ALICE, `${BOB}-x`)).toBe(false);
  });

  it('tells a non-UUID sub why it cannot have a clientSuffix (400), and refuses a sub mistakable for a suffixed client ID (403)', async () => {
    const { handler } = makeHandler();
    const suffixed = await handler(mqttUrlEvent(idTokenClaims('a'), { clientSuffix: 'tab1' }));
    expect(suffixed.statusCode).toBe(400);
    expect(bodyOf(suffixed)).toEqual({
      error: {
        code: 'invalid_request',
        message: 'clientSuffix is only available to users whose sub is a UUID (as Cognito issues): suffixed client IDs need a fixed-length sub; connect without clientSuffix, as the client ID <sub>',
      },
    });
    const mistakable = await handler(mqttUrlEvent(idTokenClaims(`${ALICE}-x`)));
    expect(mistakable.statusCode).toBe(403);
    expect(bodyOf(mistakable)).toEqual({
      error: {
        code: 'forbidden',
        message: 'This identity cannot be given an MQTT scope: its sub starts with a UUID followed by "-" without being a UUID, so its client ID could be mistaken for another user\'s.',
      },
    });
  });

  it.each<[string, ReturnType<typeof mqttUrlEvent>, number, string]>([
    ['no authorizer context', mqttUrlEvent(undefined), 401, 'unauthorized'],
    ['claims without sub', mqttUrlEvent({ token_use: 'id' }), 401, 'unauthorized'],
    ['a sub with MQTT wildcards', mqttUrlEvent(idTokenClaims('mallory/#')), 403, 'forbidden'],
    ['a 300-character sub', mqttUrlEvent(idTokenClaims('m'.repeat(300))), 403, 'forbidden'],
    ['a bad clientSuffix', mqttUrlEvent(idTokenClaims('judy'), { clientSuffix: '../../x' }), 400, 'invalid_request'],
    ['an empty clientSuffix', mqttUrlEvent(idTokenClaims('judy'), { clientSuffix: '' }), 400, 'invalid_request'],
    ['a clientSuffix for a non-UUID sub', mqttUrlEvent(idTokenClaims('judy'), { clientSuffix: 'tab1' }), 400, 'invalid_request'],
    ['a non-UUID sub starting with a UUID and "-"', mqttUrlEvent(idTokenClaims(`${ALICE}-tab1`)), 403, 'forbidden'],
  ])('refuses %s without calling STS', async (_label, event, status, code) => {
    const { handler, records } = makeHandler();
    const before = sts.calls.length;
    const result = await handler(event);
    expect(result.statusCode).toBe(status);
    expect((bodyOf(result)['error'] as { code: string }).code).toBe(code);
    expect(sts.calls.length).toBe(before);
    expect(records).toEqual([expect.objectContaining({ outcome: code, status, cache: undefined })]);
  });
});

describe('shared scope', () => {
  it("signs with the function's own credentials and calls no STS", async () => {
    const { handler, records } = makeHandler(shared);
    const before = sts.calls.length;
    const result = await handler(mqttUrlEvent(idTokenClaims('kim')));
    expect(result.statusCode).toBe(200);
    const body = bodyOf(result);
    expect(body).toMatchObject({ clientId: 'kim', topics: { publish: ['users/kim/*'], subscribe: ['users/kim/*'] } });
    const url = parseMqttUrl(String(body['url']));
    expect(url.accessKeyId).toBe(OWN.accessKeyId);
    expect(url.sessionToken).toBe(OWN.sessionToken);
    const expected = await smithyPresign(url, { accessKeyId: OWN.accessKeyId, secretAccessKey: OWN.secretAccessKey }, 'eu-west-1');
    expect(url.signature).toBe(expected['X-Amz-Signature']);
    expect(sts.calls.length).toBe(before);
    expect(records[0]).toMatchObject({ outcome: 'ok', cache: 'shared' });
  });

  it("answers 503 when the function's own credentials cannot be found", async () => {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete process.env[name];
    try {
      const { handler, records } = makeHandler(shared);
      const result = await handler(mqttUrlEvent(idTokenClaims('kim')));
      expect(result.statusCode).toBe(503);
      expect(records[0]).toMatchObject({ outcome: 'credentials_unavailable' });
    } finally {
      setOwnCredentials();
    }
  });
});

describe('STS time bounds', () => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    // Accepts the connection and never answers, like a black-holed endpoint.
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  let silentUrl = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    process.env['AWS_ENDPOINT_URL_STS'] = stsUrl;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  const request = { roleArn: ROLE, roleSessionName: 'slow', policy: '{"Version":"2012-10-17","Statement":[]}', durationSeconds: 3600 };

  it('answers 503 at the deadline of a black-holed STS', async () => {
    process.env['AWS_ENDPOINT_URL_STS'] = silentUrl;
    const assumeRole = stsAssumeRole({ region: 'eu-west-1', masterCredentials: functionCredentials(), requestTimeoutMs: 10_000 });
    const { handler } = makeHandler(perUser, { deadlineMs: 300, assumeRole });
    const started = performance.now();
    const result = await handler(mqttUrlEvent(idTokenClaims('slow')));
    expect(result.statusCode).toBe(503);
    expect(headerOf(result, 'retry-after')).toBe('2');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('keeps one STS call in flight per sub past a deadline: a retry joins it, and its late session is used and cached', async () => {
    const assumeRole = stsAssumeRole({ region: 'eu-west-1', masterCredentials: functionCredentials() });
    const { handler, records } = makeHandler(perUser, { deadlineMs: 100, assumeRole });
    const release = sts.holdNext();
    const first = await handler(mqttUrlEvent(idTokenClaims('held-sub')));
    expect(first.statusCode).toBe(503);
    expect(callsFor('held-sub')).toHaveLength(1);

    // The caller retries while STS is still working on the first call: no second AssumeRole.
    const retry = handler(mqttUrlEvent(idTokenClaims('held-sub')));
    release();
    const second = await retry;
    expect(second.statusCode).toBe(200);
    const url = parseMqttUrl(String(bodyOf(second)['url']));
    expect(sts.session(url.accessKeyId)?.roleSessionName).toBe('held-sub');
    const third = await handler(mqttUrlEvent(idTokenClaims('held-sub')));
    expect(parseMqttUrl(String(bodyOf(third)['url'])).accessKeyId).toBe(url.accessKeyId);
    expect(callsFor('held-sub')).toHaveLength(1);
    expect(records.map((record) => [record.status, record.cache])).toEqual([[503, undefined], [200, 'miss'], [200, 'hit']]);
  });

  it('ends each attempt at its request timeout and retries once', async () => {
    process.env['AWS_ENDPOINT_URL_STS'] = silentUrl;
    const assumeRole = stsAssumeRole({ region: 'eu-west-1', masterCredentials: functionCredentials(), requestTimeoutMs: 150 });
    const started = performance.now();
    const error = await assumeRole(request).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CredentialsUnavailableError);
    expect((error as Error).message).toBe('STS AssumeRole failed (TimeoutError)');
    expect(((error as Error).cause as { $metadata?: { attempts?: number } }).$metadata?.attempts).toBe(2);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('the exported handler', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    vi.restoreAllMocks();
    vi.resetModules();
  });

  function captureStdout(): string[] {
    const lines: string[] = [];
    // A request's lines leave in one write (lambda/vending/line-writer.ts): split them again.
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter((line) => line !== ''));
      return true;
    });
    return lines;
  }

  it('is configured from the environment at cold start', async () => {
    Object.assign(process.env, { ...COGNITO_ENV, IOT_ENDPOINT: ENDPOINT, CLIENT_ROLE_ARN: ROLE, AWS_REGION: 'eu-west-1', URL_TTL_SECONDS: '120' });
    vi.resetModules();
    const { handler } = await import('../../lambda/handler.js');
    const lines = captureStdout();
    const result = await handler(mqttUrlEvent(idTokenClaims('leo')), { awsRequestId: 'cold-1' } as never);
    vi.restoreAllMocks();
    expect(result.statusCode).toBe(200);
    expect(parseMqttUrl(String(bodyOf(result)['url'])).url.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(callsFor('leo')).toHaveLength(1);
    // The request line, the STS call's metrics line and the request's metrics line.
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((record) => record['message'])).toEqual(['sts-assume-role-metrics', 'mqtt-url', 'mqtt-url-metrics']);
    expect(records[1]).toMatchObject({ requestId: 'cold-1', sub: 'leo', outcome: 'ok', cache: 'miss' });
  });

  it('answers 500 configuration_error on every request when the environment is invalid', async () => {
    Object.assign(process.env, { ...COGNITO_ENV, IOT_ENDPOINT: ENDPOINT, CLIENT_ROLE_ARN: 'arn:aws:iam::123456789012:user/nope' });
    vi.resetModules();
    const { handler } = await import('../../lambda/handler.js');
    const lines = captureStdout();
    const result = await handler(mqttUrlEvent(idTokenClaims('leo')));
    vi.restoreAllMocks();
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result)).toEqual({ error: { code: 'configuration_error', message: 'The service is misconfigured.' } });
    const logged = JSON.parse(lines[0] ?? '') as { level: string; error: { name: string; message: string } };
    expect(logged.level).toBe('ERROR');
    expect(logged.error.name).toBe('ConfigurationError');
    expect(logged.error.message).toMatch(/^CLIENT_ROLE_ARN: must be an IAM role ARN/);
  });

  it.each([
    ['a * before ${sub} (the tenants attack)', '["tenants/*/users/${sub}/*"]', '["tenants/*/users/${sub}/*"]', /PUBLISH_TOPIC_TEMPLATES\[0\] "tenants\/\*\/users\/\$\{sub\}\/\*" has a \* before \$\{sub\}/],
    ['a private prefix that is a level-prefix of another', '["${sub}/*","inbox/${sub}"]', '["users/${sub}/*"]', /"inbox\/\$\{sub\}" and PUBLISH_TOPIC_TEMPLATES\[0\] "\$\{sub\}\/\*" overlap: the topic "inbox\/x"/],
    ['a shared template over private topics', '["users/*"]', '["users/${sub}/*"]', /"users\/\*" and SUBSCRIBE_TOPIC_TEMPLATES\[0\] "users\/\$\{sub\}\/\*" overlap/],
    ['a group template over private topics', '["users/${sub}/*","users/${group}/*"]', '["users/${sub}/*"]', /"users\/\$\{group\}\/\*" and .* overlap/],
  ])('answers 500 and logs the overlap when the templates break the non-overlap rule: %s', async (_label, publish, subscribe, message) => {
    Object.assign(process.env, { ...COGNITO_ENV, IOT_ENDPOINT: ENDPOINT, CLIENT_ROLE_ARN: ROLE, PUBLISH_TOPIC_TEMPLATES: publish, SUBSCRIBE_TOPIC_TEMPLATES: subscribe });
    try {
      vi.resetModules();
      const { handler } = await import('../../lambda/handler.js');
      const lines = captureStdout();
      const result = await handler(mqttUrlEvent(idTokenClaims('never-vended')));
      vi.restoreAllMocks();
      expect(result.statusCode).toBe(500);
      expect(bodyOf(result)).toEqual({ error: { code: 'configuration_error', message: 'The service is misconfigured.' } });
      const logged = JSON.parse(lines[0] ?? '') as { level: string; error: { name: string; message: string } };
      expect(logged).toMatchObject({ level: 'ERROR', error: { name: 'ConfigurationError' } });
      expect(logged.error.message).toMatch(message);
      expect(callsFor('never-vended')).toHaveLength(0);
    } finally {
      delete process.env['PUBLISH_TOPIC_TEMPLATES'];
      delete process.env['SUBSCRIBE_TOPIC_TEMPLATES'];
    }
  });
});
