import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signMqttUrl } from '../../lambda/signing/sign-mqtt-url.js';
import {
  ConfigurationError,
  CredentialsUnavailableError,
  ForbiddenSubjectError,
  ForeignIssuerError,
  IdentityProviderUnavailableError,
  InvalidRequestError,
  MissingIdentityError,
  TokenVerificationError,
} from '../../lambda/vending/errors.js';
import { createRequestLogger, describeError } from '../../lambda/vending/logger.js';
import { createIsoFormatter } from '../../lambda/vending/iso-time.js';
import { createOkResponder, errorResponse, mapError } from '../../lambda/vending/response.js';
import { classifyStsError } from '../../lambda/vending/sts-assume-role.js';
import { bodyOf, headerOf } from './helpers.js';

describe('mapError', () => {
  it.each<[string, unknown, number, string]>([
    ['a bad clientSuffix', new InvalidRequestError('clientSuffix', 'clientSuffix must be 1-32 characters of A-Z a-z 0-9 _ -'), 400, 'invalid_request'],
    ['no identity', new MissingIdentityError('no sub'), 401, 'unauthorized'],
    ['a foreign issuer', new ForeignIssuerError('iss is another'), 401, 'unauthorized'],
    ['a bearer token that failed verification', new TokenVerificationError('two tokens'), 401, 'unauthorized'],
    ["the issuer's keys out of reach", new IdentityProviderUnavailableError('JWKS fetch failed'), 503, 'identity_unavailable'],
    ['an unsafe sub', new ForbiddenSubjectError('sub has *', 'unsafe-characters'), 403, 'forbidden'],
    ['a sub mistakable for a suffixed client ID', new ForbiddenSubjectError('sub is <uuid>-x', 'mistakable-client-id'), 403, 'forbidden'],
    ['a clientSuffix for a non-UUID sub', new InvalidRequestError('clientSuffix', 'clientSuffix is only available to users whose sub is a UUID'), 400, 'invalid_request'],
    ['STS throttling', new CredentialsUnavailableError('throttled', true), 503, 'throttled'],
    ['an STS failure', new CredentialsUnavailableError('failed', false), 503, 'credentials_unavailable'],
    ['a configuration error', new ConfigurationError('IOT_ENDPOINT', 'is required'), 500, 'configuration_error'],
    ['anything else', new TypeError('boom'), 500, 'internal_error'],
    ['a thrown string', 'boom', 500, 'internal_error'],
  ])('maps %s to %i %s', (_label, error, status, code) => {
    expect(mapError(error)).toMatchObject({ status, code });
  });

  it('gives each 403 reason its own public message, which never echoes the sub', () => {
    const unsafe = mapError(new ForbiddenSubjectError('sub "x*" has *', 'unsafe-characters'));
    const mistakable = mapError(new ForbiddenSubjectError('sub "8f2c1e7a-1b2c-4d3e-9f00-0123456789ab-x"', 'mistakable-client-id'));
    expect(unsafe.message).toMatch(/characters outside A-Z a-z 0-9 _ \. : @ - or is too long/);
    expect(mistakable.message).toMatch(/starts with a UUID followed by "-" without being a UUID, so its client ID could be mistaken/);
    expect(`${unsafe.message}${mistakable.message}`).not.toMatch(/x\*|8f2c1e7a/);
  });

  it('answers JSON errors with no-store, and Retry-After on 503 only', () => {
    const unavailable = errorResponse(mapError(new CredentialsUnavailableError('STS throttled AssumeRole', true)));
    expect(unavailable.statusCode).toBe(503);
    expect(headerOf(unavailable, 'retry-after')).toBe('5');
    expect(headerOf(unavailable, 'cache-control')).toBe('no-store');
    expect(headerOf(unavailable, 'content-type')).toBe('application/json');
    expect(bodyOf(unavailable)).toEqual({ error: { code: 'throttled', message: 'Temporary credentials are unavailable; retry later.' } });
    expect(headerOf(errorResponse(mapError(new CredentialsUnavailableError('x', false))), 'retry-after')).toBe('2');
    expect(headerOf(errorResponse(mapError(new MissingIdentityError('x'))), 'retry-after')).toBeUndefined();
  });

  it('answers each 401 with its own fixed message, and 503 identity_unavailable with Retry-After 2', () => {
    expect(mapError(new ForeignIssuerError('iss "https://evil.example.com/"')).message).toBe('The token was not issued by the identity provider this service trusts.');
    expect(mapError(new TokenVerificationError('the token failed verification')).message).toBe('The bearer token could not be verified.');
    const unavailable = errorResponse(mapError(new IdentityProviderUnavailableError('https://issuer/jwks answered 500')));
    expect(unavailable.statusCode).toBe(503);
    expect(headerOf(unavailable, 'retry-after')).toBe('2');
    expect(bodyOf(unavailable)).toEqual({ error: { code: 'identity_unavailable', message: "The identity provider's keys are unavailable; retry later." } });
  });

  it('never shows internals to the caller', () => {
    const config = errorResponse(mapError(new ConfigurationError('CLIENT_ROLE_ARN', 'must be a role ARN (received "arn:aws:iam::123456789012:user/x")')));
    expect(config.body).not.toContain('123456789012');
    expect(config.body).not.toContain('CLIENT_ROLE_ARN');
  });

});

