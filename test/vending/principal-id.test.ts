/**
 * `principalIdFor`: Python's `uuid.uuid5(uuid.NAMESPACE_URL, issuer + "#" + sub)` on fixed vectors
 * (test/fixtures/principal-id-vectors.json), the refusals, and properties over random issuers and
 * subs (fast-check): UUID-shaped (version 5, variant 10), stable, distinct across distinct pairs.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidPrincipalInputError, principalIdFor } from '../../lambda/sigv4.js';
import { MAX_PRINCIPAL_SUB_LENGTH, principalIdDeriver } from '../../lambda/vending/principal-id.js';

interface Vector {
  readonly label: string;
  readonly issuer: string;
  readonly sub: string;
  readonly principalId: string;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/principal-id-vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('principalIdFor on the Python vectors', () => {
  it('holds enough varied vectors', () => {
    expect(fixture.vectors.length).toBeGreaterThanOrEqual(12);
    expect(new Set(fixture.vectors.map((vector) => vector.principalId)).size).toBe(fixture.vectors.length);
  });

  it.each(fixture.vectors.map((vector) => [vector.label, vector] as const))('matches uuid5 for %s', (_label, vector) => {
    expect(principalIdFor(vector.issuer, vector.sub)).toBe(vector.principalId);
    expect(principalIdDeriver(vector.issuer)(vector.sub)).toBe(vector.principalId);
  });

  it('gives the documented ID for the Auth0 example', () => {
    expect(principalIdFor('https://example.us.auth0.com/', 'auth0|64f1a2b3c4d5e6f7a8b9c0d1')).toBe('0b5c7775-5442-5885-a5a7-be35e661200b');
  });

  it('keeps the issuer exactly: a trailing slash makes another issuer', () => {
    expect(principalIdFor('https://example.us.auth0.com/', 'a')).not.toBe(principalIdFor('https://example.us.auth0.com', 'a'));
    expect(principalIdFor('https://Example.us.auth0.com/', 'a')).not.toBe(principalIdFor('https://example.us.auth0.com/', 'a'));
  });
});

describe('principalIdFor refuses', () => {
  const ISSUER = 'https://issuer.example.com/';

  it.each([
    ['a "#"', 'https://issuer.example.com/a#b', /must not hold "#"/],
    ['a fragment', 'https://issuer.example.com/#', /must not hold "#"/],
    ['a query', 'https://issuer.example.com/?tenant=a', /must not hold a query/],
    ['an empty query', 'https://issuer.example.com/?', /must not hold a query/],
    ['a relative URL', '/realms/demo', /absolute http\(s\) URL/],
    ['no scheme', 'issuer.example.com', /absolute http\(s\) URL/],
    ['another scheme', 'urn:example:issuer', /absolute http\(s\) URL/],
    ['a file URL', 'file:///etc/issuer', /absolute http\(s\) URL/],
    ['white space', ' https://issuer.example.com/', /printable ASCII/],
    ['a space inside', 'https://issuer.example.com/a b', /printable ASCII/],
    ['non-ASCII', 'https://issuer.example.com/é', /printable ASCII/],
    ['an empty string', '', /printable ASCII/],
    ['no host', 'https://', /absolute http\(s\) URL/],
    ['no "//" (which URL parsing would forgive)', 'https:issuer.example.com/', /starting with https:\/\//],
    ['an upper-case scheme', 'HTTPS://issuer.example.com/', /starting with https:\/\//],
    ['"///" before the host', 'https:///issuer.example.com/', /starting with https:\/\//],
    ['user information', 'https://user@issuer.example.com/', /user information/],
    ['a password only', 'https://:secret@issuer.example.com/', /user information/],
    ['a scheme that only ends in https', 'git+https://issuer.example.com/', /starting with https:\/\//],
    ['an unclosed IPv6 host', 'https://[::1/', /valid host and port/],
    ['a port out of range', 'https://issuer.example.com:99999/', /valid host and port/],
  ])('an issuer with %s, naming the value received', (_label, issuer, problem) => {
    const call = () => principalIdFor(issuer, 'alice');
    expect(call).toThrow(InvalidPrincipalInputError);
    expect(call).toThrow(problem);
    try {
      call();
    } catch (error) {
      expect(error).toMatchObject({ name: 'InvalidPrincipalInputError', input: 'issuer', received: JSON.stringify(issuer) });
      expect((error as Error).message).toContain(`(received ${JSON.stringify(issuer)})`);
    }
  });

  it('with an error that is instanceof across copies of the package (ES module and CommonJS)', () => {
    const fromOtherCopy = Object.assign(new Error('x'), { [Symbol.for('aws-signv4-mqtt.InvalidPrincipalInputError')]: true });
    expect(fromOtherCopy).toBeInstanceOf(InvalidPrincipalInputError);
    expect(new Error('x')).not.toBeInstanceOf(InvalidPrincipalInputError);
  });

  it('an issuer that is not a string', () => {
    expect(() => principalIdFor(42 as unknown as string, 'alice')).toThrow(/Invalid issuer: .* \(received 42\)/);
  });

  it.each([
    ['empty', '', /non-empty string/],
    ['over 1,024 characters', 'a'.repeat(MAX_PRINCIPAL_SUB_LENGTH + 1), /at most 1024 characters \(received 1025\)/],
    ['over 1,024 non-BMP characters', '😀'.repeat(MAX_PRINCIPAL_SUB_LENGTH + 1), /at most 1024 characters \(received 1025\)/],
    ['a lone high surrogate', 'abc\uD800', /well-formed UTF-16/],
    ['a lone high surrogate before a letter', '\uD83Dx', /well-formed UTF-16/],
    ['a lone low surrogate', '\uDE00abc', /well-formed UTF-16/],
    ['two surrogates the wrong way round', '\uDE00\uD83D', /well-formed UTF-16/],
  ])('a sub that is %s', (_label, sub, problem) => {
    const call = () => principalIdFor(ISSUER, sub);
    expect(call).toThrow(InvalidPrincipalInputError);
    expect(call).toThrow(problem);
    try {
      call();
    } catch (error) {
      expect(error).toMatchObject({ name: 'InvalidPrincipalInputError', input: 'sub' });
      expect((error as InvalidPrincipalInputError).problem).not.toContain('received "');
    }
  });

  it('a sub that is not a string', () => {
    expect(() => principalIdFor(ISSUER, undefined as unknown as string)).toThrow(/Invalid sub: must be a non-empty string \(received undefined\)/);
  });

  it('counts code points at both ends of the surrogate ranges', () => {
    // U+10000 is \uD800\uDC00 and U+10FFFF is \uDBFF\uDFFF: each counts as one character.
    expect(principalIdFor(ISSUER, '\u{10000}'.repeat(MAX_PRINCIPAL_SUB_LENGTH))).toMatch(UUID_V5);
    expect(principalIdFor(ISSUER, '\u{10FFFF}'.repeat(MAX_PRINCIPAL_SUB_LENGTH))).toMatch(UUID_V5);
    expect(() => principalIdFor(ISSUER, '\u{10FFFF}'.repeat(MAX_PRINCIPAL_SUB_LENGTH + 1))).toThrow(/received 1025\)/);
    // A lone surrogate counts as one character too (and is then refused as such).
    expect(() => principalIdFor(ISSUER, `${'a'.repeat(MAX_PRINCIPAL_SUB_LENGTH)}\uD800`)).toThrow(/received 1025\)/);
    expect(() => principalIdFor(ISSUER, `${'a'.repeat(MAX_PRINCIPAL_SUB_LENGTH - 1)}\uD800`)).toThrow(/well-formed UTF-16/);
  });

  it('accepts exactly 1,024 characters, BMP or not', () => {
    expect(principalIdFor(ISSUER, 'a'.repeat(MAX_PRINCIPAL_SUB_LENGTH))).toMatch(UUID_V5);
    expect(principalIdFor(ISSUER, '😀'.repeat(MAX_PRINCIPAL_SUB_LENGTH))).toMatch(UUID_V5);
    expect(principalIdFor(ISSUER, `${'😀'.repeat(MAX_PRINCIPAL_SUB_LENGTH - 1)}a`)).toMatch(UUID_V5);
  });

  it('accepts http issuers and ports (the configuration decides which schemes a deployment trusts)', () => {
    expect(principalIdFor('http://127.0.0.1:3000/', 'a')).toMatch(UUID_V5);
    expect(principalIdFor('https://issuer.example.com:8443/realms/demo', 'a')).toMatch(UUID_V5);
  });
});

// Issuers as OIDC providers spell them: https, a host, an optional port, optional path segments and an
// optional trailing slash; never a query or fragment.
// One hyphen at most, so no label is an invalid punycode one (`xn--…`), which URL parsing refuses.
const label = fc.stringMatching(/^[a-z0-9][a-z0-9]{0,9}(?:-[a-z0-9]{1,5})?$/);
const issuerArbitrary = fc
  .record({
    scheme: fc.constantFrom('https', 'http'),
    // The last label is letters only: WHATWG URL parsing reads a host ending in a number as IPv4.
    host: fc.tuple(fc.array(label, { maxLength: 3 }), fc.stringMatching(/^[a-z]{1,8}$/)).map(([labels, top]) => [...labels, top].join('.')),
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    path: fc.array(fc.stringMatching(/^[A-Za-z0-9._~|:@!$&'()*+,;=-]{1,12}$/), { maxLength: 3 }),
    slash: fc.boolean(),
  })
  .map(({ scheme, host, port, path, slash }) => `${scheme}://${host}${port === undefined ? '' : `:${port}`}${path.map((segment) => `/${segment}`).join('')}${slash ? '/' : ''}`);
// Well-formed subs of 1 to 1,024 code points, any plane (fast-check's 'binary' unit is any code point but a
// surrogate), with ASCII often enough that near-identical subs are common.
const subArbitrary = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 64 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: MAX_PRINCIPAL_SUB_LENGTH }),
  fc.string({ unit: fc.constantFrom('a', '|', '😀', 'é', '\u0301'), minLength: 1, maxLength: MAX_PRINCIPAL_SUB_LENGTH }),
);

describe('principalIdFor properties', () => {
  it('gives a version 5, variant 10 UUID in lower case, the same every time, for valid issuers and subs', () => {
    fc.assert(
      fc.property(issuerArbitrary, subArbitrary, (issuer, sub) => {
        const id = principalIdFor(issuer, sub);
        expect(id).toMatch(UUID_V5);
        expect(principalIdFor(issuer, sub)).toBe(id);
        expect(principalIdDeriver(issuer)(sub)).toBe(id);
      }),
      { numRuns: 500 },
    );
  });

  it('gives distinct IDs to distinct pairs in a large sample', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(issuerArbitrary, subArbitrary), { minLength: 1000, maxLength: 1000, selector: ([issuer, sub]) => `${issuer}\n${sub}` }), (pairs) => {
        const ids = new Set(pairs.map(([issuer, sub]) => principalIdFor(issuer, sub)));
        expect(ids.size).toBe(pairs.length);
      }),
      { numRuns: 4 },
    );
  });

  it('gives distinct IDs to subs that differ in one character, and to one sub at issuers that differ', () => {
    fc.assert(
      fc.property(issuerArbitrary, subArbitrary, fc.nat(), fc.constantFrom('x', '😀', 'é', '/'), (issuer, sub, at, replacement) => {
        const points = [...sub];
        const index = at % points.length;
        if (points[index] === replacement) return;
        points[index] = replacement;
        expect(principalIdFor(issuer, points.join(''))).not.toBe(principalIdFor(issuer, sub));
        expect(principalIdFor(`${issuer}/x`, sub)).not.toBe(principalIdFor(issuer, sub));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses any sub holding a lone surrogate', () => {
    const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));
    fc.assert(
      fc.property(issuerArbitrary, fc.string({ maxLength: 20 }), surrogate, fc.string({ maxLength: 20 }), (issuer, before, lone, after) => {
        // A high surrogate right before a low one would be a pair, not a lone surrogate.
        const sub = `${before.replace(/[\uD800-\uDFFF]/g, 'a')}${lone}${after.replace(/[\uD800-\uDFFF]/g, 'a')}`;
        expect(() => principalIdFor(issuer, sub)).toThrow(/well-formed UTF-16/);
      }),
      { numRuns: 300 },
    );
  });
});
