/**
 * The browser client against the real vending handler: `web/types.ts` keeps its own copy of the
 * `GET /mqtt-url` body (it is the client's public contract), so these tests feed answers built by
 * `createHandler` (lambda/handler.ts) through the client's parser, and the two cannot drift apart
 * silently. Only the credentials are fixed; configuration, signing, response and error mapping are
 * the Lambda's own.
 */
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../lambda/handler.js';
import { parseConfig } from '../../lambda/vending/config.js';
import type { CredentialSource } from '../../lambda/vending/credentials.js';
import { CredentialsUnavailableError } from '../../lambda/vending/errors.js';
import { vendMqttUrl } from '../../web/vend-mqtt-url.js';
import { parseVendedMqttUrl, receiveMqttUrl } from '../../web/vended-url.js';
import { COGNITO_ENV, idTokenClaims, mqttUrlEvent } from '../vending/helpers.js';

const SIGNED_AT = Date.parse('2024-05-01T12:00:00Z');
// A user-pool sub is a UUID (the API allows client ID suffixes only for such subs).
const SUB = '0f1e2d3c-aaaa-4bbb-8ccc-000000000001';

/** Fixed temporary credentials: the handler signs with them instead of calling STS. */
const fixedCredentials: CredentialSource = {
  credentialsFor: async () => ({
    credentials: { accessKeyId: 'ASIAEXAMPLEEXAMPLE01', secretAccessKey: 'example/Secret+Key', sessionToken: 'example/session+token=' },
    lookup: 'shared',
  }),
};

function handlerFor(env: Record<string, string>, credentials: CredentialSource = fixedCredentials) {
  return createHandler(parseConfig({ ...COGNITO_ENV, ...env }), { credentials, now: () => SIGNED_AT, log: () => undefined });
}

/** The body of one handler answer for {@link SUB}. */
async function vendedBodyFrom(env: Record<string, string>, query?: Record<string, string>): Promise<Record<string, unknown>> {
  const result = await handlerFor(env)(mqttUrlEvent(idTokenClaims(SUB), query));
  expect(result.statusCode).toBe(200);
  return JSON.parse(result.body ?? 'null') as Record<string, unknown>;
}

/** A `fetch` that answers with the handler, as API Gateway would after verifying a token of `sub`. */
function handlerFetch(handler: ReturnType<typeof handlerFor>, sub = SUB) {
  return async (input: string): Promise<Response> => {
    const query = Object.fromEntries(new URL(input).searchParams);
    const result = await handler(mqttUrlEvent(idTokenClaims(sub), Object.keys(query).length === 0 ? undefined : query));
    return new Response(result.body ?? null, { status: result.statusCode ?? 200, headers: result.headers as Record<string, string> });
  };
}

describe('the web client reads what the vending handler answers', () => {
  it('parses a 200 body field for field, with nothing left over and nothing missing', async () => {
    const body = await vendedBodyFrom({ IOT_ENDPOINT: 'abc123-ats.iot.eu-west-1.amazonaws.com' }, { clientSuffix: 'tab-1' });
    const parsed = parseVendedMqttUrl(body);
    // toEqual both ways: a field the server adds or drops fails here until web/types.ts follows.
    expect(parsed).toEqual(body);
    expect(parsed).toMatchObject({
      clientId: `${SUB}-tab-1`,
      endpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com',
      region: 'eu-west-1',
      topics: { publish: [`users/${SUB}/*`], subscribe: [`users/${SUB}/*`] },
    });
    expect(parsed.url.startsWith('wss://abc123-ats.iot.eu-west-1.amazonaws.com/mqtt?')).toBe(true);
  });

  it("measures the URL's lifetime from the handler's X-Amz-Date and expiresAt", async () => {
    const body = await vendedBodyFrom({ IOT_ENDPOINT: 'abc123-ats.iot.eu-west-1.amazonaws.com', URL_TTL_SECONDS: '900' });
    // A local clock an hour off changes nothing: the lifetime is server time to server time.
    expect(receiveMqttUrl(parseVendedMqttUrl(body), SIGNED_AT + 3_600_000).lifetimeMs).toBe(900_000);
  });

  it("accepts the local stack's ws:// URL for a loopback endpoint", async () => {
    const body = await vendedBodyFrom({ IOT_ENDPOINT: '127.0.0.1:3000', IOT_REGION: 'us-east-1' });
    expect(parseVendedMqttUrl(body).url.startsWith('ws://127.0.0.1:3000/mqtt?')).toBe(true);
  });

  it('vendMqttUrl round-trips through the handler', async () => {
    const vended = await vendMqttUrl({
      apiUrl: 'https://api.example.com/',
      getToken: () => 'id-token',
      clientSuffix: 'phone',
      fetch: handlerFetch(handlerFor({ IOT_ENDPOINT: 'abc123-ats.iot.eu-west-1.amazonaws.com' })),
    });
    expect(vended.clientId).toBe(`${SUB}-phone`);
  });

  it("maps the handler's 403 to a permanent VendingError coded Forbidden, with the handler's code as apiCode and its message", async () => {
    const handler = handlerFor({ IOT_ENDPOINT: 'abc123-ats.iot.eu-west-1.amazonaws.com' });
    const unusableSub = 'user name with spaces';
    const direct = await handler(mqttUrlEvent(idTokenClaims(unusableSub)));
    const { error } = JSON.parse(direct.body ?? 'null') as { error: { code: string; message: string } };
    const failure = await vendMqttUrl({ apiUrl: 'https://api.example.com/', getToken: () => 't', fetch: handlerFetch(handler, unusableSub) }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'VendingError', status: 403, code: 'Forbidden', apiCode: error.code, message: error.message, permanent: true });
  });

  it("maps the handler's 503 to a retryable VendingError with its Retry-After", async () => {
    const unavailable: CredentialSource = {
      credentialsFor: async () => {
        throw new CredentialsUnavailableError('STS throttled', true);
      },
    };
    const handler = handlerFor({ IOT_ENDPOINT: 'abc123-ats.iot.eu-west-1.amazonaws.com' }, unavailable);
    const direct = await handler(mqttUrlEvent(idTokenClaims(SUB)));
    const failure = await vendMqttUrl({ apiUrl: 'https://api.example.com/', getToken: () => 't', fetch: handlerFetch(handler) }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'VendingError', status: 503, permanent: false });
    expect((failure as { retryAfterSeconds: unknown }).retryAfterSeconds).toBe(Number(direct.headers?.['retry-after']));
    expect((failure as { retryAfterSeconds: unknown }).retryAfterSeconds).toBeGreaterThan(0);
  });
});
