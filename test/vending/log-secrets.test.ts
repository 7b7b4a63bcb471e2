/**
 * Captures every byte a run of the handler writes (stdout, stderr, console, process warnings) across
 * successes, cache hits, STS throttling and failures, refusals, shared scope and a misconfigured
 * function, then looks for every secret key, session token and signature involved. None may appear.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../lambda/handler.js';
import { parseConfig } from '../../lambda/vending/config.js';
import { ConfigurationError } from '../../lambda/vending/errors.js';
import { LocalSts } from '../../local/sts-server.js';
import { COGNITO_ENV, bodyOf, idTokenClaims, mqttUrlEvent, parseMqttUrl } from './helpers.js';

const ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com';
const OWN = {
  accessKeyId: 'ASIAOWNROLELOGTEST01',
  secretAccessKey: 'OwnSecretKeyForTheLogTest/+=0123456789ab',
  sessionToken: 'OwnSessionTokenForTheLogTest/+=abcdefghijklmnopqrstuvwxyz0123456789',
};

const CLIENT_ROLE = 'arn:aws:iam::123456789012:role/client';

const sts = new LocalSts();
sts.registerCaller(OWN);
sts.trustRole(CLIENT_ROLE, [OWN.accessKeyId]);
const captured: string[] = [];

function capture(chunk: unknown): void {
  captured.push(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk));
}

beforeAll(async () => {
  process.env['AWS_ENDPOINT_URL_STS'] = await sts.start();
  process.env['AWS_ACCESS_KEY_ID'] = OWN.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = OWN.secretAccessKey;
  process.env['AWS_SESSION_TOKEN'] = OWN.sessionToken;
});

afterAll(async () => {
  vi.restoreAllMocks();
  await sts.stop();
  for (const name of ['AWS_ENDPOINT_URL_STS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete process.env[name];
});

describe('logs of a whole run', () => {
  it('hold the request lines and no secret key, session token, signature or URL', async () => {
    const onWarning = (warning: Error) => capture(`${warning.name}: ${warning.message}\n`);
    process.on('warning', onWarning);
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
        capture(chunk);
        return true;
      });
    }
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => capture(`${args.map(String).join(' ')}\n`));
    }

    const urls: string[] = [];
    const keep = (result: Awaited<ReturnType<ReturnType<typeof createHandler>>>) => {
      const url = bodyOf(result)['url'];
      if (typeof url === 'string') urls.push(url);
      return result.statusCode ?? 0;
    };
    const statuses: number[] = [];
    try {
      // The default logger (stdout), as in Lambda.
      const perUser = createHandler(parseConfig({ ...COGNITO_ENV, IOT_ENDPOINT: ENDPOINT, CLIENT_ROLE_ARN: CLIENT_ROLE }));
      // A Cognito-style (UUID) sub: only those may ask for a clientSuffix.
      const alice = '0a11ce00-1b2c-4d3e-9f00-0123456789ab';
      statuses.push(keep(await perUser(mqttUrlEvent(idTokenClaims(alice)))));
      statuses.push(keep(await perUser(mqttUrlEvent(idTokenClaims(alice), { clientSuffix: 'tab' }))));
      statuses.push(...(await Promise.all(Array.from({ length: 5 }, () => perUser(mqttUrlEvent(idTokenClaims('log-bob')))))).map(keep));
      sts.failNext('throttle', 2);
      statuses.push(keep(await perUser(mqttUrlEvent(idTokenClaims('log-carol')))));
      sts.failNext('error', 2);
      statuses.push(keep(await perUser(mqttUrlEvent(idTokenClaims('log-dave')))));
      statuses.push(keep(await perUser(mqttUrlEvent(idTokenClaims('log/#')))));
      statuses.push(keep(await perUser(mqttUrlEvent({}))));
      statuses.push(keep(await perUser(mqttUrlEvent(idTokenClaims('log-erin'), { clientSuffix: '*' }))));
      const shared = createHandler(parseConfig({ ...COGNITO_ENV, IOT_ENDPOINT: ENDPOINT }));
      statuses.push(keep(await shared(mqttUrlEvent(idTokenClaims('log-frank')))));
      const broken = createHandler(new ConfigurationError('IOT_ENDPOINT', 'is required'));
      statuses.push(keep(await broken(mqttUrlEvent(idTokenClaims('log-gina')))));
    } finally {
      vi.restoreAllMocks();
      process.off('warning', onWarning);
    }

    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 503, 503, 403, 401, 400, 200, 500]);
    const text = captured.join('');
    const records = text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const outcomes = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'throttled', 'credentials_unavailable', 'forbidden', 'unauthorized', 'invalid_request', 'ok', 'configuration_error'];
    expect(records.filter((record) => record['message'] === 'mqtt-url').map((record) => record['outcome'])).toEqual(outcomes);
    // One EMF metrics record per request, with the same outcomes, and one per STS call.
    expect(records.filter((record) => record['message'] === 'mqtt-url-metrics').map((record) => record['outcome'])).toEqual(outcomes);
    expect(records.filter((record) => record['message'] === 'sts-assume-role-metrics').map((record) => record['stsOutcome'])).toEqual(['ok', 'ok', 'throttled', 'failed']);
    // Metrics records hold no per-user value: no sub, client ID or group, anywhere in them.
    const metricsText = records.filter((record) => '_aws' in record).map((record) => JSON.stringify(record)).join('\n');
    for (const user of ['0a11ce00', 'log-', 'tab']) expect(metricsText).not.toContain(user);

    const secrets = new Set<string>([OWN.secretAccessKey, OWN.sessionToken, encodeURIComponent(OWN.sessionToken)]);
    for (const url of urls) {
      const parsed = parseMqttUrl(url);
      const session = sts.session(parsed.accessKeyId);
      secrets.add(url);
      secrets.add(parsed.signature);
      if (parsed.sessionToken !== undefined) {
        secrets.add(parsed.sessionToken);
        // A fragment is enough to leak a token; look for one from its random middle.
        secrets.add(parsed.sessionToken.slice(40, 80));
        secrets.add(url.slice(url.indexOf('X-Amz-Security-Token=') + 21));
      }
      if (session !== undefined) secrets.add(session.secretAccessKey);
    }
    expect(urls).toHaveLength(8);
    // Two per-user sessions (alice, bob) and the function's own credentials were used.
    expect(new Set(urls.map((url) => parseMqttUrl(url).accessKeyId)).size).toBe(3);
    for (const secret of secrets) expect(text.includes(secret), `log holds a secret starting ${secret.slice(0, 6)}`).toBe(false);
    expect(text).not.toMatch(/X-Amz-(?:Signature|Security-Token|Credential)/);
    expect(text).not.toMatch(/wss?:\/\//);
  });
});
