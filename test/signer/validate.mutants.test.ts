/**
 * The signer's validation rules at their edges: anchors, bounds and the credentials memo. Each test
 * here was written against a mutant that survived the rest of the suite (`npm run mutate`), so it
 * pins the exact boundary a regression would move.
 */
import { describe, expect, it } from 'vitest';
import { InvalidSigningOptionError, signMqttUrl, type SignMqttUrlOptions } from '../../lambda/sigv4.js';
import {
  isLoopbackHostname,
  parseHost,
  resolveProtocol,
  validateCredentials,
  validateExpiresIn,
  validateRegion,
  validateSigningDate,
} from '../../lambda/signing/validate.js';

const ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const valid: SignMqttUrlOptions = {
  host: 'abc123-ats.iot.eu-west-1.amazonaws.com',
  region: 'eu-west-1',
  credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
  signingDate: new Date('2024-02-29T12:34:56Z'),
};

function thrown(action: () => unknown): InvalidSigningOptionError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSigningOptionError);
    return error as InvalidSigningOptionError;
  }
  throw new Error('expected an InvalidSigningOptionError');
}

const signatureOf = (url: string): string | null => new URL(url).searchParams.get('X-Amz-Signature');

describe('loopback hosts (only they may use ws://)', () => {
  it('does not count a name that merely starts with a loopback address as loopback', () => {
    for (const hostname of ['127.0.0.1.evil.example', '127.0.0.1.example', '127.1.2.3.nip.io']) {
      expect(isLoopbackHostname(hostname)).toBe(false);
      expect(resolveProtocol(undefined, hostname)).toBe('wss');
      expect(thrown(() => resolveProtocol('ws', hostname)).option).toBe('protocol');
    }
    expect(thrown(() => signMqttUrl({ ...valid, host: '127.0.0.1.evil.example', protocol: 'ws' })).option).toBe('protocol');
    expect(signMqttUrl({ ...valid, host: '127.0.0.1.evil.example' })).toMatch(/^wss:\/\/127\.0\.0\.1\.evil\.example\/mqtt\?/);
  });

  it('does not count a name that merely ends like a loopback address as loopback', () => {
    for (const hostname of ['evil127.0.0.1', 'a.127.0.0.1', 'x127.0.0.1', 'notlocalhost', 'localhost.evil.example']) {
      expect(isLoopbackHostname(hostname)).toBe(false);
    }
  });

  it('counts exactly localhost, [::1] and 127.x.y.z as loopback', () => {
    for (const hostname of ['localhost', '[::1]', '127.0.0.1', '127.255.255.255', '127.1.22.3']) {
      expect(isLoopbackHostname(hostname)).toBe(true);
      expect(resolveProtocol(undefined, hostname)).toBe('ws');
      expect(resolveProtocol('ws', hostname)).toBe('ws');
      expect(resolveProtocol('wss', hostname)).toBe('wss');
    }
    for (const hostname of ['127.0.0', '127.0.0.1.2', '127.0.0.1000', '127..0.1', '128.0.0.1', '[::2]', '[::1]:80', 'localhost:80', 'LOCALHOST']) {
      expect(isLoopbackHostname(hostname)).toBe(false);
    }
  });

  it('refuses an unknown protocol on a loopback host instead of turning it into ws', () => {
    for (const host of ['127.0.0.1:3000', 'localhost:3000', '[::1]:3000']) {
      for (const protocol of ['https', 'http', '', 'WS', 'mqtt', 'ws ']) {
        const error = thrown(() => signMqttUrl({ ...valid, host, protocol: protocol as 'ws' }));
        expect(error.option).toBe('protocol');
        expect(error.message).toContain('must be "wss" or "ws"');
      }
    }
    expect(thrown(() => resolveProtocol(null, 'localhost')).message).toContain('must be "wss" or "ws" (received null)');
  });

  it('refuses ws for a public host with a message naming the host', () => {
    const error = thrown(() => resolveProtocol('ws', 'mqtt.example.com'));
    expect(error.message).toBe('Invalid protocol: may be "ws" only for loopback hosts (localhost, 127.0.0.0/8, [::1]) (received "ws" with host mqtt.example.com)');
    expect(resolveProtocol('wss', 'mqtt.example.com')).toBe('wss');
    expect(resolveProtocol(undefined, 'mqtt.example.com')).toBe('wss');
  });
});

