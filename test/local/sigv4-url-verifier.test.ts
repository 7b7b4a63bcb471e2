import { readFileSync } from 'node:fs';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { signMqttUrl } from '../../lambda/sigv4.js';
import { verifyPresignedHandshake, type HandshakeVerdict, type VerifiableCredentials } from '../../local/sigv4-url-verifier.js';

const HOST = '127.0.0.1:3000';
const REGION = 'us-east-1';
const SIGNED_AT = new Date('2026-03-01T12:00:00Z');
const session = {
  accessKeyId: 'ASIAEXAMPLESESSION01',
  secretAccessKey: 'secret/with+chars=EXAMPLE',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE+token/with=chars',
  expiration: new Date(SIGNED_AT.getTime() + 3_600_000),
};

function at(date: Date): () => Date {
  return () => date;
}

async function verify(url: string, options: { now?: Date; host?: string; credentials?: VerifiableCredentials | undefined } = {}): Promise<HandshakeVerdict> {
  const parsed = new URL(url);
  const credentials = 'credentials' in options ? options.credentials : session;
  return verifyPresignedHandshake(
    { url: parsed.pathname + parsed.search, host: options.host ?? parsed.host },
    { host: HOST, region: REGION, now: at(options.now ?? new Date(SIGNED_AT.getTime() + 1000)), lookup: (id) => (id === session.accessKeyId ? credentials : undefined) },
  );
}

function sign(overrides: { expiresIn?: number | null; signingDate?: Date; secretAccessKey?: string; sessionToken?: string | undefined; region?: string } = {}): string {
  return signMqttUrl({
    host: HOST,
    region: overrides.region ?? REGION,
    expiresIn: overrides.expiresIn,
    signingDate: overrides.signingDate ?? SIGNED_AT,
    credentials: {
      accessKeyId: session.accessKeyId,
      secretAccessKey: overrides.secretAccessKey ?? session.secretAccessKey,
      sessionToken: 'sessionToken' in overrides ? overrides.sessionToken : session.sessionToken,
    },
  });
}

function refusal(verdict: HandshakeVerdict): string | undefined {
  return verdict.ok ? undefined : verdict.code;
}

