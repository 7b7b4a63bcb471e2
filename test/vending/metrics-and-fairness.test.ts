/**
 * Operations through the handler: one CloudWatch EMF record per request (and one per STS call) with
 * the documented metrics and dimensions and no per-user value, and each caller's token bucket: a
 * caller over it gets 429 `rate_limited` with `Retry-After`, before any STS call, while other callers
 * are served in the same moment.
 */
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../lambda/handler.js';
import { parseConfig, type PerUserScope } from '../../lambda/vending/config.js';
import { perUserCredentialSource, type AssumeRoleRequest } from '../../lambda/vending/credentials.js';
import { CredentialsUnavailableError } from '../../lambda/vending/errors.js';
import { createMetricsWriter, METRICS_NAMESPACE } from '../../lambda/vending/metrics.js';
import { createRateLimiter } from '../../lambda/vending/rate-limiter.js';
import { COGNITO_ENV, bodyOf, headerOf, idTokenClaims, mqttUrlEvent } from './helpers.js';

const ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com';
const ROLE = 'arn:aws:iam::123456789012:role/mqtt-client';
const ALICE = '0a11ce00-1b2c-4d3e-9f00-0123456789ab';
const BOB = '0b0b0000-1b2c-4d3e-9f00-0123456789ab';

interface EmfRecord {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [member: string]: unknown;
}

/** A handler over a recording STS stand-in, a fake clock, and every line it writes. */
function makeHandler(env: Record<string, string> = {}, options: { failSts?: 'throttle' } = {}) {
  const config = parseConfig({ ...COGNITO_ENV, IOT_ENDPOINT: ENDPOINT, CLIENT_ROLE_ARN: ROLE, METRICS_SERVICE: 'prod-mqtt', ...env });
  const clock = { ms: 1_800_000_000_000 };
  const now = () => clock.ms;
  const requests: AssumeRoleRequest[] = [];
  const lines: string[] = [];
  const metrics = createMetricsWriter(config.metricsService, (line) => lines.push(line));
  const credentials = perUserCredentialSource({
    scope: config.scope as PerUserScope,
    templates: config.templates,
    allowRetain: false,
    urlTtlSeconds: config.urlTtlSeconds,
    now,
    onStsCall: (observation) => metrics.stsCall(observation, now()),
    assumeRole: async (request) => {
      requests.push(request);
      if (options.failSts === 'throttle') throw new CredentialsUnavailableError('STS throttled AssumeRole', true);
      return { accessKeyId: `ASIASESSION${String(requests.length).padStart(9, '0')}`, secretAccessKey: 'secret-key-never-logged', sessionToken: 'token-never-logged', expiresAtMs: clock.ms + 3_600_000 };
    },
  });
  const handler = createHandler(config, { credentials, metrics, now, log: () => undefined });
  const emf = () => lines.map((line) => JSON.parse(line) as EmfRecord);
  return { handler, requests, lines, emf, clock };
}

describe('EMF metrics', () => {
  it('writes one record per request with the documented metrics and dimensions', async () => {
    const { handler, emf } = makeHandler();
    await handler(mqttUrlEvent(idTokenClaims(ALICE)));
    await handler(mqttUrlEvent(idTokenClaims(ALICE)));
    await handler(mqttUrlEvent(idTokenClaims('x/#')));
    const vends = emf().filter((record) => record['message'] === 'mqtt-url-metrics');
    expect(vends).toHaveLength(3);
    expect(vends[0]?._aws.CloudWatchMetrics).toEqual([
      { Namespace: METRICS_NAMESPACE, Dimensions: [['service', 'outcome']], Metrics: [{ Name: 'Vends', Unit: 'Count' }] },
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['service']],
        Metrics: [
          { Name: 'VendLatency', Unit: 'Milliseconds' },
          { Name: 'SessionCacheHits', Unit: 'Count' },
          { Name: 'SessionCacheMisses', Unit: 'Count' },
        ],
      },
    ]);
    expect(vends.map((record) => [record['service'], record['outcome'], record['Vends'], record['SessionCacheHits'], record['SessionCacheMisses']])).toEqual([
      ['prod-mqtt', 'ok', 1, 0, 1],
      ['prod-mqtt', 'ok', 1, 1, 0],
      ['prod-mqtt', 'forbidden', 1, 0, 0],
    ]);
    for (const record of vends) {
      expect(record._aws.Timestamp).toBe(1_800_000_000_000);
      expect(typeof record['VendLatency']).toBe('number');
      // Every member a directive names is present: CloudWatch drops a record that lacks one.
      for (const directive of record._aws.CloudWatchMetrics) {
        for (const name of [...directive.Dimensions.flat(), ...directive.Metrics.map((metric) => metric.Name)]) expect(record, name).toHaveProperty(name);
      }
    }
  });

  it('writes one record per STS call: calls, latency, throttles, failures', async () => {
    const ok = makeHandler();
    await ok.handler(mqttUrlEvent(idTokenClaims(ALICE)));
    const [call] = ok.emf().filter((record) => record['message'] === 'sts-assume-role-metrics');
    expect(call?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['service']],
        Metrics: [
          { Name: 'StsCalls', Unit: 'Count' },
          { Name: 'StsLatency', Unit: 'Milliseconds' },
          { Name: 'StsThrottles', Unit: 'Count' },
          { Name: 'StsFailures', Unit: 'Count' },
        ],
      },
    ]);
    expect(call).toMatchObject({ service: 'prod-mqtt', StsCalls: 1, StsThrottles: 0, StsFailures: 0 });
    const throttled = makeHandler({}, { failSts: 'throttle' });
    expect((await throttled.handler(mqttUrlEvent(idTokenClaims(ALICE)))).statusCode).toBe(503);
    expect(throttled.emf().map((record) => [record['message'], record['StsThrottles'] ?? record['outcome']])).toEqual([
      ['sts-assume-role-metrics', 1],
      ['mqtt-url-metrics', 'throttled'],
    ]);
  });

  it('holds no sub, client ID, group, key, token or URL in any metrics record', async () => {
    const { handler, lines } = makeHandler({ PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*"]', SUBSCRIBE_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*"]' });
    const result = await handler(mqttUrlEvent({ ...idTokenClaims(ALICE), 'cognito:groups': '[team-secret]' }, { clientSuffix: 'tab-1' }));
    const url = String(bodyOf(result)['url']);
    const text = lines.join('\n');
    for (const value of [ALICE, 'tab-1', 'team-secret', 'ASIASESSION', 'secret-key-never-logged', 'token-never-logged', url, 'X-Amz']) expect(text).not.toContain(value);
  });
});