describe('host parsing', () => {
  it('signs for the whole host, never a tail found after a colon', () => {
    for (const host of ['a.example:b.example:443', 'a.example:b.example', 'evil.example:443:443', 'a:b', '[::1]x:443', 'x[::1]:443']) {
      expect(thrown(() => parseHost(host)).option).toBe('host');
      expect(thrown(() => signMqttUrl({ ...valid, host })).option).toBe('host');
    }
  });

  it('takes at most five port digits, anchored at the end', () => {
    expect(parseHost('a.example:65535')).toEqual({ hostname: 'a.example', port: 65_535 });
    expect(parseHost('a.example:1')).toEqual({ hostname: 'a.example', port: 1 });
    expect(parseHost('a.example:00443')).toEqual({ hostname: 'a.example', port: 443 });
    for (const host of ['a.example:65536', 'a.example:000443', 'a.example:', 'a.example:44a', 'a.example:-1', 'a.example:+1']) {
      expect(thrown(() => parseHost(host)).option).toBe('host');
    }
    expect(thrown(() => parseHost('a.example:65536')).message).toContain('has a port outside 1..65535');
    expect(thrown(() => parseHost('a.example:0')).message).toContain('has a port outside 1..65535');
  });

  it('keeps the brackets of an IPv6 literal and reads its port', () => {
    expect(parseHost('[::1]:3000')).toEqual({ hostname: '[::1]', port: 3000 });
    expect(parseHost('[2001:DB8::1]')).toEqual({ hostname: '[2001:db8::1]', port: undefined });
    expect(parseHost('[::ffff:127.0.0.1]:1')).toEqual({ hostname: '[::ffff:127.0.0.1]', port: 1 });
    for (const host of ['[]', '[::g]', '[::1', '::1]', '[[::1]]', '[::1]]', '[a]b', 'x[a]', '[a]b:443', 'x[a]:443']) {
      expect(thrown(() => parseHost(host)).option).toBe('host');
    }
  });

  it('accepts a well-formed dotted quad only', () => {
    for (const host of ['10.0.0.255', '255.255.255.255', '0.0.0.0', '192.168.1.10']) {
      expect(parseHost(host).hostname).toBe(host);
    }
    for (const host of ['10.0.0.999', '10.0.0.256', '256.0.0.1', '1.2.3', '1.2.3.4.5', 'a.1', 'a.b.c.1', '1.2.3.0255', '1.2.3.4444', '01234.1.1.1']) {
      expect(thrown(() => parseHost(host)).message).toContain('is not a valid host name');
    }
    // Only an all-digit last label makes a name an IPv4 address.
    for (const host of ['x.1a', 'x.a1', 'a1']) expect(parseHost(host).hostname).toBe(host);
    for (const host of ['a.10', '10', '1', 'x.12345']) expect(thrown(() => parseHost(host)).message).toContain('is not a valid host name');
    // A numeric label elsewhere than last is an ordinary DNS label.
    expect(parseHost('1.2.3.example').hostname).toBe('1.2.3.example');
    expect(parseHost('999.example').hostname).toBe('999.example');
  });

  it('refuses a host that a URL parser would read as another host, naming it', () => {
    // A leading zero makes a URL read the part as octal: the client would send 1.2.3.4, not 1.2.3.04.
    expect(thrown(() => parseHost('1.2.3.04')).message).toBe('Invalid host: is read as 1.2.3.4 by a URL parser, which is the host a client would send: use that (received "1.2.3.04")');
    expect(thrown(() => parseHost('010.0.0.1:3000')).message).toContain('is read as 8.0.0.1 by a URL parser');
    // An xn-- label is punycode, which a URL decodes: malformed, the URL cannot be opened at all.
    for (const host of ['xn--a', 'xn--a.example', 'abc.xn--zz.example', 'x.0x1']) {
      expect(thrown(() => parseHost(host)).message).toContain('is not a host name a URL can hold (a malformed xn-- punycode label, or a last label a URL reads as a number, such as 0x1)');
    }
    // Well-formed punycode (bücher.example) and a mere "xn--" inside a label are accepted as they are.
    expect(parseHost('xn--bcher-kva.example')).toEqual({ hostname: 'xn--bcher-kva.example', port: undefined });
    expect(parseHost('axn--a.example').hostname).toBe('axn--a.example');
    expect(parseHost('[::1]:1').hostname).toBe('[::1]');
  });

  it('holds DNS labels to 1..63 letters, digits and inner hyphens, and names to 253 characters', () => {
    const label63 = `a${'b'.repeat(61)}c`;
    expect(parseHost(`${label63}.example`).hostname).toBe(`${label63}.example`);
    expect(thrown(() => parseHost(`a${label63}.example`)).option).toBe('host');
    for (const host of ['-a.example', 'a-.example', 'a.-b.example', 'a..example', '.a.example', 'a.example.', 'a_b.example', 'a*b.example', 'a+b.example', 'ä.example']) {
      expect(thrown(() => parseHost(host)).option).toBe('host');
    }
    expect(parseHost('a-b.x-1.example').hostname).toBe('a-b.x-1.example');
    expect(parseHost('a').hostname).toBe('a');
    // 253 characters is the longest name: four 61-character labels, dots and a 5-character top label.
    const name253 = `${'a'.repeat(61)}.${'b'.repeat(61)}.${'c'.repeat(61)}.${'d'.repeat(61)}.abcde`;
    expect(name253).toHaveLength(253);
    expect(parseHost(`${name253}:443`).hostname).toBe(name253);
    expect(thrown(() => parseHost(`${name253}f`)).option).toBe('host');
  });

  it('lower-cases the name and rejects schemes and separators with distinct messages', () => {
    expect(parseHost('ABC.Example.COM')).toEqual({ hostname: 'abc.example.com', port: undefined });
    expect(thrown(() => parseHost('wss://a.example')).message).toContain('without a scheme');
    expect(thrown(() => parseHost('x+y.z-1://a.example')).message).toContain('without a scheme');
    expect(thrown(() => parseHost('a.example\\x')).message).toContain('no spaces, path, query, fragment or user info');
    expect(thrown(() => parseHost('a.example#f')).message).toContain('no spaces, path, query, fragment or user info');
    expect(thrown(() => parseHost('a.example\t')).message).toContain('no spaces, path, query, fragment or user info');
    expect(thrown(() => parseHost('')).message).toContain('must be a non-empty host name');
    expect(thrown(() => parseHost(undefined, 'endpoint')).option).toBe('endpoint');
    // A scheme must start the string: "1a://" is not one, and ":" alone is a port separator.
    expect(thrown(() => parseHost('1a://b')).message).toContain('no spaces, path');
  });
});

