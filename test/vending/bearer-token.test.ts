/** `bearerTokenOf`: exactly one compact JWS in exactly one `Authorization` header, or 401. */
import { describe, expect, it } from 'vitest';
import { bearerTokenOf } from '../../lambda/vending/bearer-token.js';
import { TokenVerificationError } from '../../lambda/vending/errors.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl-_';
const OTHER = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiIn0.b3RoZXI';

describe('bearerTokenOf', () => {
  it.each([
    ['Bearer <token>', `Bearer ${TOKEN}`],
    ['bearer <token>', `bearer ${TOKEN}`],
    ['BEARER <token>', `BEARER ${TOKEN}`],
    ['the bare token (API Gateway accepts it too)', TOKEN],
  ])('reads %s', (_label, value) => {
    expect(bearerTokenOf({ host: 'x', authorization: value })).toBe(TOKEN);
  });

  it('counts only the Authorization header, whatever other headers of its length there are', () => {
    // "cache-control" and "x-request-ids" have as many letters as "authorization".
    expect(bearerTokenOf({ 'cache-control': 'no-cache', 'x-request-ids': TOKEN, authorization: `Bearer ${TOKEN}`, 'authorization2': 'x' })).toBe(TOKEN);
  });

  it('finds the header whatever its letter case', () => {
    expect(bearerTokenOf({ Authorization: `Bearer ${TOKEN}` })).toBe(TOKEN);
    expect(bearerTokenOf({ AUTHORIZATION: `Bearer ${TOKEN}` })).toBe(TOKEN);
  });

  it.each<[string, Record<string, string> | undefined, RegExp]>([
    ['no headers', undefined, /no bearer token/],
    ['no Authorization header', { host: 'x' }, /no bearer token/],
    ['an empty header', { authorization: '' }, /no bearer token/],
    ['Bearer and nothing', { authorization: 'Bearer ' }, /not exactly one bearer token/],
    ['two tokens, comma-joined (two headers as payload 2.0 joins them)', { authorization: `Bearer ${TOKEN},Bearer ${OTHER}` }, /2 comma-separated part/],
    ['two tokens, comma and space', { authorization: `Bearer ${TOKEN}, Bearer ${OTHER}` }, /not exactly one/],
    ['two bare tokens', { authorization: `${TOKEN},${OTHER}` }, /not exactly one/],
    ['a token after a space', { authorization: `Bearer ${TOKEN} ${OTHER}` }, /not exactly one/],
    ['Bearer twice', { authorization: `Bearer Bearer ${TOKEN}` }, /not exactly one/],
    ['two spaces after Bearer', { authorization: `Bearer  ${TOKEN}` }, /not exactly one/],
    ['a tab after Bearer', { authorization: `Bearer\t${TOKEN}` }, /not exactly one/],
    ['a trailing space', { authorization: `Bearer ${TOKEN} ` }, /not exactly one/],
    ['a leading space', { authorization: ` Bearer ${TOKEN}` }, /not exactly one/],
    ['a newline', { authorization: `Bearer ${TOKEN}\n` }, /not exactly one/],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }, /not exactly one/],
    ['two parts only', { authorization: 'Bearer a.b' }, /not exactly one/],
    ['four parts', { authorization: 'Bearer a.b.c.d' }, /not exactly one/],
    ['an empty part', { authorization: 'Bearer a..c' }, /not exactly one/],
    ['base64 padding', { authorization: 'Bearer a.b.c=' }, /not exactly one/],
    ['two headers differing in case', { authorization: `Bearer ${TOKEN}`, Authorization: `Bearer ${OTHER}` }, /2 Authorization headers/],
  ])('refuses %s', (_label, headers, message) => {
    const read = () => bearerTokenOf(headers);
    expect(read).toThrow(TokenVerificationError);
    expect(read).toThrow(message);
  });

  it('never puts the header value in its message', () => {
    try {
      bearerTokenOf({ authorization: `Bearer ${TOKEN},Bearer ${OTHER}` });
    } catch (error) {
      expect((error as Error).message).not.toContain('eyJ');
      expect((error as Error).message).toMatch(/\(\d+ characters, 2 comma-separated part\(s\)\)/);
    }
  });
});
