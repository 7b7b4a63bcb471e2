import { describe, expect, it } from 'vitest';
import { ForbiddenSubjectError, MissingIdentityError } from '../../lambda/vending/errors.js';
import { isUuidSubject, subjectFromClaims } from '../../lambda/vending/identity.js';
import { accessTokenClaims, idTokenClaims } from './helpers.js';

const COGNITO_SUB = '8f2c1e7a-1b2c-4d3e-9f00-0123456789ab';

describe('subjectFromClaims', () => {
  it('takes the sub of a Cognito ID token', () => {
    expect(subjectFromClaims(idTokenClaims(COGNITO_SUB))).toBe(COGNITO_SUB);
  });

  it('takes the sub of a Cognito access token', () => {
    expect(subjectFromClaims(accessTokenClaims(COGNITO_SUB))).toBe(COGNITO_SUB);
  });

  it('accepts every allowed character and exactly 128 of them', () => {
    expect(subjectFromClaims({ sub: 'eu-west-1:abc_DEF.123@example' })).toBe('eu-west-1:abc_DEF.123@example');
    expect(subjectFromClaims({ sub: 'a'.repeat(128) })).toBe('a'.repeat(128));
    expect(subjectFromClaims({ sub: 'x' })).toBe('x');
  });

  it.each([
    ['no claims at all', undefined],
    ['null claims', null],
    ['claims as an array', [COGNITO_SUB]],
    ['claims without sub', { token_use: 'id', aud: 'client' }],
    ['an empty sub', { sub: '' }],
    ['a numeric sub', { sub: 42 }],
    ['a sub list', { sub: [COGNITO_SUB] }],
  ])('refuses %s as no usable identity (401)', (_label, claims) => {
    expect(() => subjectFromClaims(claims)).toThrow(MissingIdentityError);
  });

  it.each([
    ['an IAM wildcard *', 'alice*'],
    ['an IAM wildcard ?', 'alice?'],
    ['an MQTT wildcard #', 'alice#'],
    ['an MQTT wildcard +', 'alice+bob'],
    ['a topic level /', 'alice/../bob'],
    ['a space', 'alice smith'],
    ['a tab', 'alice\tsmith'],
    ['non-ASCII letters', 'zoë'],
    ['an emoji', 'alice😀'],
    ['a policy variable', '${aws:username}'],
    ['a JSON quote', 'alice"'],
    ['129 characters', 'a'.repeat(129)],
    ['300 characters', 'b'.repeat(300)],
  ])('forbids a sub with %s (403)', (_label, sub) => {
    const error = (() => {
      try {
        subjectFromClaims({ ...idTokenClaims('placeholder'), sub });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ForbiddenSubjectError);
    expect((error as Error).name).toBe('ForbiddenSubjectError');
    expect((error as ForbiddenSubjectError).reason).toBe('unsafe-characters');
    // The log message describes the sub without reproducing a huge one.
    expect((error as Error).message.length).toBeLessThan(250);
  });
});

describe('UUID subs and the subs mistakable for their client IDs', () => {
  it('recognises Cognito\'s lower-case UUID form only', () => {
    expect(isUuidSubject(COGNITO_SUB)).toBe(true);
    for (const sub of [COGNITO_SUB.toUpperCase(), `${COGNITO_SUB}-x`, COGNITO_SUB.slice(1), `x${COGNITO_SUB}`, COGNITO_SUB.replaceAll('-', ''), 'alice']) {
      expect(isUuidSubject(sub), sub).toBe(false);
    }
  });

  it.each([
    ['a suffix', `${COGNITO_SUB}-x`],
    ['another UUID', `${COGNITO_SUB}-${COGNITO_SUB}`],
    ['a bare dash', `${COGNITO_SUB}-`],
    // Case is ignored: an upper-case UUID is still a UUID to anything that folds case.
    ['a suffix, in upper case', `${COGNITO_SUB.toUpperCase()}-x`],
    ['a suffix, in mixed case', `${COGNITO_SUB.slice(0, 4).toUpperCase()}${COGNITO_SUB.slice(4)}-x`],
  ])('forbids a non-UUID sub made of a UUID, "-" and %s (403), as it looks like a suffixed client ID', (_label, sub) => {
    const error = (() => {
      try {
        subjectFromClaims(idTokenClaims(sub));
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ForbiddenSubjectError);
    expect((error as ForbiddenSubjectError).reason).toBe('mistakable-client-id');
    expect((error as Error).message).toMatch(/starts with a UUID followed by "-"/);
  });

  it('accepts other subs that merely contain a UUID or dashes', () => {
    for (const sub of [`x${COGNITO_SUB}-x`, COGNITO_SUB.toUpperCase(), `${COGNITO_SUB}_x`, `eu-west-1:${COGNITO_SUB}`, 'a-b', 'a']) {
      expect(subjectFromClaims(idTokenClaims(sub)), sub).toBe(sub);
    }
  });

  it('still reports unsafe characters as such', () => {
    expect(() => subjectFromClaims(idTokenClaims(`${COGNITO_SUB}-*`))).toThrow(expect.objectContaining({ reason: 'unsafe-characters' }) as Error);
  });
});
