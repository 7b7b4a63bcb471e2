import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CredentialsNotFoundError,
  InvalidSigningOptionError,
  signMqttUrl,
  signMqttUrlFromDefaultCredentials,
} from '../../lambda/sigv4.js';

const credentials = {
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/=',
};
const signingDate = new Date('2025-06-01T08:00:00Z');
const host = 'abc123-ats.iot.ap-southeast-2.amazonaws.com';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('signMqttUrlFromDefaultCredentials', () => {
  it('signs with environment credentials and carries their session token', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', credentials.sessionToken);
    const url = await signMqttUrlFromDefaultCredentials({ host, signingDate });
    expect(url).toBe(signMqttUrl({ host, region: 'ap-southeast-2', credentials, signingDate }));
    expect(new URL(url).searchParams.get('X-Amz-Security-Token')).toBe(credentials.sessionToken);
  });

  it('carries the session token from a shared credentials profile (the Python original dropped it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aws-signv4-mqtt-'));
    try {
      const file = join(dir, 'credentials');
      writeFileSync(file, `[dev]\naws_access_key_id = ${credentials.accessKeyId}\naws_secret_access_key = ${credentials.secretAccessKey}\naws_session_token = ${credentials.sessionToken}\n`);
      vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', file);
      const url = await signMqttUrlFromDefaultCredentials({ host, signingDate, profile: 'dev' });
      expect(url).toBe(signMqttUrl({ host, region: 'ap-southeast-2', credentials, signingDate }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('signs without a token when the credentials have none', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
    const url = await signMqttUrlFromDefaultCredentials({ host, signingDate });
    expect(new URL(url).searchParams.has('X-Amz-Security-Token')).toBe(false);
  });

  it('takes the region from the option, then the endpoint, then AWS_REGION', async () => {
    const provider = async () => credentials;
    const regionOf = async (options: { host: string; region?: string }) =>
      new URL(await signMqttUrlFromDefaultCredentials({ ...options, signingDate, credentialProvider: provider })).searchParams.get('X-Amz-Credential');
    vi.stubEnv('AWS_REGION', 'eu-central-1');
    expect(await regionOf({ host, region: 'us-west-2' })).toContain('/us-west-2/');
    expect(await regionOf({ host })).toContain('/ap-southeast-2/');
    expect(await regionOf({ host: 'abc.iot.cn-northwest-1.amazonaws.com.cn' })).toContain('/cn-northwest-1/');
    expect(await regionOf({ host: 'mqtt.example.com' })).toContain('/eu-central-1/');
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('AWS_DEFAULT_REGION', 'sa-east-1');
    expect(await regionOf({ host: 'mqtt.example.com' })).toContain('/sa-east-1/');
  });

  it('reports a missing region as a region error', async () => {
    await expect(signMqttUrlFromDefaultCredentials({ host: 'mqtt.example.com', credentialProvider: async () => credentials }))
      .rejects.toMatchObject({ name: 'InvalidSigningOptionError', option: 'region' });
  });

  it('rejects bad options before consulting the chain', async () => {
    const provider = vi.fn(async () => credentials);
    await expect(signMqttUrlFromDefaultCredentials({ host: 'https://x.example.com', credentialProvider: provider }))
      .rejects.toMatchObject({ option: 'host' });
    await expect(signMqttUrlFromDefaultCredentials({ host, expiresIn: 0, credentialProvider: provider }))
      .rejects.toBeInstanceOf(InvalidSigningOptionError);
    expect(provider).not.toHaveBeenCalled();
  });

  it('throws CredentialsNotFoundError, keeping the cause, when the chain finds nothing', async () => {
    const error = await signMqttUrlFromDefaultCredentials({ host }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsNotFoundError);
    expect((error as Error).message).toMatch(/^No AWS credentials found/);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

describe('signMqttUrlFromDefaultCredentials with malformed chain credentials', () => {
  it('reports them as a credentials problem naming the field, never echoing the secret', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'has spaces in it');
    const error = await signMqttUrlFromDefaultCredentials({ host, signingDate }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsNotFoundError);
    expect((error as Error).message).toMatch(/^The default credential chain returned unusable credentials: Invalid credentials\.secretAccessKey/);
    expect((error as Error).message).not.toContain('has spaces');
    expect((error as Error).cause).toBeInstanceOf(InvalidSigningOptionError);
    vi.unstubAllEnvs();
  });
});
