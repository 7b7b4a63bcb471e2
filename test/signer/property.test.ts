import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signMqttUrl } from '../../lambda/sigv4.js';

// No `xn--` label: a URL decodes it as punycode, and the signer refuses malformed ones (validate tests).
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/).filter((text) => !text.startsWith('xn--'));
// The last label starts with a letter: an all-numeric one makes the name an IPv4 address.
const topLabel = fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,20}[a-z0-9])?$/).filter((text) => !text.startsWith('xn--'));
const hostname = fc.tuple(fc.array(label, { maxLength: 4 }), topLabel).map(([labels, top]) => [...labels, top].join('.'));
const port = fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined });
const region = fc
  .tuple(fc.stringMatching(/^[a-z]{2,4}$/), fc.array(fc.stringMatching(/^[a-z]{1,10}$/), { minLength: 1, maxLength: 2 }), fc.integer({ min: 1, max: 99 }))
  .map(([prefix, words, n]) => `${prefix}-${words.join('-')}-${n}`);
const accessKeyId = fc.stringMatching(/^[A-Z0-9]{16,40}$/);
// Secrets and tokens are the printable-ASCII strings real ones are, heavy in the characters that
// need encoding (`/ + =`), so that any encoding slip changes the signature or the decoded token.
const printable = (min: number, max: number) =>
  fc.array(fc.oneof(fc.constantFrom('/', '+', '=', '%', '~'), fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c))), { minLength: min, maxLength: max }).map((chars) => chars.join(''));
const signingDate = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true });
const expiresIn = fc.integer({ min: 1, max: 604_800 });

describe('signMqttUrl agrees with @smithy/signature-v4', () => {
  it('on hundreds of random hosts, regions, secrets and tokens', async () => {
    await fc.assert(
      fc.asyncProperty(hostname, port, region, accessKeyId, printable(1, 64), printable(1, 400), signingDate, expiresIn,
        async (name, portNumber, regionName, keyId, secret, token, date, expires) => {
          const host = portNumber === undefined ? name : `${name}:${portNumber}`;
          const url = signMqttUrl({
            host, region: regionName, credentials: { accessKeyId: keyId, secretAccessKey: secret, sessionToken: token },
            expiresIn: expires, signingDate: date, protocol: 'wss',
          });

          // Smithy signs the same request without the token: that is what AWS IoT verifies.
          const signer = new SignatureV4({ service: 'iotdevicegateway', region: regionName, credentials: { accessKeyId: keyId, secretAccessKey: secret }, sha256: Sha256 });
          const signedHost = portNumber === undefined || portNumber === 443 ? name : host;
          const presigned = await signer.presign(
            new HttpRequest({ method: 'GET', protocol: 'wss:', hostname: name, path: '/mqtt', headers: { host: signedHost } }),
            { signingDate: date, expiresIn: expires },
          );
          const ours = new URL(url);
          expect(ours.searchParams.get('X-Amz-Signature')).toBe(presigned.query?.['X-Amz-Signature']);
          for (const name of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders']) {
            expect(ours.searchParams.get(name)).toBe(presigned.query?.[name]);
          }

          // The token is the last parameter, after the signature, and decodes to the original.
          const params = [...ours.searchParams.keys()];
          expect(params.at(-1)).toBe('X-Amz-Security-Token');
          expect(params.at(-2)).toBe('X-Amz-Signature');
          expect(ours.searchParams.get('X-Amz-Security-Token')).toBe(token);
          // Strict RFC 3986: nothing outside the unreserved set appears unencoded in the token.
          expect(url.slice(url.indexOf('&X-Amz-Security-Token=') + 22)).toMatch(/^(?:[A-Za-z0-9\-_.~]|%[0-9A-F]{2})+$/);
        }),
      { numRuns: 400 },
    );
  });
});