describe('verifyPresignedHandshake', () => {
  it('accepts a URL signed by the project signer, with and without X-Amz-Expires', async () => {
    expect(await verify(sign())).toMatchObject({ ok: true, accessKeyId: session.accessKeyId });
    expect(await verify(sign({ expiresIn: null }))).toMatchObject({ ok: true });
  });

  it('agrees with the published vectors (SDK presign path and the no-X-Amz-Expires path)', async () => {
    const vectors = JSON.parse(readFileSync(new URL('../fixtures/iot-presign.json', import.meta.url), 'utf8')) as {
      credentials: { accessKeyId: string; secretAccessKey: string };
      iot: { host: string; region: string; signingDate: string; expiresIn: number | null; signature: string }[];
    };
    for (const vector of vectors.iot) {
      const query = [
        'X-Amz-Algorithm=AWS4-HMAC-SHA256',
        `X-Amz-Credential=${vectors.credentials.accessKeyId}%2F${vector.signingDate.slice(0, 10).replace(/-/g, '')}%2F${vector.region}%2Fiotdevicegateway%2Faws4_request`,
        `X-Amz-Date=${vector.signingDate.replace(/[-:]/g, '')}`,
        ...(vector.expiresIn === null ? [] : [`X-Amz-Expires=${vector.expiresIn}`]),
        'X-Amz-SignedHeaders=host',
        `X-Amz-Signature=${vector.signature}`,
      ].join('&');
      const verdict = await verifyPresignedHandshake(
        { url: `/mqtt?${query}`, host: vector.host },
        { host: vector.host, region: vector.region, now: at(new Date(vector.signingDate)), lookup: () => ({ secretAccessKey: vectors.credentials.secretAccessKey }) },
      );
      expect(verdict, `expiresIn=${String(vector.expiresIn)}`).toMatchObject({ ok: true });
    }
  });

  it('refuses a tampered signature', async () => {
    const url = sign();
    const signature = /X-Amz-Signature=([0-9a-f]+)/.exec(url)?.[1] ?? '';
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
    expect(refusal(await verify(url.replace(signature, flipped)))).toBe('bad-signature');
    expect(refusal(await verify(url.replace(signature, 'zz')))).toBe('bad-signature');
  });

  it('refuses a tampered signed parameter', async () => {
    expect(refusal(await verify(sign().replace('X-Amz-Expires=300', 'X-Amz-Expires=900')))).toBe('bad-signature');
  });

  it('refuses a URL signed with the wrong secret', async () => {
    expect(refusal(await verify(sign({ secretAccessKey: 'not-the-session-secret' })))).toBe('bad-signature');
  });

  it('refuses an unknown access key and an expired session', async () => {
    expect(refusal(await verify(sign(), { credentials: undefined }))).toBe('unknown-access-key');
    expect(refusal(await verify(sign(), { credentials: { ...session, expiration: new Date(SIGNED_AT.getTime() + 500) } }))).toBe('session-expired');
  });

  it('refuses a URL past X-Amz-Expires, and any URL older than 15 minutes', async () => {
    expect(await verify(sign(), { now: new Date(SIGNED_AT.getTime() + 300_000) })).toMatchObject({ ok: true });
    expect(refusal(await verify(sign(), { now: new Date(SIGNED_AT.getTime() + 301_000) }))).toBe('url-expired');
    expect(await verify(sign({ expiresIn: 3600 }), { now: new Date(SIGNED_AT.getTime() + 900_000) })).toMatchObject({ ok: true });
    expect(refusal(await verify(sign({ expiresIn: 3600 }), { now: new Date(SIGNED_AT.getTime() + 901_000) }))).toBe('url-too-old');
    expect(refusal(await verify(sign({ expiresIn: null }), { now: new Date(SIGNED_AT.getTime() + 901_000) }))).toBe('url-too-old');
  });

  it('refuses a URL dated beyond the allowed clock skew', async () => {
    expect(await verify(sign(), { now: new Date(SIGNED_AT.getTime() - 300_000) })).toMatchObject({ ok: true });
    expect(refusal(await verify(sign(), { now: new Date(SIGNED_AT.getTime() - 301_000) }))).toBe('not-yet-valid');
  });

  it('refuses a signed session token (what the AWS SDK v3 presigner produces)', async () => {
    const signer = new SignatureV4({ service: 'iotdevicegateway', region: REGION, credentials: session, sha256: Sha256 });
    const presigned = await signer.presign(new HttpRequest({ method: 'GET', protocol: 'wss:', hostname: HOST, path: '/mqtt', headers: { host: HOST } }), { signingDate: SIGNED_AT, expiresIn: 300 });
    const query = Object.entries(presigned.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
    expect(query).toContain('X-Amz-Security-Token=');
    expect(refusal(await verify(`ws://${HOST}/mqtt?${query}`))).toBe('signed-session-token');
  });

  it('refuses a missing or foreign session token, and a token on long-term credentials', async () => {
    expect(refusal(await verify(sign({ sessionToken: undefined })))).toBe('missing-session-token');
    expect(refusal(await verify(sign({ sessionToken: 'IQoJb3JpZ2luX2VjOTHER' })))).toBe('wrong-session-token');
    expect(refusal(await verify(sign(), { credentials: { secretAccessKey: session.secretAccessKey } }))).toBe('wrong-session-token');
    expect(await verify(sign({ sessionToken: undefined }), { credentials: { secretAccessKey: session.secretAccessKey } })).toMatchObject({ ok: true });
  });

  it('refuses a Host that is not the endpoint, a foreign region and other signed headers', async () => {
    expect(refusal(await verify(sign(), { host: 'localhost:3000' }))).toBe('wrong-host');
    expect(refusal(await verify(sign({ region: 'eu-west-1' })))).toBe('bad-credential-scope');
    expect(refusal(await verify(sign().replace('X-Amz-SignedHeaders=host', 'X-Amz-SignedHeaders=host%3Borigin')))).toBe('unsupported-signed-headers');
    expect(refusal(await verify(sign().replace('X-Amz-Algorithm=AWS4-HMAC-SHA256', 'X-Amz-Algorithm=AWS4-HMAC-SHA1')))).toBe('unsupported-algorithm');
  });

  it('refuses malformed queries with a specific reason', async () => {
    const url = sign();
    expect(refusal(await verify(`${url}&X-Amz-Date=20260301T120000Z`))).toBe('malformed-query');
    expect(refusal(await verify(url.replace(/&X-Amz-Signature=[0-9a-f]+/, '')))).toBe('malformed-query');
    expect(refusal(await verify(`${url}&bad=%E0%A4%A`))).toBe('malformed-query');
    expect(refusal(await verify(url.replace('X-Amz-Date=20260301T120000Z', 'X-Amz-Date=20260231T120000Z')))).toBe('bad-date');
    expect(refusal(await verify(url.replace('X-Amz-Expires=300', 'X-Amz-Expires=0')))).toBe('bad-expires');
    expect(refusal(await verify(url.replace('X-Amz-Expires=300', 'X-Amz-Expires=604801')))).toBe('bad-expires');
  });

  it('includes any other query parameter in the canonical request, as SigV4 does', async () => {
    const signer = new SignatureV4({ service: 'iotdevicegateway', region: REGION, credentials: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey }, sha256: Sha256 });
    const presigned = await signer.presign(new HttpRequest({ method: 'GET', protocol: 'wss:', hostname: HOST, path: '/mqtt', query: { 'x-custom': 'a b+c' }, headers: { host: HOST } }), { signingDate: SIGNED_AT, expiresIn: 300 });
    const query = Object.entries(presigned.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
    const withToken = `ws://${HOST}/mqtt?${query}&X-Amz-Security-Token=${encodeURIComponent(session.sessionToken)}`;
    expect(await verify(withToken)).toMatchObject({ ok: true });
    expect(refusal(await verify(`${sign()}&extra=1`))).toBe('bad-signature');
  });
});
