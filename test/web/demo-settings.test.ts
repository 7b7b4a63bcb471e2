import { describe, expect, it } from 'vitest';
import { readTokenClaims } from '../../web/demo/jwt-claims.js';
import { deployedSettings } from '../../web/demo/settings.js';

function jwt(payload: Record<string, unknown>): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'RS256', kid: 'k' })}.${encode(payload)}.c2lnbmF0dXJl`;
}

describe('deployedSettings', () => {
  it('derives the regional Cognito endpoint from the CDK outputs', () => {
    expect(
      deployedSettings({ apiUrl: ' https://abc123.execute-api.eu-west-1.amazonaws.com/ ', userPoolClientId: '2abc3def', region: 'eu-west-1' }),
    ).toEqual({
      apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/',
      userPoolClientId: '2abc3def',
      region: 'eu-west-1',
      cognitoUrl: 'https://cognito-idp.eu-west-1.amazonaws.com/',
      mode: 'deployed',
    });
  });

  it.each([
    [{ apiUrl: 'abc123.execute-api', userPoolClientId: 'x', region: 'eu-west-1' }, 'API URL must be an absolute https URL (received "abc123.execute-api")'],
    [{ apiUrl: 'ftp://x/', userPoolClientId: 'x', region: 'eu-west-1' }, 'API URL must be an https URL (received "ftp://x/")'],
    [{ apiUrl: 'https://x/', userPoolClientId: 'x', region: 'evil.com/#' }, 'Region must look like eu-west-1 (received "evil.com/#")'],
    [{ apiUrl: 'https://x/', userPoolClientId: 'a b', region: 'us-east-1' }, 'User pool client id must be letters, digits, _ or + (received "a b")'],
  ])('refuses bad outputs with the value received (%o)', (outputs, message) => {
    expect(() => deployedSettings(outputs)).toThrow(message);
  });
});

describe('readTokenClaims', () => {
  it('reads sub, exp and the Cognito username (UTF-8 safe)', () => {
    expect(readTokenClaims(jwt({ sub: 'abc-123', exp: 1_700_000_000, 'cognito:username': 'zoë' }))).toEqual({
      sub: 'abc-123',
      exp: 1_700_000_000,
      username: 'zoë',
    });
  });

  it.each([['not-a-jwt'], ['a.%%%.c'], [jwt({ exp: 1 })], [jwt({ sub: 'x', exp: 'tomorrow' })]])('refuses %s', (token) => {
    expect(() => readTokenClaims(token)).toThrow(/JWT|sub or exp/);
  });
});