describe('fairness: a token bucket per sub in each instance', () => {
  it('answers 429 rate_limited with Retry-After past the burst, before any STS call, while another sub is served', async () => {
    const { handler, requests, emf } = makeHandler({ USER_RATE_PER_SECOND: '1', USER_RATE_BURST: '5' });
    const aliceResults = await Promise.all(Array.from({ length: 8 }, () => handler(mqttUrlEvent(idTokenClaims(ALICE)))));
    const bobResults = await Promise.all(Array.from({ length: 5 }, () => handler(mqttUrlEvent(idTokenClaims(BOB)))));
    expect(aliceResults.map((result) => result.statusCode)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expect(bobResults.map((result) => result.statusCode)).toEqual([200, 200, 200, 200, 200]);
    const limited = aliceResults[7];
    expect(bodyOf(limited ?? {})).toEqual({ error: { code: 'rate_limited', message: 'Too many requests for this identity; retry later.' } });
    expect(headerOf(limited ?? {}, 'retry-after')).toBe('1');
    // One STS call per caller: the refused requests made none.
    expect(requests.map((request) => request.roleSessionName)).toEqual([ALICE, BOB]);
    expect(emf().filter((record) => record['outcome'] === 'rate_limited')).toHaveLength(3);
  });

  it('refills at the configured rate, and USER_RATE_PER_SECOND=0 turns it off', async () => {
    const { handler, clock } = makeHandler({ USER_RATE_PER_SECOND: '0.5', USER_RATE_BURST: '1' });
    expect((await handler(mqttUrlEvent(idTokenClaims(ALICE)))).statusCode).toBe(200);
    const refused = await handler(mqttUrlEvent(idTokenClaims(ALICE)));
    expect(refused.statusCode).toBe(429);
    expect(headerOf(refused, 'retry-after')).toBe('2');
    clock.ms += 1_999;
    expect((await handler(mqttUrlEvent(idTokenClaims(ALICE)))).statusCode).toBe(429);
    clock.ms += 1;
    expect((await handler(mqttUrlEvent(idTokenClaims(ALICE)))).statusCode).toBe(200);

    const off = makeHandler({ USER_RATE_PER_SECOND: '0' });
    const results = await Promise.all(Array.from({ length: 30 }, () => off.handler(mqttUrlEvent(idTokenClaims(ALICE)))));
    expect(new Set(results.map((result) => result.statusCode))).toEqual(new Set([200]));
  });
});

describe('createRateLimiter', () => {
  it('never holds more than the burst, and a clock stepping back adds nothing', () => {
    const clock = { ms: 0 };
    const limit = createRateLimiter({ perSecond: 2, burst: 3 }, 10, () => clock.ms);
    expect([1, 2, 3, 4].map(() => limit('a').allowed)).toEqual([true, true, true, false]);
    clock.ms = 60_000;
    expect([1, 2, 3, 4].map(() => limit('a').allowed)).toEqual([true, true, true, false]);
    clock.ms = 0;
    expect(limit('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('keeps at most maxKeys buckets; a forgotten caller starts full again', () => {
    const limit = createRateLimiter({ perSecond: 1, burst: 1 }, 2, () => 0);
    expect(limit('a').allowed).toBe(true);
    expect(limit('a').allowed).toBe(false);
    limit('b');
    limit('c');
    expect(limit('a').allowed).toBe(true);
  });
});