describe('access key ids', () => {
  it('refuses anything around an otherwise valid key id', () => {
    for (const accessKeyId of [`${ACCESS_KEY_ID}/x&y`, `x&y/${ACCESS_KEY_ID}`, ` ${ACCESS_KEY_ID}`, `${ACCESS_KEY_ID}\n`, `${ACCESS_KEY_ID}=`, `${ACCESS_KEY_ID}-1`]) {
      const error = thrown(() => signMqttUrl({ ...valid, credentials: { accessKeyId, secretAccessKey: SECRET } }));
      expect(error.option).toBe('credentials.accessKeyId');
      expect(error.message).toContain('must be 16 to 128 letters, digits or underscores');
    }
  });

  it('accepts 16 to 128 word characters and nothing shorter or longer', () => {
    for (const accessKeyId of ['A'.repeat(16), 'A'.repeat(128), 'ASIA_0123456789_abcdef']) {
      expect(validateCredentials({ accessKeyId, secretAccessKey: SECRET }).accessKeyId).toBe(accessKeyId);
    }
    // Values that only turn into a valid key id when converted to a string are not strings.
    for (const accessKeyId of ['A'.repeat(15), 'A'.repeat(129), '', 42, 1234567890123456, [ACCESS_KEY_ID], { toString: () => ACCESS_KEY_ID }]) {
      expect(thrown(() => validateCredentials({ accessKeyId, secretAccessKey: SECRET })).option).toBe('credentials.accessKeyId');
    }
  });
});

