/**
 * `createPrincipalReader`: the issuer pinned in both modes, the Cognito sub as it is, the issuer-mode
 * principal ID from the configured claim, and refusals that never quote a raw sub.
 */
import { describe, expect, it } from 'vitest';
import { createPrincipalReader } from '../../lambda/vending/caller-principal.js';
import { ForbiddenSubjectError, ForeignIssuerError, MissingIdentityError } from '../../lambda/vending/errors.js';
import type { CognitoIdentitySettings, OidcIdentitySettings } from '../../lambda/vending/identity-config.js';
import { principalIdFor } from '../../lambda/vending/principal-id.js';
import { COGNITO_ISSUER, idTokenClaims } from './helpers.js';

const COGNITO: CognitoIdentitySettings = { kind: 'cognito', issuer: COGNITO_ISSUER, groupsClaim: 'cognito:groups' };
const ISSUER = 'https://example.us.auth0.com/';
const OIDC: OidcIdentitySettings = { kind: 'oidc', issuer: ISSUER, audiences: ['a'], principalClaim: 'sub', groupsClaim: undefined, jwksUri: undefined };
const SUB = '8f2c1e7a-1b2c-4d3e-9f00-0123456789ab';

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

// Built inside each test: a mutant that throws while a file is collected would count as no test run.
const readCognito = (claims: unknown) => createPrincipalReader(COGNITO)(claims);
const readOidc = (claims: unknown) => createPrincipalReader(OIDC)(claims);

describe('Cognito mode', () => {
  const read = readCognito;

  it('answers the sub of claims from the pool', () => {
    expect(read(idTokenClaims(SUB))).toBe(SUB);
  });

  it.each<[string, unknown]>([
    ['another pool', { ...idTokenClaims(SUB), iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OTHER' }],
    ['a trailing slash', { ...idTokenClaims(SUB), iss: `${COGNITO_ISSUER}/` }],
    ['no iss', { sub: SUB }],
    ['an iss that is not a string', { sub: SUB, iss: ['x'] }],
  ])('refuses %s with ForeignIssuerError, before looking at the sub', (_label, claims) => {
    const error = thrown(() => read(claims));
    expect(error).toBeInstanceOf(ForeignIssuerError);
    expect(error.message).toMatch(new RegExp(`is not ISSUER_URL "${COGNITO_ISSUER.replace(/[.]/g, '\\.')}"$`));
  });

  it('refuses no claims with MissingIdentityError, and an unsafe sub from the pool with 403 as before', () => {
    for (const claims of [undefined, null, 'x', ['a']]) expect(thrown(() => read(claims))).toBeInstanceOf(MissingIdentityError);
    expect(thrown(() => read(undefined)).message).toBe('the authorizer passed no JWT claims (received undefined)');
    expect(thrown(() => read(['a'])).message).toBe('the authorizer passed no JWT claims (received a value of type array)');
    expect(thrown(() => read({ iss: COGNITO_ISSUER }))).toBeInstanceOf(MissingIdentityError);
    expect(thrown(() => read({ iss: COGNITO_ISSUER, sub: 'a*b' }))).toBeInstanceOf(ForbiddenSubjectError);
  });
});

describe('issuer mode', () => {
  const read = readOidc;

  it('answers principalIdFor(issuer, claim), for any sub form', () => {
    for (const sub of ['auth0|64f1a2b3c4d5e6f7a8b9c0d1', 'user_2abc', 'a*b/c#d', 'josé', '😀', 'x'.repeat(1024)]) {
      expect(read({ iss: ISSUER, sub })).toBe(principalIdFor(ISSUER, sub));
    }
  });

  it('answers the same ID for a sub seen before (remembered), and checks the issuer every time', () => {
    const reader = createPrincipalReader(OIDC, 1);
    expect(reader({ iss: ISSUER, sub: 'a' })).toBe(principalIdFor(ISSUER, 'a'));
    expect(reader({ iss: ISSUER, sub: 'a' })).toBe(principalIdFor(ISSUER, 'a'));
    expect(reader({ iss: ISSUER, sub: 'b' })).toBe(principalIdFor(ISSUER, 'b'));
    expect(thrown(() => reader({ iss: 'https://evil.example.com/', sub: 'b' }))).toBeInstanceOf(ForeignIssuerError);
  });

  it('reads the configured principal claim', () => {
    const byOid = createPrincipalReader({ ...OIDC, principalClaim: 'oid' });
    expect(byOid({ iss: ISSUER, sub: 'per-app', oid: 'stable' })).toBe(principalIdFor(ISSUER, 'stable'));
    expect(thrown(() => byOid({ iss: ISSUER, sub: 'per-app' })).message).toBe('the JWT claims hold no usable oid (received undefined)');
  });

  it.each<[string, unknown, RegExp]>([
    ['a missing sub', undefined, /no usable sub \(received undefined\)$/],
    ['a number', 42, /no usable sub \(received 42\)$/],
    ['an empty sub', '', /^the JWT claim sub must be a non-empty string$/],
    ['a sub over 1,024 characters', `secret-${'x'.repeat(1100)}`, /^the JWT claim sub must be at most 1024 characters \(received 1107\)$/],
    ['a lone surrogate', 'secret-\uDC00', /^the JWT claim sub must be well-formed UTF-16/],
  ])('refuses %s with MissingIdentityError, without quoting it', (_label, sub, message) => {
    const error = thrown(() => read({ iss: ISSUER, sub }));
    expect(error).toBeInstanceOf(MissingIdentityError);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('secret');
  });

  it('refuses a foreign iss, even for a valid sub', () => {
    expect(thrown(() => read({ iss: 'https://example.us.auth0.com', sub: 'a' }))).toBeInstanceOf(ForeignIssuerError);
    expect(thrown(() => read({ sub: 'a' }))).toBeInstanceOf(ForeignIssuerError);
    expect(thrown(() => read(undefined))).toBeInstanceOf(MissingIdentityError);
  });
});
