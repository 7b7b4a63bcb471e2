import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toAmzDate } from '../../lambda/signing/canonical.js';
import { regionFromIotEndpoint } from '../../lambda/signing/region.js';
import { encodeRfc3986 } from '../../lambda/signing/rfc3986.js';
import { deriveSigningKey, SigningKeyCache } from '../../lambda/signing/signing-key.js';

describe('encodeRfc3986', () => {
  it('leaves only the unreserved set as it is', () => {
    expect(encodeRfc3986('AZaz09-_.~')).toBe('AZaz09-_.~');
    expect(encodeRfc3986("!'()*")).toBe('%21%27%28%29%2A');
    expect(encodeRfc3986('/+= &')).toBe('%2F%2B%3D%20%26');
    expect(encodeRfc3986('é')).toBe('%C3%A9');
    expect(encodeRfc3986('AKID/20240101/us-east-1/iotdevicegateway/aws4_request')).toBe('AKID%2F20240101%2Fus-east-1%2Fiotdevicegateway%2Faws4_request');
    expect(encodeRfc3986('')).toBe('');
  });
});

describe('toAmzDate', () => {
  it('formats UTC without separators or milliseconds', () => {
    expect(toAmzDate(new Date('2013-05-24T01:02:03.456Z'))).toBe('20130524T010203Z');
  });
});

describe('SigningKeyCache', () => {
  it('returns the derived key and reuses it', () => {
    const cache = new SigningKeyCache(2);
    const key = cache.get('secret', '20240101', 'us-east-1', 'iotdevicegateway');
    expect(key.equals(deriveSigningKey('secret', '20240101', 'us-east-1', 'iotdevicegateway'))).toBe(true);
    expect(cache.get('secret', '20240101', 'us-east-1', 'iotdevicegateway')).toBe(key);
    expect(cache.size).toBe(1);
  });

  it('keys on secret, day, region and service', () => {
    const cache = new SigningKeyCache(10);
    const combos = [
      ['a', '20240101', 'us-east-1', 's'],
      ['b', '20240101', 'us-east-1', 's'],
      ['a', '20240102', 'us-east-1', 's'],
      ['a', '20240101', 'eu-west-1', 's'],
      ['a', '20240101', 'us-east-1', 't'],
    ] as const;
    for (const [secret, day, region, service] of combos) {
      expect(cache.get(secret, day, region, service).equals(deriveSigningKey(secret, day, region, service))).toBe(true);
    }
    expect(cache.size).toBe(2); // one entry per secret: its latest scope
  });

  it('stays within its bound, evicting the least recently used secret', () => {
    const cache = new SigningKeyCache(2);
    const a = cache.get('a', '20240101', 'us-east-1', 's');
    cache.get('b', '20240101', 'us-east-1', 's');
    expect(cache.get('a', '20240101', 'us-east-1', 's')).toBe(a); // a is now the most recent
    cache.get('c', '20240101', 'us-east-1', 's'); // evicts b
    expect(cache.size).toBe(2);
    expect(cache.get('a', '20240101', 'us-east-1', 's')).toBe(a);
    const b = cache.get('b', '20240101', 'us-east-1', 's');
    expect(b.equals(deriveSigningKey('b', '20240101', 'us-east-1', 's'))).toBe(true);
  });

  it('rejects a bound that is not a positive integer', () => {
    expect(() => new SigningKeyCache(0)).toThrow(/positive integer \(received 0\)/);
  });
});

describe('regionFromIotEndpoint', () => {
  it.each([
    ['abc123-ats.iot.us-east-1.amazonaws.com', 'us-east-1'],
    ['ABC123-ATS.IOT.EU-WEST-1.AMAZONAWS.COM', 'eu-west-1'],
    ['abc123-ats.iot.cn-north-1.amazonaws.com.cn', 'cn-north-1'],
    ['abc123-ats.iot.us-gov-west-1.amazonaws.com:443', 'us-gov-west-1'],
    ['abc123.iot.ap-southeast-2.amazonaws.com', 'ap-southeast-2'],
  ])('finds the region in %s', (host, region) => {
    expect(regionFromIotEndpoint(host)).toBe(region);
  });

  it.each(['127.0.0.1:3000', 'mqtt.example.com', 'iot.us-east-1.amazonaws.com.evil.example', 'abc.iot.us-east-1.example.com'])(
    'finds none in %s',
    (host) => {
      expect(regionFromIotEndpoint(host)).toBeUndefined();
    },
  );
});

