import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signMqttUrl } from '../../lambda/sigv4.js';
import { sha256Hex } from '../../lambda/signing/canonical.js';
import { presign } from '../../lambda/signing/presign.js';

interface IotVector {
  host: string;
  region: string;
  signingDate: string;
  expiresIn: number | null;
  signature: string;
  urlWithSessionToken?: string;
}
interface Vectors {
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  iot: IotVector[];
  s3Example: {
    method: string; host: string; path: string; region: string; service: string;
    signingDate: string; expiresIn: number; payloadHash: string; canonicalRequestSha256: string; signature: string;
  };
}

// The vectors live beside the repository (../shared), as CI lays them out.
const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/iot-presign.json', import.meta.url), 'utf8'),
) as Vectors;
const { accessKeyId, secretAccessKey, sessionToken } = vectors.credentials;

describe('published IoT vectors', () => {
  it('has vectors to check', () => {
    expect(vectors.iot.length).toBeGreaterThanOrEqual(3);
  });

  for (const vector of vectors.iot) {
    describe(`expiresIn=${String(vector.expiresIn)}`, () => {
      const options = {
        host: vector.host,
        region: vector.region,
        expiresIn: vector.expiresIn,
        signingDate: new Date(vector.signingDate),
      };

      it('signs to the published signature, with or without a session token', () => {
        for (const credentials of [{ accessKeyId, secretAccessKey }, { accessKeyId, secretAccessKey, sessionToken }]) {
          const url = new URL(signMqttUrl({ ...options, credentials }));
          expect(url.searchParams.get('X-Amz-Signature')).toBe(vector.signature);
        }
      });

      it('puts X-Amz-Expires in the URL exactly when expiresIn is a number', () => {
        const url = new URL(signMqttUrl({ ...options, credentials: { accessKeyId, secretAccessKey } }));
        expect(url.searchParams.get('X-Amz-Expires')).toBe(vector.expiresIn === null ? null : String(vector.expiresIn));
      });

      if (vector.urlWithSessionToken !== undefined) {
        const expected = vector.urlWithSessionToken;
        it('reproduces the published URL byte for byte, token last and unsigned', () => {
          expect(signMqttUrl({ ...options, credentials: { accessKeyId, secretAccessKey, sessionToken } })).toBe(expected);
        });
      }
    });
  }

  it('adds nothing but the token when there is one', () => {
    const base = { host: 'example-ats.iot.us-east-1.amazonaws.com', region: 'us-east-1', signingDate: new Date('2013-05-24T00:00:00Z') };
    const withoutToken = signMqttUrl({ ...base, credentials: { accessKeyId, secretAccessKey } });
    const withToken = signMqttUrl({ ...base, credentials: { accessKeyId, secretAccessKey, sessionToken } });
    expect(withToken.startsWith(`${withoutToken}&X-Amz-Security-Token=`)).toBe(true);
  });
});

describe('published S3 query-auth example through the same canonical core', () => {
  const s3 = vectors.s3Example;
  const result = presign({
    method: s3.method,
    path: s3.path,
    host: s3.host,
    service: s3.service,
    region: s3.region,
    accessKeyId,
    secretAccessKey,
    signingDate: new Date(s3.signingDate),
    expiresIn: s3.expiresIn,
    payloadHash: s3.payloadHash,
  });

  it('builds the published canonical request', () => {
    expect(sha256Hex(result.canonicalRequest)).toBe(s3.canonicalRequestSha256);
  });

  it('computes the published signature', () => {
    expect(result.signature).toBe(s3.signature);
  });
});