describe('createOkResponder', () => {
  // The topics a caller is told, written the obvious way: ${sub} replaced by the sub, a ${group}
  // template once per group, a shared one as it is; each topic once, in first-seen order.
  const fill = (template: string, sub: string, groups: string[]): string[] =>
    template.includes('${sub}') ? [template.split('${sub}').join(sub)] : template.includes('${group}') ? groups.map((group) => template.split('${group}').join(group)) : [template];
  const listOf = (templates: string[], sub: string, groups: string[]) => [...new Set(templates.flatMap((template) => fill(template, sub, groups)))];
  const topicsOf = (templates: { publish: string[]; subscribe: string[] }, sub: string, groups: string[] = []) => ({
    publish: listOf(templates.publish, sub, groups),
    subscribe: listOf(templates.subscribe, sub, groups),
  });
  const printable = fc.stringMatching(/^[\x21-\x7e]{1,200}$/);
  const text = fc.string({ unit: 'binary', maxLength: 12 }).filter((part) => !part.includes('${'));
  const template = fc
    .tuple(text, fc.constantFrom('${sub}', '${group}', ''), text)
    .map(([before, variable, after]) => `${before}${variable}${after}`);
  const groupName = fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,20}$/);

  it('writes exactly what JSON.stringify writes, for any templates, sub and credentials', () => {
    fc.assert(
      fc.property(
        fc.array(template, { maxLength: 3 }),
        fc.array(template, { maxLength: 3 }),
        fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,128}$/),
        fc.uniqueArray(groupName, { maxLength: 4 }).map((groups) => groups.sort()),
        fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), { nil: undefined }),
        printable,
        printable,
        fc.constantFrom('abc-ats.iot.eu-west-1.amazonaws.com', '127.0.0.1:3000', '[::1]:8080'),
        (publish, subscribe, sub, groups, suffix, secret, token, host) => {
          const region = 'eu-west-1';
          const url = signMqttUrl({ host, region, credentials: { accessKeyId: 'ASIAEXAMPLEEXAMPLE01', secretAccessKey: secret, sessionToken: token } });
          const clientId = suffix === undefined ? sub : `${sub}-${suffix}`;
          const fields = { url, clientId, principalId: sub, expiresAt: '2026-11-29T14:00:00.000Z', endpoint: host, region };
          const result = createOkResponder({ publish, subscribe })(fields, { sub, groups });
          expect(result.body).toBe(JSON.stringify({ ...fields, topics: topicsOf({ publish, subscribe }, sub, groups) }));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('substitutes ${sub} in the topics, keeps template order and drops repeated templates', () => {
    const respond = createOkResponder({ publish: ['a/${sub}/b', 'x/${sub}', 'a/${sub}/b'], subscribe: ['c/${sub}/#'] });
    const fields = { url: 'wss://h/mqtt', clientId: 'u1', principalId: 'u1', expiresAt: '2026-01-01T00:00:00.000Z', endpoint: 'h', region: 'eu-west-1' };
    expect(bodyOf(respond(fields, { sub: 'u1', groups: [] }))['topics']).toEqual({ publish: ['a/u1/b', 'x/u1'], subscribe: ['c/u1/#'] });
  });

  it('lists one entry per eligible group and shared templates as written, nothing for a group template without groups', () => {
    const respond = createOkResponder({ publish: ['users/${sub}/*', 'rooms/${group}/*', 'lobby/*'], subscribe: ['rooms/${group}/*', 'telemetry/*'] });
    const fields = { url: 'wss://h/mqtt', clientId: 'u1', principalId: 'u1', expiresAt: '2026-01-01T00:00:00.000Z', endpoint: 'h', region: 'eu-west-1' };
    expect(bodyOf(respond(fields, { sub: 'u1', groups: ['team-a', 'team-b'] }))['topics']).toEqual({
      publish: ['users/u1/*', 'rooms/team-a/*', 'rooms/team-b/*', 'lobby/*'],
      subscribe: ['rooms/team-a/*', 'rooms/team-b/*', 'telemetry/*'],
    });
    expect(bodyOf(respond(fields, { sub: 'u1', groups: [] }))['topics']).toEqual({ publish: ['users/u1/*', 'lobby/*'], subscribe: ['telemetry/*'] });
  });

  it('remembers topics per sub and group set, never across them, and forgets the least recent past its size', () => {
    const respond = createOkResponder({ publish: ['users/${sub}/*', 'rooms/${group}/*'], subscribe: ['rooms/${group}/*'] }, 2);
    const fields = { url: 'wss://h/mqtt', clientId: 'u1', principalId: 'u1', expiresAt: '2026-01-01T00:00:00.000Z', endpoint: 'h', region: 'eu-west-1' };
    const topics = (sub: string, groups: string[]) => bodyOf(respond(fields, { sub, groups }))['topics'];
    expect(topics('u1', ['a'])).toEqual({ publish: ['users/u1/*', 'rooms/a/*'], subscribe: ['rooms/a/*'] });
    expect(topics('u1', ['a', 'b'])).toEqual({ publish: ['users/u1/*', 'rooms/a/*', 'rooms/b/*'], subscribe: ['rooms/a/*', 'rooms/b/*'] });
    expect(topics('u1', [])).toEqual({ publish: ['users/u1/*'], subscribe: [] });
    expect(topics('u2', ['a'])).toEqual({ publish: ['users/u2/*', 'rooms/a/*'], subscribe: ['rooms/a/*'] });
    expect(topics('u1', ['a'])).toEqual({ publish: ['users/u1/*', 'rooms/a/*'], subscribe: ['rooms/a/*'] });
  });

  it('answers 200 with no-store, each response with its own headers object', () => {
    const respond = createOkResponder({ publish: ['users/${sub}/*'], subscribe: [] });
    const fields = { url: 'wss://h/mqtt', clientId: 'a', principalId: 'a', expiresAt: '2026-01-01T00:00:00.000Z', endpoint: 'h', region: 'eu-west-1' };
    const first = respond(fields, { sub: 'a', groups: [] });
    expect(first.statusCode).toBe(200);
    expect(headerOf(first, 'cache-control')).toBe('no-store');
    expect(headerOf(first, 'content-type')).toBe('application/json');
    expect(first.headers).not.toBe(respond(fields, { sub: 'a', groups: [] }).headers);
    expect(bodyOf(first)['topics']).toEqual({ publish: ['users/a/*'], subscribe: [] });
  });
});

