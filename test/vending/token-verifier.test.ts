/**
 * `createOidcTokenVerifier` (aws-jwt-verify with the project's checks) and the issuer fetches
 * (`oidc-fetch.ts`) against a loopback issuer serving discovery and a JWKS over plain http: RSA
 * only, exact issuer, `aud` else `client_id`, `exp` required, key rotation, and the 401/503 split.
 * Every fetch goes to 127.0.0.1; non-loopback http is refused before any connection.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityProviderUnavailableError, TokenVerificationError } from '../../lambda/vending/errors.js';
import { discoverJwksUri, fetchableUrlProblem, httpGet, OIDC_MAX_BODY_BYTES } from '../../lambda/vending/oidc-fetch.js';
import { createOidcTokenVerifier, RSA_ALGORITHMS } from '../../lambda/vending/token-verifier.js';
import { jwksOf, rsaKey, signToken, startIssuerServer, type IssuerServer, type SigningKey } from './oidc-helpers.js';

let key: SigningKey;
let rotated: SigningKey;
let server: IssuerServer;

beforeAll(async () => {
  key = await rsaKey('k1');
  rotated = await rsaKey('k2', 'RS512');
  server = await startIssuerServer([key], '/realms/demo');
});

afterAll(async () => {
  await server.close();
});

const claimsFor = (issuer: string, extra: Record<string, unknown> = {}) => ({ iss: issuer, sub: 'user-1', aud: 'mqtt-app', ...extra });

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('createOidcTokenVerifier against a loopback issuer', () => {
  it('verifies a token through discovery (the issuer has no trailing slash) and fetches the JWKS once', async () => {
    const verifier = createOidcTokenVerifier({ issuer: server.issuer, audiences: ['mqtt-app'] });
    const before = server.requests.length;
    await verifier.hydrate();
    expect(server.requests.slice(before)).toEqual(['/realms/demo/.well-known/openid-configuration', '/realms/demo/.well-known/jwks.json']);
    const payload = await verifier.verify(await signToken(key, claimsFor(server.issuer, { groups: ['a'] })));
    expect(payload).toMatchObject({ iss: server.issuer, sub: 'user-1', groups: ['a'] });
    await verifier.verify(await signToken(key, claimsFor(server.issuer)));
    expect(server.requests.length - before).toBe(2);
  });

  it('refetches the JWKS for a token of a rotated key', async () => {
    const verifier = createOidcTokenVerifier({ issuer: server.issuer, audiences: ['mqtt-app'], jwksUri: server.jwksUri });
    await verifier.hydrate();
    server.setKeys([key, rotated]);
    try {
      const before = server.requests.length;
      expect(await verifier.verify(await signToken(rotated, claimsFor(server.issuer), { alg: 'RS512' }))).toMatchObject({ sub: 'user-1' });
      expect(server.requests.slice(before)).toEqual(['/realms/demo/.well-known/jwks.json']);
    } finally {
      server.setKeys([key]);
    }
  });

  it('accepts aud as a string or an array, and client_id only when there is no aud', async () => {
    const verifier = createOidcTokenVerifier({ issuer: server.issuer, audiences: ['mqtt-app', 'other'], jwks: jwksOf(key) as never });
    await expect(verifier.verify(await signToken(key, claimsFor(server.issuer, { aud: ['x', 'other'] })))).resolves.toBeDefined();
    await expect(verifier.verify(await signToken(key, claimsFor(server.issuer, { aud: undefined, client_id: 'mqtt-app' })))).resolves.toBeDefined();
    const wrongAud = await rejection(verifier.verify(await signToken(key, claimsFor(server.issuer, { aud: 'x', client_id: 'mqtt-app' }))));
    expect(wrongAud).toBeInstanceOf(TokenVerificationError);
    expect(wrongAud.message).toBe("the token's aud names none of the 2 accepted audiences");
    const wrongClient = await rejection(verifier.verify(await signToken(key, claimsFor(server.issuer, { aud: undefined, client_id: 'x' }))));
    expect(wrongClient.message).toBe('the token has no aud, and its client_id names none of the 2 accepted audiences');
    const neither = await rejection(verifier.verify(await signToken(key, claimsFor(server.issuer, { aud: undefined }))));
    expect(neither.message).toMatch(/has no aud/);
    expect((await rejection(verifier.verify(await signToken(key, claimsFor(server.issuer, { aud: [] }))))).message).toMatch(/aud names none/);
    // aws-jwt-verify itself refuses an aud that is neither a string nor an array of strings.
    expect((await rejection(verifier.verify(await signToken(key, claimsFor(server.issuer, { aud: [1] }))))).message).toMatch(/malformed|aud names none/);
  });

  it.each<[string, () => Promise<string>, RegExp]>([
    ['another issuer', async () => signToken(key, claimsFor('https://evil.example.com/')), /another issuer/],
    ['the issuer with a trailing slash added', async () => signToken(key, claimsFor(`${server.issuer}/`)), /another issuer/],
    ['an expired token', async () => signToken(key, claimsFor(server.issuer), { expiresInSeconds: -5 }), /expired/],
    ['a token without exp', async () => signToken(key, claimsFor(server.issuer), { expiresInSeconds: null }), /no numeric exp/],
    ['a token not valid yet', async () => signToken(key, claimsFor(server.issuer, { nbf: Math.floor(Date.now() / 1000) + 600 })), /not valid yet/],
    ['a signature by another key', async () => signToken(await rsaKey('k1'), claimsFor(server.issuer)), /invalid signature/],
    ['an unknown kid', async () => signToken(await rsaKey('k9'), claimsFor(server.issuer)), /kid is not in the issuer's JWKS/],
    ['no kid', async () => (await signToken(key, claimsFor(server.issuer), { kid: '' })).replace(/^[^.]+/, Buffer.from('{"alg":"RS256"}').toString('base64url')), /no kid|invalid signature/],
    ['not a JWT at all', async () => 'a.b.c', /alg "\(unreadable header\)" is not one of/],
    ['a header without alg', async () => `${Buffer.from('{"kid":"k1"}').toString('base64url')}.e30.c2ln`, /alg undefined is not one of/],
    ['a null header', async () => `${Buffer.from('null').toString('base64url')}.e30.c2ln`, /alg undefined is not one of/],
    ['alg none', async () => `${Buffer.from('{"alg":"none","kid":"k1"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`, /alg "none" is not one of/],
  ])('refuses %s with a TokenVerificationError', async (_label, token, message) => {
    const verifier = createOidcTokenVerifier({ issuer: server.issuer, audiences: ['mqtt-app'], jwks: jwksOf(key, rotated) as never });
    const error = await rejection(verifier.verify(await token()));
    expect(error).toBeInstanceOf(TokenVerificationError);
    expect(error.message).toMatch(message);
  });

  it('keeps the library error as the cause, and says "refused" for a refusal it has no words for', async () => {
    const verifier = createOidcTokenVerifier({ issuer: server.issuer, audiences: ['mqtt-app'], jwks: { keys: [{ ...key.publicJwk, use: 'enc' }] } as never });
    const error = await rejection(verifier.verify(await signToken(key, claimsFor(server.issuer))));
    expect(error).toBeInstanceOf(TokenVerificationError);
    expect(error.message).toBe('the token failed verification: refused');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('refuses a second unknown kid at once, while the JWKS is not refetched yet', async () => {
    const verifier = createOidcTokenVerifier({ issuer: server.issuer, audiences: ['mqtt-app'], jwksUri: server.jwksUri });
    const stranger = await rsaKey('k8');
    const first = await rejection(verifier.verify(await signToken(stranger, claimsFor(server.issuer))));
    const before = server.requests.length;
    const second = await rejection(verifier.verify(await signToken(stranger, claimsFor(server.issuer))));
    expect(server.requests.length).toBe(before);
    for (const error of [first, second]) expect(error.message).toBe("the token failed verification: its kid is not in the issuer's JWKS");
  });

  it("refuses a token whose alg is not its key's", async () => {
    const mislabelled = await rsaKey('k3');
    const verifier = createOidcTokenVerifier({ issuer: server.issuer, audiences: ['mqtt-app'], jwks: { keys: [{ ...mislabelled.publicJwk, alg: 'RS512' }] } as never });
    const error = await rejection(verifier.verify(await signToken(mislabelled, claimsFor(server.issuer))));
    expect(error).toBeInstanceOf(TokenVerificationError);
    expect(error.message).toBe("the token failed verification: the alg does not match its key's");
  });

  it('refuses an RS256 header over an ECDSA signature by an EC key of the JWKS (RSA keys only)', async () => {
    const { generateKeyPairSync, sign } = await import('node:crypto');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecJwk = { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec2' };
    const verifier = createOidcTokenVerifier({ issuer: server.issuer, audiences: ['mqtt-app'], jwks: { keys: [ecJwk] } as never });
    const input = `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'ec2' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claimsFor(server.issuer), exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url')}`;
    const signature = sign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const error = await rejection(verifier.verify(`${input}.${signature}`));
    expect(error).toBeInstanceOf(TokenVerificationError);
    expect(error.message).toBe(`the token was verified with a key of type "EC", not RSA`);
  });

  it('refuses ES256 and HS256 before looking for a key', async () => {
    const { generateKeyPair, exportJWK } = await import('jose');
    const ec = await generateKeyPair('ES256', { extractable: true });
    const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'ec1' };
    const verifier = createOidcTokenVerifier({ issuer: server.issuer, audiences: ['mqtt-app'], jwks: { keys: [key.publicJwk, ecJwk] } as never });
    const es256 = await rejection(verifier.verify(await signToken({ kid: 'ec1', privateKey: ec.privateKey }, claimsFor(server.issuer), { alg: 'ES256' })));
    expect(es256.message).toBe(`the token's alg "ES256" is not one of ${RSA_ALGORITHMS.join(', ')} (API Gateway accepts RSA only)`);
    const hs256 = await rejection(verifier.verify(await signToken({ kid: 'k1', privateKey: new TextEncoder().encode('x'.repeat(32)) }, claimsFor(server.issuer), { alg: 'HS256' })));
    expect(hs256.message).toMatch(/alg "HS256"/);
  });

  it('answers IdentityProviderUnavailableError (503) when the issuer cannot be reached, and retries discovery later', async () => {
    const verifier = createOidcTokenVerifier({ issuer: server.issuer, audiences: ['mqtt-app'] });
    server.failWith(503);
    try {
      const error = await rejection(verifier.verify(await signToken(key, claimsFor(server.issuer))));
      expect(error).toBeInstanceOf(IdentityProviderUnavailableError);
      expect(error.message).toMatch(/answered 503, expected 200/);
      await expect(verifier.hydrate()).rejects.toBeInstanceOf(IdentityProviderUnavailableError);
    } finally {
      server.failWith(undefined);
    }
    await expect(verifier.verify(await signToken(key, claimsFor(server.issuer)))).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('answers 503 for a JWKS that is not one, and for a JWKS URI that refuses', async () => {
    const garbage = createOidcTokenVerifier({ issuer: server.issuer, audiences: ['mqtt-app'], get: async () => new TextEncoder().encode('{"not":"a jwks"}').buffer as ArrayBuffer, jwksUri: 'https://unused.invalid/jwks' });
    const unreadable = await rejection(garbage.verify(await signToken(key, claimsFor(server.issuer))));
    expect(unreadable).toBeInstanceOf(IdentityProviderUnavailableError);
    expect(unreadable.message).toBe("the issuer's keys could not be fetched or read (Error)");
    expect(unreadable.cause).toBeInstanceOf(Error);
    const refused = createOidcTokenVerifier({ issuer: server.issuer, audiences: ['mqtt-app'], jwksUri: 'http://example.com/jwks' });
    const error = await rejection(refused.verify(await signToken(key, claimsFor(server.issuer))));
    expect(error).toBeInstanceOf(IdentityProviderUnavailableError);
    expect(error.message).toMatch(/refused to fetch "http:\/\/example\.com\/jwks": it must use https/);
  });
});

describe('discoverJwksUri', () => {
  const document = (body: unknown) => async () => new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)).buffer as ArrayBuffer;
  const ISSUER = 'https://example.us.auth0.com/';

  it('reads jwks_uri from <issuer without its trailing slash>/.well-known/openid-configuration', async () => {
    const asked: string[] = [];
    const uri = await discoverJwksUri(ISSUER, async (url) => {
      asked.push(url);
      return document({ issuer: ISSUER, jwks_uri: 'https://example.us.auth0.com/.well-known/jwks.json' })();
    });
    expect(asked).toEqual(['https://example.us.auth0.com/.well-known/openid-configuration']);
    expect(uri).toBe('https://example.us.auth0.com/.well-known/jwks.json');
  });

  it.each<[string, unknown, RegExp]>([
    ['not JSON', 'nope', /is not JSON/],
    ['not an object', '[1]', /is not a JSON object/],
    ['null', 'null', /is not a JSON object/],
    ['another issuer', { issuer: 'https://example.us.auth0.com', jwks_uri: 'https://x/jwks' }, /names the issuer "https:\/\/example\.us\.auth0\.com", not ISSUER_URL/],
    ['no jwks_uri', { issuer: ISSUER }, /jwks_uri must be a string \(received undefined\)/],
    ['a plain http jwks_uri', { issuer: ISSUER, jwks_uri: 'http://example.com/jwks' }, /jwks_uri must use https/],
  ])('refuses a document that is %s', async (_label, body, message) => {
    const error = await rejection(discoverJwksUri(ISSUER, document(body)));
    expect(error).toBeInstanceOf(IdentityProviderUnavailableError);
    expect(error.message).toMatch(message);
  });
});

describe('httpGet', () => {
  let base = '';
  let close: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    const http = createServer((request, response) => {
      if (request.url === '/redirect') response.writeHead(302, { location: 'http://127.0.0.1:1/x' }).end();
      else if (request.url === '/big') response.writeHead(200).end(Buffer.alloc(OIDC_MAX_BODY_BYTES + 1, 32));
      else if (request.url === '/ok') response.writeHead(200).end('{"ok":true}');
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    close = () => new Promise<void>((resolve) => http.close(() => resolve()));
  });
  afterAll(() => close());

  it('fetches from a loopback host over http', async () => {
    expect(new TextDecoder().decode(await httpGet(`${base}/ok`))).toBe('{"ok":true}');
  });

  it.each([
    ['/redirect', /could not fetch/],
    ['/big', /more than 524288/],
    ['/missing', /answered 404, expected 200/],
  ])('refuses %s', async (path, message) => {
    const error = await rejection(httpGet(`${base}${path}`));
    expect(error).toBeInstanceOf(IdentityProviderUnavailableError);
    expect(error.message).toMatch(message);
  });

  it('refuses, before any connection, URLs it may not fetch', async () => {
    for (const url of ['http://example.com/jwks', 'ftp://example.com/', '/relative', 'https://user@example.com/', 'https://example.com/#x']) {
      expect(await rejection(httpGet(url))).toBeInstanceOf(IdentityProviderUnavailableError);
      expect(fetchableUrlProblem(url)).toBeDefined();
    }
    expect(fetchableUrlProblem('https://example.com/keys?p=b2c_1')).toBeUndefined();
    expect(fetchableUrlProblem('http://[::1]:3000/jwks')).toBeUndefined();
  });
});