describe('secrets and tokens', () => {
  it('accepts every printable ASCII character and nothing else', () => {
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    expect(validateCredentials({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: printable, sessionToken: printable })).toEqual({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: printable, sessionToken: printable });
    for (const bad of [' ', 'a b', 'ab\u007f', '\u0020x', 'x\u0000', 'é', 'abc\n']) {
      expect(thrown(() => validateCredentials({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: bad })).option).toBe('credentials.secretAccessKey');
      expect(thrown(() => validateCredentials({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, sessionToken: bad })).option).toBe('credentials.sessionToken');
    }
    // A good prefix or suffix does not make the rest printable.
    expect(thrown(() => validateCredentials({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'ok ok' })).option).toBe('credentials.secretAccessKey');
  });

  it('refuses a secret or token that would only pass as its string form', () => {
    expect(thrown(() => validateCredentials({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: [SECRET] })).option).toBe('credentials.secretAccessKey');
    expect(thrown(() => validateCredentials({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: 12345 })).option).toBe('credentials.secretAccessKey');
    expect(thrown(() => validateCredentials({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, sessionToken: ['token'] })).option).toBe('credentials.sessionToken');
    expect(thrown(() => validateCredentials({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, sessionToken: 12345 })).option).toBe('credentials.sessionToken');
  });

  it('refuses a secret or token that is not a string, describing it without its value', () => {
    const secretError = thrown(() => validateCredentials({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: 42 }));
    expect(secretError.message).toBe('Invalid credentials.secretAccessKey: must be a non-empty string of printable characters without spaces (received 42)');
    const tokenError = thrown(() => validateCredentials({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, sessionToken: null }));
    expect(tokenError.message).toBe('Invalid credentials.sessionToken: must be omitted or a non-empty string of printable characters without spaces (received null)');
    expect(thrown(() => validateCredentials({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: '' })).received).toBe('an empty string');
    expect(thrown(() => validateCredentials({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'a b' })).received).toBe('a string of 3 characters');
    expect(thrown(() => validateCredentials('AKIA')).message).toBe('Invalid credentials: must be an object with accessKeyId and secretAccessKey (received "AKIA")');
    expect(thrown(() => validateCredentials(null)).option).toBe('credentials');
  });

  it('returns only the three fields it checked', () => {
    const validated = validateCredentials({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, sessionToken: 'tok', extra: 'x' });
    expect(validated).toEqual({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, sessionToken: 'tok' });
    expect(Object.keys(validated)).toEqual(['accessKeyId', 'secretAccessKey', 'sessionToken']);
  });
});

describe('credentials memo (one object signing many URLs)', () => {
  it('signs with the new secret after the secret of the same object changed in place', () => {
    const credentials = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET };
    const before = signMqttUrl({ ...valid, credentials });
    credentials.secretAccessKey = 'another/secret+key=0123456789ABCDEFGHIJ';
    const after = signMqttUrl({ ...valid, credentials });
    expect(signatureOf(after)).not.toBe(signatureOf(before));
    expect(after).toBe(signMqttUrl({ ...valid, credentials: { ...credentials } }));
  });

  it('rejects a secret that became invalid in place', () => {
    const credentials = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET };
    expect(validateCredentials(credentials).secretAccessKey).toBe(SECRET);
    credentials.secretAccessKey = 'now has spaces';
    expect(thrown(() => validateCredentials(credentials)).option).toBe('credentials.secretAccessKey');
    expect(thrown(() => signMqttUrl({ ...valid, credentials })).option).toBe('credentials.secretAccessKey');
  });

  it('uses the new key id after the key id of the same object changed in place, and rejects a bad one', () => {
    const credentials = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET };
    expect(new URL(signMqttUrl({ ...valid, credentials })).searchParams.get('X-Amz-Credential')).toMatch(/^AKIAIOSFODNN7EXAMPLE\//);
    credentials.accessKeyId = 'ASIAIOSFODNN7EXAMPLE';
    expect(new URL(signMqttUrl({ ...valid, credentials })).searchParams.get('X-Amz-Credential')).toMatch(/^ASIAIOSFODNN7EXAMPLE\//);
    credentials.accessKeyId = 'ASIA/x';
    expect(thrown(() => signMqttUrl({ ...valid, credentials })).option).toBe('credentials.accessKeyId');
  });

  it('appends the new token after the token of the same object changed in place, and drops it when deleted', () => {
    const credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, sessionToken: 'first' };
    expect(new URL(signMqttUrl({ ...valid, credentials })).searchParams.get('X-Amz-Security-Token')).toBe('first');
    credentials.sessionToken = 'second';
    expect(new URL(signMqttUrl({ ...valid, credentials })).searchParams.get('X-Amz-Security-Token')).toBe('second');
    delete credentials.sessionToken;
    expect(new URL(signMqttUrl({ ...valid, credentials })).searchParams.has('X-Amz-Security-Token')).toBe(false);
  });

  it('returns the remembered validation for an unchanged object, and a fresh one for a changed object', () => {
    const credentials = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET };
    const first = validateCredentials(credentials);
    expect(validateCredentials(credentials)).toBe(first);
    credentials.secretAccessKey = `${SECRET}2`;
    const second = validateCredentials(credentials);
    expect(second).not.toBe(first);
    expect(second.secretAccessKey).toBe(`${SECRET}2`);
  });
});