describe('createIsoFormatter', () => {
  it('formats as toISOString does, across seconds, milliseconds and odd inputs', () => {
    const iso = createIsoFormatter();
    fc.assert(
      fc.property(fc.integer({ min: -1e13, max: 3e14 }), (ms) => {
        expect(iso(ms)).toBe(new Date(ms).toISOString());
        expect(iso(ms + 1)).toBe(new Date(ms + 1).toISOString());
      }),
      { numRuns: 2000 },
    );
    expect(iso(1_800_000_000_000)).toBe('2027-01-15T08:00:00.000Z');
    expect(iso(1_800_000_000_007)).toBe('2027-01-15T08:00:00.007Z');
    expect(iso(1_800_000_000_070)).toBe('2027-01-15T08:00:00.070Z');
    expect(iso(1_800_000_000_999)).toBe('2027-01-15T08:00:00.999Z');
  });
});

describe('classifyStsError', () => {
  const sdkError = (name: string, httpStatusCode: number | undefined) =>
    Object.assign(new Error(`${name}: details that may echo the request`), { name, $metadata: { httpStatusCode } });

  it.each<[string, number | undefined, string, boolean | undefined]>([
    ['ThrottlingException', 400, 'CredentialsUnavailableError', true],
    ['Throttling', 400, 'CredentialsUnavailableError', true],
    ['SomethingNew', 429, 'CredentialsUnavailableError', true],
    ['InternalFailure', 500, 'CredentialsUnavailableError', false],
    ['TimeoutError', undefined, 'CredentialsUnavailableError', false],
    ['ExpiredTokenException', 400, 'CredentialsUnavailableError', false],
    ['AccessDenied', 403, 'ConfigurationError', undefined],
    ['MalformedPolicyDocument', 400, 'ConfigurationError', undefined],
    ['PackedPolicyTooLarge', 400, 'ConfigurationError', undefined],
    ['RegionDisabledException', 403, 'ConfigurationError', undefined],
  ])('classifies %s (HTTP %s) as %s', (name, status, expected, throttled) => {
    const error = classifyStsError(sdkError(name, status));
    expect(error.name).toBe(expected);
    expect((error as { cause?: unknown }).cause).toBeInstanceOf(Error);
    if (throttled !== undefined) expect((error as CredentialsUnavailableError).throttled).toBe(throttled);
  });
});