/**
 * SigV4's canonical query by the book: encode every name and value, sort by encoded name, join.
 * The reference the hand-ordered `canonicalPresignQuery` must equal.
 */
function referenceCanonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

describe('canonicalPresignQuery', () => {
  it('equals the by-the-book canonical query of the same parameters', async () => {
    const { canonicalPresignQuery, encodedCredential } = await import('../../lambda/signing/canonical.js');
    const credential = 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/iotdevicegateway/aws4_request';
    const params = { 'X-Amz-SignedHeaders': 'host', 'X-Amz-Credential': credential, 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Date': '20130524T000000Z' };
    const encoded = encodedCredential('AKIAIOSFODNN7EXAMPLE', '20130524/us-east-1/iotdevicegateway/aws4_request');
    expect(canonicalPresignQuery(encoded, '20130524T000000Z', undefined)).toBe(referenceCanonicalQuery(params));
    expect(canonicalPresignQuery(encoded, '20130524T000000Z', 300)).toBe(referenceCanonicalQuery({ ...params, 'X-Amz-Expires': '300' }));
  });

  it('encodes a credential as the whole text would be, whichever scope came before (fast-check)', async () => {
    const { encodedCredential } = await import('../../lambda/signing/canonical.js');
    const part = fc.string({ unit: 'grapheme', maxLength: 24 });
    fc.assert(
      fc.property(fc.array(fc.tuple(part, fc.oneof(fc.constantFrom('20130524/us-east-1/s3/aws4_request', '20130525/us-east-1/s3/aws4_request', 'a b/!*()/ü'), part)), { minLength: 1, maxLength: 6 }), (calls) => {
        for (const [accessKeyId, scope] of calls) expect(encodedCredential(accessKeyId, scope)).toBe(encodeRfc3986(`${accessKeyId}/${scope}`));
      }),
    );
  });
});

describe('LruMap', () => {
  it('drops the least recently used entry beyond its bound', async () => {
    const { LruMap } = await import('../../lambda/signing/lru-map.js');
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1); // a is now the most recent
    map.set('c', 3); // drops b
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe(1);
    expect(map.get('c')).toBe(3);
    expect(map.size).toBe(2);
    map.set('a', 10); // replacing does not grow it
    expect(map.size).toBe(2);
    expect(map.get('a')).toBe(10);
    expect(() => new LruMap(1.5)).toThrow(/positive integer \(received 1.5\)/);
  });

  it('behaves as a reference LRU under any sequence of gets and sets (fast-check)', async () => {
    const { LruMap } = await import('../../lambda/signing/lru-map.js');
    const op = fc.oneof(
      fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 7 }), value: fc.integer() }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), (bound, ops) => {
        const map = new LruMap<number, number>(bound);
        // The model: keys from least to most recently used, and their values.
        const order: number[] = [];
        const values = new Map<number, number>();
        const touch = (key: number): void => {
          const at = order.indexOf(key);
          if (at >= 0) order.splice(at, 1);
          order.push(key);
        };
        for (const step of ops) {
          if (step.kind === 'get') {
            expect(map.get(step.key)).toBe(values.get(step.key));
            if (values.has(step.key)) touch(step.key);
          } else {
            map.set(step.key, step.value);
            values.set(step.key, step.value);
            touch(step.key);
            if (order.length > bound) values.delete(order.shift() as number);
          }
          expect(map.size).toBe(order.length);
        }
        // Every key the model holds is there; every other key is gone (gets in model order keep it).
        for (const key of [...order]) expect(map.get(key)).toBe(values.get(key));
        for (let key = 0; key <= 7; key++) if (!values.has(key)) expect(map.get(key)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a bound that is not a positive integer', async () => {
    const { LruMap } = await import('../../lambda/signing/lru-map.js');
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new LruMap(bad)).toThrow(/positive integer/);
  });
});

describe('regionFromUserPoolId', () => {
  it('reads the region prefix of a pool id', async () => {
    const { regionFromUserPoolId } = await import('../../lambda/signing/region.js');
    expect(regionFromUserPoolId('eu-west-1_AbCdEf123')).toBe('eu-west-1');
    expect(regionFromUserPoolId('us-gov-west-1_x1')).toBe('us-gov-west-1');
    expect(regionFromUserPoolId('not-a-pool')).toBeUndefined();
  });
});
