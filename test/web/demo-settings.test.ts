import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readTokenClaims } from '../../web/demo/jwt-claims.js';
import { ConnectMqttOptionError } from '../../web/errors.js';
import { deployedSettings, resolveSettings, saveDeployedOutputs, STORAGE_KEY, takeProposedOutputs } from '../../web/demo/settings.js';

/** A Map-backed stand-in for the browser's localStorage (Node has none). */
class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

const LOCAL_CONFIG = {
  apiUrl: 'http://127.0.0.1:3000',
  cognitoUrl: 'http://127.0.0.1:3000/cognito',
  userPoolClientId: 'local',
  region: 'us-east-1',
  mode: 'local',
};

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
    ['eusc-de-east-1', 'https://cognito-idp.eusc-de-east-1.amazonaws.eu/'],
    ['us-isob-east-1', 'https://cognito-idp.us-isob-east-1.sc2s.sgov.gov/'],
    ['us-gov-west-1', 'https://cognito-idp.us-gov-west-1.amazonaws.com/'],
    ['cn-north-1', 'https://cognito-idp.cn-north-1.amazonaws.com.cn/'],
    ['ap-southeast-5', 'https://cognito-idp.ap-southeast-5.amazonaws.com/'],
  ])("accepts the region %s (the signer's rule) and uses its partition's Cognito endpoint", (region, cognitoUrl) => {
    expect(deployedSettings({ apiUrl: 'https://api.example.com/', userPoolClientId: 'abc', region })).toMatchObject({ region, cognitoUrl });
  });

  it.each([['http://127.0.0.1:3000/'], ['http://localhost:3000'], ['http://[::1]:3000/']])('accepts plain http for the loopback API %s', (apiUrl) => {
    expect(deployedSettings({ apiUrl, userPoolClientId: 'abc', region: 'us-east-1' }).apiUrl).toBe(apiUrl);
  });

  it.each([
    [{ apiUrl: 'abc123.execute-api', userPoolClientId: 'x', region: 'eu-west-1' }, 'API URL must be an absolute https URL (received "abc123.execute-api")'],
    [{ apiUrl: 'ftp://x/', userPoolClientId: 'x', region: 'eu-west-1' }, 'API URL must be an absolute https URL without query or fragment (received "ftp://x/")'],
    [
      { apiUrl: 'https://api.example.com/?stage=prod', userPoolClientId: 'x', region: 'eu-west-1' },
      'API URL must be an absolute https URL without query or fragment (received "https://api.example.com/?stage=prod")',
    ],
    [
      { apiUrl: 'https://api.example.com/#prod', userPoolClientId: 'x', region: 'eu-west-1' },
      'API URL must be an absolute https URL without query or fragment (received "https://api.example.com/#prod")',
    ],
    [
      { apiUrl: 'https://admin:hunter2@api.example.com/', userPoolClientId: 'x', region: 'eu-west-1' },
      'API URL must not contain user info (received "https://***@api.example.com/")',
    ],
    [
      { apiUrl: 'http://api.example.com/', userPoolClientId: 'x', region: 'eu-west-1' },
      'API URL must use https: plain http is allowed only for loopback hosts (localhost, 127.0.0.0/8, [::1]) (received "http://api.example.com/")',
    ],
    [{ apiUrl: 'https://x/', userPoolClientId: 'x', region: 'eu-west-1.evil.com' }, 'Region must look like eu-west-1 (received "eu-west-1.evil.com")'],
    [{ apiUrl: 'https://x/', userPoolClientId: 'x', region: 'evil.com/#' }, 'Region must look like eu-west-1 (received "evil.com/#")'],
    [{ apiUrl: 'https://x/', userPoolClientId: 'a b', region: 'us-east-1' }, 'User pool client id must be letters, digits, _ or + (received "a b")'],
  ])('refuses bad outputs with the value received (%o)', (outputs, message) => {
    expect(() => deployedSettings(outputs)).toThrow(message);
  });

  it("takes the API URL rule from connectMqtt's vendingRequestUrl, keeping its error as the cause", () => {
    let error: unknown;
    try {
      deployedSettings({ apiUrl: 'http://api.example.com/', userPoolClientId: 'x', region: 'eu-west-1' });
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).cause).toBeInstanceOf(ConnectMqttOptionError);
    expect((error as Error).cause).toMatchObject({ option: 'apiUrl', received: '"http://api.example.com/"' });
  });
});

describe('settings from a link', () => {
  let storage: MemoryStorage;
  const replaced: unknown[][] = [];
  const history = { replaceState: (...args: unknown[]) => replaced.push(args) } as unknown as History;
  const location = (search: string): Location => ({ search, pathname: '/demo/' }) as Location;

  beforeEach(() => {
    storage = new MemoryStorage();
    replaced.length = 0;
    vi.stubGlobal('localStorage', storage);
    vi.stubGlobal('fetch', async (input: string) => {
      if (input !== '/config.json') throw new Error(`unexpected fetch ${input}`);
      return new Response(JSON.stringify(LOCAL_CONFIG), { status: 200 });
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('are only a proposal: taken out of the address bar, neither saved nor used', async () => {
    const search = `?apiUrl=${encodeURIComponent('https://attacker.example/')}&clientId=evil&region=eu-west-1`;
    expect(takeProposedOutputs(location(search), history)).toEqual({ apiUrl: 'https://attacker.example/', userPoolClientId: 'evil', region: 'eu-west-1' });
    expect(replaced).toEqual([[null, '', '/demo/']]);
    expect(storage.items.size).toBe(0);
    expect(await resolveSettings()).toEqual(LOCAL_CONFIG);
  });

  it('leave confirmed outputs in use until the user confirms the proposal', async () => {
    saveDeployedOutputs({ apiUrl: 'https://mine.example/', userPoolClientId: 'mine', region: 'eu-west-1' });
    takeProposedOutputs(location('?apiUrl=https%3A%2F%2Fattacker.example%2F&clientId=evil&region=eu-west-1'), history);
    expect(await resolveSettings()).toMatchObject({ apiUrl: 'https://mine.example/', userPoolClientId: 'mine', mode: 'deployed' });
    expect(JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null')).toMatchObject({ apiUrl: 'https://mine.example/' });
  });

  it('with none of the three parameters there is no proposal and the address bar is left alone', () => {
    expect(takeProposedOutputs(location('?debug=1'), history)).toBeUndefined();
    expect(replaced).toEqual([]);
  });

  it('forgets outputs that earlier versions adopted from a link without asking', async () => {
    storage.setItem('aws-signv4-mqtt-demo:deployed-stack', JSON.stringify({ apiUrl: 'https://attacker.example/', userPoolClientId: 'evil', region: 'eu-west-1' }));
    expect(await resolveSettings()).toEqual(LOCAL_CONFIG);
    expect(storage.items.size).toBe(0);
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
