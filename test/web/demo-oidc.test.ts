/**
 * The demo page's OIDC pieces that run without a browser: the principal ID it computes after sign-in
 * (`web/demo/principal-id.ts`, Web Crypto) against Python's `uuid5` vectors and the Lambda's own
 * `principalIdFor`, the groups read from a namespaced claim, and `/config.json` in OIDC mode.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { principalIdFor } from '../../lambda/vending/principal-id.js';
import { readTokenClaims } from '../../web/demo/jwt-claims.js';
import { derivePrincipalId } from '../../web/demo/principal-id.js';
import { isOidcSettings, resolveSettings } from '../../web/demo/settings.js';

interface Vector {
  readonly label: string;
  readonly issuer: string;
  readonly sub: string;
  readonly principalId: string;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/principal-id-vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] };

describe('the page\'s principal ID (Web Crypto uuid5)', () => {
  it.each(fixture.vectors.map((vector) => [vector.label, vector] as const))('matches Python\'s uuid5 for %s', async (_label, vector) => {
    expect(await derivePrincipalId(vector.issuer, vector.sub)).toBe(vector.principalId);
  });

  it('agrees with the Lambda\'s principalIdFor on random issuers and subs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.webUrl({ withQueryParameters: false, withFragments: false }).filter((url) => !url.includes('#') && /^[\x21-\x7e]+$/.test(url)), fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' }), async (issuer, sub) => {
        expect(await derivePrincipalId(issuer, sub)).toBe(principalIdFor(issuer, sub));
      }),
      { numRuns: 200 },
    );
  });
});

describe('OIDC sign-in settings', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const OIDC_CONFIG = {
    apiUrl: 'http://127.0.0.1:3000',
    region: 'us-east-1',
    mode: 'local',
    identity: 'oidc',
    oidc: { issuer: 'http://127.0.0.1:3000/oidc/', tokenUrl: 'http://127.0.0.1:3000/oidc/token', clientId: 'local', audience: 'https://mqtt.local.example', scope: 'openid offline_access', groupsClaim: 'https://example.com/groups' },
  };

  function serveConfig(config: unknown): void {
    vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => undefined, removeItem: () => undefined });
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify(config), { status: 200 }));
  }

  it('reads the issuer block of /config.json', async () => {
    serveConfig(OIDC_CONFIG);
    const settings = await resolveSettings();
    expect(isOidcSettings(settings)).toBe(true);
    expect(settings).toEqual({ apiUrl: OIDC_CONFIG.apiUrl, region: 'us-east-1', mode: 'local', oidc: OIDC_CONFIG.oidc });
  });

  it('refuses an OIDC config whose issuer block is incomplete', async () => {
    serveConfig({ ...OIDC_CONFIG, oidc: { ...OIDC_CONFIG.oidc, tokenUrl: undefined } });
    await expect(resolveSettings()).rejects.toThrow(/oidc block lacks issuer, tokenUrl/);
  });

  it('reads the groups from the namespaced claim it is given', () => {
    const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${encode({ alg: 'RS256' })}.${encode({ sub: 'auth0|0123456789abcdef01234567', exp: 2e9, 'https://example.com/groups': ['team-a', 7], 'cognito:groups': ['x'] })}.c2ln`;
    expect(readTokenClaims(token, 'https://example.com/groups')).toEqual({ sub: 'auth0|0123456789abcdef01234567', exp: 2e9, username: undefined, groups: ['team-a'] });
    expect(readTokenClaims(token).groups).toEqual(['x']);
  });
});
