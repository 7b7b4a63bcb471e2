import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectMqttOptionError, VendingError } from '../../web/errors.js';
import type { GetTokenOptions } from '../../web/types.js';
import { isValidClientSuffix, mqttUrlVendor, parseRetryAfter, vendMqttUrl, vendingRequestUrl } from '../../web/vend-mqtt-url.js';
import { FakeFetch, jsonResponse, vendedBody } from './fixtures.js';

const API = 'https://abc123.execute-api.eu-west-1.amazonaws.com/';
const NOW = new Date('2024-05-01T12:00:00Z');

/** Hands out `token-1`, `token-2`, … and records the options of every call. */
function tokenSource(): { getToken: (options?: GetTokenOptions) => Promise<string>; calls: Array<GetTokenOptions | undefined> } {
  const calls: Array<GetTokenOptions | undefined> = [];
  return {
    calls,
    getToken: async (options) => {
      calls.push(options);
      return `token-${calls.length}`;
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('vendMqttUrl', () => {
  it('sends GET <apiUrl>/mqtt-url with the bearer token and returns the validated answer', async () => {
    const fake = new FakeFetch().next(() => jsonResponse(200, vendedBody({ signedAt: NOW })));
    const { getToken, calls } = tokenSource();
    const vended = await vendMqttUrl({ apiUrl: API, getToken, fetch: fake.fetch });

    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.url).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/mqtt-url');
    expect(fake.requests[0]?.authorization).toBe('Bearer token-1');
    expect(fake.requests[0]?.init.method).toBe('GET');
    expect(calls).toEqual([undefined]);
    expect(vended.clientId).toBe('user-1');
    expect(vended.topics.publish).toEqual(['users/user-1/*']);
    expect(vended.lifetimeMs).toBe(300_000);
    expect(vended.requestedAt).toBe(NOW.getTime());
    expect(vended.usableUntil).toBe(NOW.getTime() + 300_000 - 5_000);
  });

  it('passes clientSuffix as a query parameter and keeps a stage path', async () => {
    const fake = new FakeFetch().next(() => jsonResponse(200, vendedBody({ signedAt: NOW, clientId: 'user-1-tab_2' })));
    await vendMqttUrl({ apiUrl: 'https://api.example.com/prod//', getToken: () => 't', clientSuffix: 'tab_2', fetch: fake.fetch });
    expect(fake.requests[0]?.url).toBe('https://api.example.com/prod/mqtt-url?clientSuffix=tab_2');
  });

  it('on 401 asks for a refreshed token once and retries with it', async () => {
    const fake = new FakeFetch()
      .next(() => jsonResponse(401, { error: { code: 'Unauthorized', message: 'expired' } }))
      .next(() => jsonResponse(200, vendedBody({ signedAt: NOW })));
    const { getToken, calls } = tokenSource();
    const vended = await vendMqttUrl({ apiUrl: API, getToken, fetch: fake.fetch });

    expect(vended.clientId).toBe('user-1');
    expect(calls).toEqual([undefined, { forceRefresh: true }]);
    expect(fake.requests.map((r) => r.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('gives up after the second 401 with a VendingError coded Unauthorized, carrying the API code', async () => {
    const unauthorized = (): Response => jsonResponse(401, { error: { code: 'unauthorized', message: 'No usable identity' } });
    const fake = new FakeFetch().next(unauthorized).next(unauthorized).otherwise(unauthorized);
    const { getToken, calls } = tokenSource();
    const error = await rejection(vendMqttUrl({ apiUrl: API, getToken, fetch: fake.fetch }));

    expect(error).toBeInstanceOf(VendingError);
    expect(error).toMatchObject({ name: 'VendingError', status: 401, code: 'Unauthorized', apiCode: 'unauthorized', message: 'No usable identity' });
    expect(fake.requests).toHaveLength(2);
    expect(calls).toHaveLength(2);
  });

  it.each([
    [400, 'BadRequest', 'invalid_request', 'clientSuffix must be 1-32 of A-Z a-z 0-9 _ -'],
    [403, 'Forbidden', 'too_many_groups', 'This identity belongs to more than 4 eligible groups, the most this service grants.'],
    [500, 'InternalServerError', 'configuration_error', 'The service is misconfigured.'],
  ])('maps HTTP %i to code %s, with the body code as apiCode and its message, without retrying', async (status, code, apiCode, message) => {
    const fake = new FakeFetch().next(() => jsonResponse(status, { error: { code: apiCode, message } }));
    const { getToken, calls } = tokenSource();
    const error = await rejection(vendMqttUrl({ apiUrl: API, getToken, fetch: fake.fetch }));
    expect(error).toMatchObject({ name: 'VendingError', status, code, apiCode, message, retryAfterSeconds: undefined });
    expect(calls).toHaveLength(1);
  });

  it.each([
    [401, { message: 'Unauthorized' }, 'Unauthorized', 'Unauthorized', true],
    [403, { message: 'Forbidden' }, 'Forbidden', 'Forbidden', true],
    [404, { message: 'Not Found' }, 'NotFound', 'Not Found', true],
    [408, {}, 'RequestTimeout', 'The vending API answered HTTP 408 (RequestTimeout)', false],
    [413, { message: 'Request Entity Too Large' }, 'PayloadTooLarge', 'Request Entity Too Large', true],
    [418, {}, 'ClientError', 'The vending API answered HTTP 418 (ClientError)', true],
    [429, { message: 'Too Many Requests' }, 'TooManyRequests', 'Too Many Requests', false],
    [500, { message: 'Internal Server Error' }, 'InternalServerError', 'Internal Server Error', false],
    [503, { message: 'Service Unavailable' }, 'ServiceUnavailable', 'Service Unavailable', false],
    [504, { message: 'Endpoint request timed out' }, 'GatewayTimeout', 'Endpoint request timed out', false],
    [507, {}, 'ServerError', 'The vending API answered HTTP 507 (ServerError)', false],
    [204, {}, 'UnexpectedResponse', 'The vending API answered HTTP 204 (UnexpectedResponse)', false],
  ])("names API Gateway's own HTTP %i (no error code in the body) by its status", async (status, body, code, message, permanent) => {
    const fake = new FakeFetch().otherwise(() => (status === 204 ? new Response(null, { status }) : jsonResponse(status, body)));
    const error = await rejection(vendMqttUrl({ apiUrl: API, getToken: () => 't', fetch: fake.fetch }));
    expect(error).toMatchObject({ name: 'VendingError', status, code, apiCode: undefined, message, permanent });
  });

  it('keeps a message from the body printable and short, and an apiCode only when it looks like one', async () => {
    const fake = new FakeFetch().next(() => jsonResponse(403, { error: { code: 'not a code!', message: `line one\nline two ${'x'.repeat(400)}` } }));
    const error = (await rejection(vendMqttUrl({ apiUrl: API, getToken: () => 't', fetch: fake.fetch }))) as VendingError;
    expect(error.apiCode).toBeUndefined();
    expect(error.message).toMatch(/^line one line two x+$/);
    expect(error.message).toHaveLength(300);
  });

  it('keeps Retry-After of a 503', async () => {
    const fake = new FakeFetch().next(() =>
      jsonResponse(503, { error: { code: 'ServiceUnavailable', message: 'Try again shortly' } }, { 'Retry-After': '7' }),
    );
    const error = await rejection(vendMqttUrl({ apiUrl: API, getToken: () => 't', fetch: fake.fetch }));
    expect(error).toMatchObject({ status: 503, code: 'ServiceUnavailable', retryAfterSeconds: 7 });
  });

  it('names a non-JSON error body (a gateway or proxy page) by its status', async () => {
    const fake = new FakeFetch().next(() => new Response('<html>Bad gateway</html>', { status: 502 }));
    const error = await rejection(vendMqttUrl({ apiUrl: API, getToken: () => 't', fetch: fake.fetch }));
    expect(error).toMatchObject({ status: 502, code: 'BadGateway', apiCode: undefined, message: 'The vending API answered HTTP 502 (BadGateway)' });
  });

  it('maps a failed fetch to NetworkError (status 0) without the URL in the message, cause kept', async () => {
    const cause = new TypeError('Failed to fetch');
    const fake = new FakeFetch().next(() => {
      throw cause;
    });
    const error = await rejection(vendMqttUrl({ apiUrl: API, getToken: () => 't', fetch: fake.fetch }));
    expect(error).toMatchObject({ status: 0, code: 'NetworkError', cause });
    expect((error as Error).message).not.toContain('execute-api');
  });

  it('reports an aborted request as Aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const fake = new FakeFetch().next(() => jsonResponse(200, vendedBody({ signedAt: NOW })));
    const error = await rejection(vendMqttUrl({ apiUrl: API, getToken: () => 't', fetch: fake.fetch, signal: controller.signal }));
    expect(error).toMatchObject({ status: 0, code: 'Aborted' });
  });

  it.each([
    ['a body that is not JSON', () => new Response('not json', { status: 200 })],
    ['a body without url', () => jsonResponse(200, { ...vendedBody({ signedAt: NOW }), url: undefined })],
    ['an https:// url', () => jsonResponse(200, { ...vendedBody({ signedAt: NOW }), url: 'https://x/mqtt?a=b' })],
    ['a bad expiresAt', () => jsonResponse(200, { ...vendedBody({ signedAt: NOW }), expiresAt: 'soon' })],
    ['topics not arrays of strings', () => jsonResponse(200, { ...vendedBody({ signedAt: NOW }), topics: { publish: [1], subscribe: [] } })],
    ['an already expired URL', () => jsonResponse(200, vendedBody({ signedAt: new Date(NOW.getTime() - 400_000), ttlSeconds: 0 }))],
  ])('refuses %s as InvalidResponse', async (_label, responder) => {
    const fake = new FakeFetch().next(responder);
    const error = await rejection(vendMqttUrl({ apiUrl: API, getToken: () => 't', fetch: fake.fetch }));
    expect(error).toMatchObject({ name: 'VendingError', status: 200, code: 'InvalidResponse' });
    expect((error as Error).message).not.toContain('X-Amz');
  });

  it('refuses a token that is not a non-empty string, describing it without echoing it', async () => {
    const fake = new FakeFetch();
    const error = await rejection(vendMqttUrl({ apiUrl: API, getToken: () => 'secret token', fetch: fake.fetch }));
    expect(error).toBeInstanceOf(ConnectMqttOptionError);
    expect((error as ConnectMqttOptionError).option).toBe('getToken');
    expect((error as Error).message).not.toContain('secret');
    expect(fake.requests).toHaveLength(0);
  });

  it('lets errors thrown by getToken propagate unchanged', async () => {
    const signInAgain = new Error('Please sign in again');
    const fake = new FakeFetch().next(() => jsonResponse(401, { error: { code: 'Unauthorized', message: 'expired' } }));
    const getToken = (options?: GetTokenOptions): string => {
      if (options?.forceRefresh) throw signInAgain;
      return 't';
    };
    await expect(vendMqttUrl({ apiUrl: API, getToken, fetch: fake.fetch })).rejects.toBe(signInAgain);
  });
});

describe('vendingRequestUrl', () => {
  it.each([
    ['https://api.example.com//evil.example', 'https://api.example.com//evil.example/mqtt-url'],
    ['https://api.example.com//evil.example/', 'https://api.example.com//evil.example/mqtt-url'],
    ['https://api.example.com/..//evil.example', 'https://api.example.com//evil.example/mqtt-url'],
    ['https://api.example.com/prod//evil.example//', 'https://api.example.com/prod//evil.example/mqtt-url'],
    ['https://api.example.com/\\evil.example', 'https://api.example.com//evil.example/mqtt-url'],
  ])('never lets the path of %s change the host the token is sent to', (apiUrl, expected) => {
    const url = vendingRequestUrl(apiUrl, undefined);
    expect(new URL(url).host).toBe('api.example.com');
    expect(url).toBe(expected);
  });

  it('sends the token to the API host even when apiUrl has a protocol-relative path', async () => {
    const fake = new FakeFetch().next(() => jsonResponse(200, vendedBody({ signedAt: NOW })));
    await vendMqttUrl({ apiUrl: 'https://api.example.com//evil.example', getToken: () => 'secret-token', fetch: fake.fetch });
    expect(new URL(fake.requests[0]?.url ?? '').host).toBe('api.example.com');
  });

  it.each([['http://127.0.0.1:3000/'], ['http://127.8.9.10/prod/'], ['http://localhost:8080'], ['http://[::1]:3000/']])(
    'accepts plain http for the loopback host in %s',
    (apiUrl) => {
      expect(new URL(vendingRequestUrl(apiUrl, undefined)).protocol).toBe('http:');
    },
  );

  it.each([['http://api.example.com/'], ['http://10.0.0.1:3000/'], ['http://localhost.evil.example/'], ['http://128.0.0.1/']])(
    'refuses plain http for the non-loopback host in %s, naming apiUrl and the value',
    (apiUrl) => {
      expect(() => vendingRequestUrl(apiUrl, undefined)).toThrow(
        new ConnectMqttOptionError('apiUrl', 'must use https: plain http is allowed only for loopback hosts (localhost, 127.0.0.0/8, [::1])', apiUrl),
      );
      expect(() => vendingRequestUrl(apiUrl, undefined)).toThrow(`(received ${JSON.stringify(apiUrl)})`);
    },
  );

  it('refuses http for a non-loopback API before any request', async () => {
    const fake = new FakeFetch();
    const error = await rejection(vendMqttUrl({ apiUrl: 'http://api.example.com/', getToken: () => 't', fetch: fake.fetch }));
    expect(error).toMatchObject({ name: 'ConnectMqttOptionError', option: 'apiUrl', received: '"http://api.example.com/"' });
    expect(fake.requests).toHaveLength(0);
  });

  it.each([
    ['apiUrl', 'not a url', undefined],
    ['apiUrl', 'ftp://api.example.com/', undefined],
    ['apiUrl', 'https://api.example.com/?stage=prod', undefined],
    ['apiUrl', 42, undefined],
    ['apiUrl', 'https://user:pass@api.example.com/', undefined],
    ['clientSuffix', API, ''],
    ['clientSuffix', API, 'has space'],
    ['clientSuffix', API, 'users/#'],
    ['clientSuffix', API, 'x'.repeat(33)],
  ])('refuses a bad %s before any request (%s, %s)', (option, apiUrl, clientSuffix) => {
    let error: unknown;
    try {
      vendingRequestUrl(apiUrl, clientSuffix);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConnectMqttOptionError);
    expect(error).toMatchObject({ option });
    expect((error as Error).message).toMatch(/^Invalid (apiUrl|clientSuffix): .* \(received .*\)$/);
  });
});

describe('apiUrl in error messages', () => {
  it.each([
    ['https://user:pass@api.example.com/', 'must not contain user info', '"https://***@api.example.com/"'],
    ['https://user@api.example.com/', 'must not contain user info', '"https://***@api.example.com/"'],
    ['https://:pass@api.example.com/', 'must not contain user info', '"https://***@api.example.com/"'],
    ['https://us@er:p@ss@api.example.com/prod', 'must not contain user info', '"https://***@api.example.com/prod"'],
    ['https:\\\\user:pass@api.example.com/', 'must not contain user info', '"https:\\\\\\\\***@api.example.com/"'],
    [' https://user:pass@api.example.com/', 'must not contain user info', '" https://***@api.example.com/"'],
    ['http://user:pass@api.example.com/', 'must use https: plain http is allowed only for loopback hosts (localhost, 127.0.0.0/8, [::1])', '"http://***@api.example.com/"'],
    ['https://user:pass@api.example.com/?stage=prod', 'must be an absolute https URL without query or fragment', '"https://***@api.example.com/?stage=prod"'],
    ['ftp://user:pass@api.example.com/', 'must be an absolute https URL without query or fragment', '"ftp://***@api.example.com/"'],
    ['https://user:pass@', 'must be an absolute https URL', '"https://***@"'],
    ['user:pass@api.example.com', 'must be an absolute https URL without query or fragment', '"user:***@api.example.com"'],
  ])('describes %s without its user info', (apiUrl, problem, received) => {
    let error: unknown;
    try {
      vendingRequestUrl(apiUrl, undefined);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConnectMqttOptionError);
    expect(error).toMatchObject({ option: 'apiUrl', problem, received });
    expect((error as Error).message).toBe(`Invalid apiUrl: ${problem} (received ${received})`);
    expect((error as Error).message).not.toMatch(/pass|p@ss/);
  });

  it('leaves an @ in the path alone: it is not user info', () => {
    expect(() => vendingRequestUrl('http://api.example.com/prod@2', undefined)).toThrow('(received "http://api.example.com/prod@2")');
  });

  it('does not echo the user info from vendMqttUrl either', async () => {
    const fake = new FakeFetch();
    const error = await rejection(vendMqttUrl({ apiUrl: 'https://user:pass@api.example.com/', getToken: () => 't', fetch: fake.fetch }));
    expect(error).toMatchObject({ name: 'ConnectMqttOptionError', option: 'apiUrl', received: '"https://***@api.example.com/"' });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('isValidClientSuffix', () => {
  it.each([['a'], ['tab-1_X'], ['x'.repeat(32)]])('accepts %s, as the API does', (value) => {
    expect(isValidClientSuffix(value)).toBe(true);
  });

  it.each([[''], ['x'.repeat(33)], ['a/b'], ['has space'], ['a,b'], [undefined], [null], [7]])('refuses %o, as the API does', (value) => {
    expect(isValidClientSuffix(value)).toBe(false);
  });
});

describe('mqttUrlVendor', () => {
  it('refuses bad options when created, before any request', () => {
    const fake = new FakeFetch();
    expect(() => mqttUrlVendor({ apiUrl: 'http://api.example.com/', getToken: () => 't', fetch: fake.fetch })).toThrow(ConnectMqttOptionError);
    expect(() => mqttUrlVendor({ apiUrl: API, getToken: 'a token' as unknown as () => string, fetch: fake.fetch })).toThrow(
      new ConnectMqttOptionError('getToken', 'must be a function returning the bearer token', 'a token'),
    );
    expect(fake.requests).toHaveLength(0);
  });

  it('vends once per call with the options it validated', async () => {
    const fake = new FakeFetch()
      .next(() => jsonResponse(200, vendedBody({ signedAt: NOW, clientId: 'user-1-tab1' })))
      .next(() => jsonResponse(200, vendedBody({ signedAt: NOW, clientId: 'user-1-tab1' })));
    const vend = mqttUrlVendor({ apiUrl: API, getToken: () => 't', clientSuffix: 'tab1', fetch: fake.fetch });
    expect(fake.requests).toHaveLength(0);
    await vend();
    await vend();
    expect(fake.requests.map((request) => request.url)).toEqual([`${API}mqtt-url?clientSuffix=tab1`, `${API}mqtt-url?clientSuffix=tab1`]);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('3')).toBe(3);
    expect(parseRetryAfter('Wed, 01 May 2024 12:00:10 GMT', NOW.getTime())).toBe(10);
    expect(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', NOW.getTime())).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('honours at most an hour, so an absurd value cannot overflow a timer into a retry loop', () => {
    expect(parseRetryAfter('3600')).toBe(3600);
    expect(parseRetryAfter('3000000')).toBe(3600);
    expect(parseRetryAfter('Wed, 01 May 2030 12:00:00 GMT', NOW.getTime())).toBe(3600);
  });
});