describe('expiresIn', () => {
  it('accepts exactly 1..604800 whole seconds', () => {
    expect(validateExpiresIn(1, 300)).toBe(1);
    expect(validateExpiresIn(604_800, 300)).toBe(604_800);
    expect(validateExpiresIn(undefined, 300)).toBe(300);
    expect(validateExpiresIn(undefined, 42)).toBe(42);
    expect(validateExpiresIn(null, 300)).toBeUndefined();
    for (const bad of [0, 604_801, 0.5, Number.NaN, Number.POSITIVE_INFINITY, '1', '300', true, [300], { valueOf: () => 300 }]) {
      const error = thrown(() => validateExpiresIn(bad, 300));
      expect(error.message).toContain('must be a whole number of seconds from 1 to 604800');
    }
    expect(new URL(signMqttUrl({ ...valid, expiresIn: 604_800 })).searchParams.get('X-Amz-Expires')).toBe('604800');
    expect(new URL(signMqttUrl({ ...valid, expiresIn: 1 })).searchParams.get('X-Amz-Expires')).toBe('1');
  });
});

describe('region and signingDate', () => {
  it('names the option and the value', () => {
    expect(validateRegion('eu-west-1')).toBe('eu-west-1');
    expect(thrown(() => validateRegion(42)).message).toBe('Invalid region: must be an AWS region name such as us-east-1 (received 42)');
    expect(thrown(() => validateRegion('x', 'IOT_REGION')).option).toBe('IOT_REGION');
    // Values whose string form is a region are still not region names.
    expect(thrown(() => validateRegion(['eu-west-1'])).option).toBe('region');
    expect(thrown(() => validateRegion({ toString: () => 'eu-west-1' })).option).toBe('region');
    const date = new Date('2024-01-01T00:00:00Z');
    expect(validateSigningDate(date)).toBe(date);
    expect(thrown(() => validateSigningDate(Date.now())).message).toMatch(/^Invalid signingDate: must be a valid Date \(received \d+\)$/);
  });
});

describe('canonical primitives', () => {
  it('pads every two-digit field of X-Amz-Date, including the value 10', async () => {
    const { toAmzDate } = await import('../../lambda/signing/canonical.js');
    expect(toAmzDate(new Date('2024-10-10T10:10:10Z'))).toBe('20241010T101010Z');
    expect(toAmzDate(new Date('2024-09-09T09:09:09Z'))).toBe('20240909T090909Z');
    expect(toAmzDate(new Date('2024-01-01T00:00:00Z'))).toBe('20240101T000000Z');
    expect(toAmzDate(new Date('1999-12-31T23:59:59.999Z'))).toBe('19991231T235959Z');
  });

  it('hashes UTF-8 text and builds the SigV4 canonical strings', async () => {
    const { sha256Hex, EMPTY_PAYLOAD_SHA256, credentialScope, canonicalRequest, stringToSign, ALGORITHM } = await import('../../lambda/signing/canonical.js');
    expect(sha256Hex('')).toBe(EMPTY_PAYLOAD_SHA256);
    expect(sha256Hex('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(ALGORITHM).toBe('AWS4-HMAC-SHA256');
    expect(credentialScope('20240101', 'eu-west-1', 'iotdevicegateway')).toBe('20240101/eu-west-1/iotdevicegateway/aws4_request');
    const request = canonicalRequest({ method: 'GET', path: '/mqtt', query: 'a=b', host: 'h.example:8443', payloadHash: 'UNSIGNED-PAYLOAD' });
    expect(request).toBe('GET\n/mqtt\na=b\nhost:h.example:8443\n\nhost\nUNSIGNED-PAYLOAD');
    expect(stringToSign('20240101T000000Z', 'scope', request)).toBe(`AWS4-HMAC-SHA256\n20240101T000000Z\nscope\n${sha256Hex(request)}`);
  });

  it('percent-encodes everything but the unreserved set, on the fast path and the general one', async () => {
    const { encodeRfc3986 } = await import('../../lambda/signing/rfc3986.js');
    expect(encodeRfc3986('a/b/c')).toBe('a%2Fb%2Fc');
    expect(encodeRfc3986('/')).toBe('%2F');
    expect(encodeRfc3986('abc')).toBe('abc');
    expect(encodeRfc3986('!')).toBe('%21');
    expect(encodeRfc3986('a/b!')).toBe('a%2Fb%21');
    expect(encodeRfc3986('*')).toBe('%2A');
    expect(encodeRfc3986("'")).toBe('%27');
    expect(encodeRfc3986('~-._')).toBe('~-._');
    expect(encodeRfc3986('a b')).toBe('a%20b');
  });
});
