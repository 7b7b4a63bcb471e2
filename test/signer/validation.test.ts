import { describe, expect, it } from 'vitest';
import { InvalidSigningOptionError, signMqttUrl, type SignMqttUrlOptions } from '../../lambda/sigv4.js';

const valid: SignMqttUrlOptions = {
  host: 'abc123-ats.iot.eu-west-1.amazonaws.com',
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  signingDate: new Date('2024-02-29T12:34:56Z'),
};

function errorOf(options: unknown): InvalidSigningOptionError {
  try {
    signMqttUrl(options as SignMqttUrlOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSigningOptionError);
    return error as InvalidSigningOptionError;
  }
  throw new Error('expected signMqttUrl to throw');
}

describe('signMqttUrl validation', () => {
  it.each([
    ['empty host', { host: '' }, 'host', '""'],
    ['non-string host', { host: 42 }, 'host', '42'],
    ['host with a scheme', { host: 'wss://abc-ats.iot.eu-west-1.amazonaws.com' }, 'host', 'wss://'],
    ['host with a path', { host: 'abc-ats.iot.eu-west-1.amazonaws.com/mqtt' }, 'host', '/mqtt'],
    ['host with a space', { host: 'abc ats.iot.eu-west-1.amazonaws.com' }, 'host', 'abc ats'],
    ['host with a query', { host: 'abc.example.com?x=1' }, 'host', '?x=1'],
    ['host with user info', { host: 'user@abc.example.com' }, 'host', 'user@'],
    ['host with an underscore', { host: 'abc_def.example.com' }, 'host', 'abc_def'],
    ['host with an empty label', { host: 'abc..example.com' }, 'host', 'abc..'],
    ['host ending in a numeric label', { host: 'abc.0' }, 'host', 'abc.0'],
    ['host with port 0', { host: 'abc.example.com:0' }, 'host', ':0'],
    ['host with port 70000', { host: 'abc.example.com:70000' }, 'host', ':70000'],
    ['region of the wrong shape', { region: 'Europe' }, 'region', 'Europe'],
    ['empty region', { region: '' }, 'region', '""'],
    ['region with a trailing space', { region: 'us-east-1 ' }, 'region', 'us-east-1 '],
    ['expiresIn of 0', { expiresIn: 0 }, 'expiresIn', '0'],
    ['expiresIn above seven days', { expiresIn: 604_801 }, 'expiresIn', '604801'],
    ['fractional expiresIn', { expiresIn: 1.5 }, 'expiresIn', '1.5'],
    ['negative expiresIn', { expiresIn: -5 }, 'expiresIn', '-5'],
    ['string expiresIn', { expiresIn: '300' }, 'expiresIn', '"300"'],
    ['invalid signingDate', { signingDate: new Date('not a date') }, 'signingDate', 'Invalid Date'],
    ['string signingDate', { signingDate: '2024-01-01' }, 'signingDate', '2024-01-01'],
    ['ws for a public host', { protocol: 'ws' }, 'protocol', 'abc123-ats'],
    ['unknown protocol', { protocol: 'https' }, 'protocol', 'https'],
  ])('rejects %s, naming the option and the value', (_name, override, option, shown) => {
    const error = errorOf({ ...valid, ...override });
    expect(error.option).toBe(option);
    expect(error.message).toContain(option);
    expect(error.message).toContain(shown);
  });

  it.each([
    ['missing credentials', undefined, 'credentials'],
    ['missing accessKeyId', { secretAccessKey: 'secret' }, 'credentials.accessKeyId'],
    ['short accessKeyId', { accessKeyId: 'AKIA', secretAccessKey: 'secret' }, 'credentials.accessKeyId'],
    ['missing secretAccessKey', { accessKeyId: 'AKIAIOSFODNN7EXAMPLE' }, 'credentials.secretAccessKey'],
    ['empty secretAccessKey', { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: '' }, 'credentials.secretAccessKey'],
    ['empty sessionToken', { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret', sessionToken: '' }, 'credentials.sessionToken'],
    ['sessionToken with a newline', { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret', sessionToken: 'abc\ndef' }, 'credentials.sessionToken'],
  ])('rejects %s', (_name, credentials, option) => {
    expect(errorOf({ ...valid, credentials }).option).toBe(option);
  });

  it('never echoes a secret or a token in its message', () => {
    const secret = 'super secret with spaces';
    const error = errorOf({ ...valid, credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: secret } });
    expect(error.message).not.toContain(secret);
    expect(error.message).toContain('24 characters');
    const token = 'tok3n\tw1th\ttabs';
    expect(errorOf({ ...valid, credentials: { ...valid.credentials, sessionToken: token } }).message).not.toContain('tok3n');
  });

  it('rejects a non-object options argument', () => {
    expect(errorOf(null).option).toBe('options');
  });

  it('accepts and normalises what AWS IoT accepts', () => {
    const url = new URL(signMqttUrl({ ...valid, host: 'ABC123-ATS.IOT.EU-WEST-1.AMAZONAWS.COM:443' }));
    expect(url.host).toBe('abc123-ats.iot.eu-west-1.amazonaws.com');
    expect(url.protocol).toBe('wss:');
    expect(url.pathname).toBe('/mqtt');
  });

  it('signs a non-default port into the host and keeps it in the URL', () => {
    const withPort = signMqttUrl({ ...valid, host: 'abc123-ats.iot.eu-west-1.amazonaws.com:8443' });
    const without = signMqttUrl(valid);
    expect(new URL(withPort).port).toBe('8443');
    expect(new URL(withPort).searchParams.get('X-Amz-Signature')).not.toBe(new URL(without).searchParams.get('X-Amz-Signature'));
  });

  it('uses ws:// for loopback hosts by default and wss:// when asked', () => {
    expect(signMqttUrl({ ...valid, host: '127.0.0.1:3000' })).toMatch(/^ws:\/\/127\.0\.0\.1:3000\/mqtt\?/);
    expect(signMqttUrl({ ...valid, host: 'localhost:3000', protocol: 'wss' })).toMatch(/^wss:\/\/localhost:3000\/mqtt\?/);
    expect(signMqttUrl({ ...valid, host: '[::1]:3000' })).toMatch(/^ws:\/\/\[::1\]:3000\/mqtt\?/);
  });

  it('defaults X-Amz-Expires to 300 seconds and omits it for null', () => {
    expect(new URL(signMqttUrl(valid)).searchParams.get('X-Amz-Expires')).toBe('300');
    expect(new URL(signMqttUrl({ ...valid, expiresIn: null })).searchParams.has('X-Amz-Expires')).toBe(false);
  });

  it('is deterministic for a given signingDate and changes with it', () => {
    expect(signMqttUrl(valid)).toBe(signMqttUrl(valid));
    expect(signMqttUrl(valid)).not.toBe(signMqttUrl({ ...valid, signingDate: new Date('2024-02-29T12:34:57Z') }));
  });

  it('signs with the current time when no signingDate is given', () => {
    const before = Date.now();
    const { signingDate: _omitted, ...rest } = valid;
    const amzDate = new URL(signMqttUrl(rest)).searchParams.get('X-Amz-Date') ?? '';
    const signed = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    expect(signed).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(signed).toBeLessThanOrEqual(Date.now());
  });
});

describe('credentials reuse', () => {
  it('re-validates a credentials object whose fields changed since it was last used', () => {
    const credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = { ...valid.credentials };
    expect(() => signMqttUrl({ ...valid, credentials })).not.toThrow();
    credentials.sessionToken = 'has a space';
    expect(() => signMqttUrl({ ...valid, credentials })).toThrow(/credentials\.sessionToken/);
    credentials.sessionToken = 'fine';
    expect(new URL(signMqttUrl({ ...valid, credentials })).searchParams.get('X-Amz-Security-Token')).toBe('fine');
  });
});

describe('endpoint memo', () => {
  it('never lets an invalid protocol ride on an earlier valid signing of the same host', () => {
    expect(() => signMqttUrl(valid)).not.toThrow();
    expect(errorOf({ ...valid, protocol: '' }).option).toBe('protocol');
    expect(errorOf({ ...valid, protocol: 'WSS' }).option).toBe('protocol');
  });
});