describe('createRequestLogger', () => {
  it('writes one JSON line per request with the documented fields', () => {
    const lines: string[] = [];
    const log = createRequestLogger((line) => lines.push(line));
    log({ requestId: 'req-1', apiRequestId: 'api-1', sub: 'alice', clientId: 'alice-tab', outcome: 'ok', status: 200, durationMs: 1.23456, cache: 'hit' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 'INFO',
      message: 'mqtt-url',
      requestId: 'req-1',
      apiRequestId: 'api-1',
      sub: 'alice',
      clientId: 'alice-tab',
      outcome: 'ok',
      status: 200,
      durationMs: 1.235,
      cache: 'hit',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
    });
  });

  it('levels 4xx as WARN and 5xx as ERROR, with the error described', () => {
    const lines: string[] = [];
    const log = createRequestLogger((line) => lines.push(line));
    log({ requestId: undefined, apiRequestId: undefined, sub: undefined, clientId: undefined, outcome: 'forbidden', status: 403, durationMs: 0, cache: undefined, error: new ForbiddenSubjectError('bad sub', 'unsafe-characters') });
    log({ requestId: undefined, apiRequestId: undefined, sub: 'a', clientId: 'a', outcome: 'throttled', status: 503, durationMs: 0, cache: undefined, error: new CredentialsUnavailableError('STS throttled AssumeRole', true) });
    expect(lines.map((line) => (JSON.parse(line) as { level: string }).level)).toEqual(['WARN', 'ERROR']);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ error: { name: 'ForbiddenSubjectError', message: 'bad sub' } });
  });

  it("logs a cause's name, code and HTTP status but never its message", () => {
    const cause = Object.assign(new Error('The request signature we calculated does not match: SECRETSECRET'), {
      name: 'SignatureDoesNotMatch',
      code: 'ESIG',
      $metadata: { httpStatusCode: 403 },
    });
    const described = describeError(new CredentialsUnavailableError('STS AssumeRole failed', false, { cause }));
    expect(described).toEqual({ name: 'CredentialsUnavailableError', message: 'STS AssumeRole failed', cause: { name: 'SignatureDoesNotMatch', code: 'ESIG', httpStatusCode: 403 } });
    // A foreign error's own message is not trusted either.
    expect(describeError(new Error('token=SECRETSECRET'))).toEqual({ name: 'Error' });
    expect(JSON.stringify(describeError(new CredentialsUnavailableError('x', false, { cause })))).not.toContain('SECRETSECRET');
  });
});
