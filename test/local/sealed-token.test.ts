import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSealedToken, sealingKey, sealToken } from '../../local/sealed-token.js';

const key = sealingKey('test key');

describe('sealed refresh tokens', () => {
  it('opens what it sealed, under the same fixed key on every start', () => {
    const token = sealToken(key, { u: 'alice', c: 'local', exp: 123 });
    expect(openSealedToken(sealingKey('test key'), token)).toEqual({ u: 'alice', c: 'local', exp: 123 });
    // The stand-ins' tokens from before this module keep working: the same bytes as before.
    const [payload] = token.split('.');
    expect(Buffer.from(payload ?? '', 'base64url').toString('utf8')).toBe('{"u":"alice","c":"local","exp":123}');
  });

  it('refuses a token sealed under another key, altered, truncated, with an extra part, or not an object', () => {
    const token = sealToken(key, { u: 'alice' });
    const [payload = '', mac = ''] = token.split('.');
    const forgedPayload = Buffer.from('{"u":"mallory"}').toString('base64url');
    for (const bad of [
      sealToken(sealingKey('other key'), { u: 'alice' }),
      `${forgedPayload}.${mac}`,
      `${payload}.${mac.slice(0, -2)}`,
      `${payload}`,
      `${token}.x`,
      '',
      sealToken(key, ['alice'] as unknown as Record<string, unknown>),
    ]) {
      expect(openSealedToken(key, bad), bad).toBeUndefined();
    }
    // A correct MAC over a payload that is not JSON.
    const notJson = Buffer.from('not json').toString('base64url');
    expect(openSealedToken(key, `${notJson}.${createHmac('sha256', key).update(notJson).digest('base64url')}`)).toBeUndefined();
  });
});
