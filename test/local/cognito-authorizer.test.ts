import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CognitoIdentityProviderClient, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JWKS_PATH, LocalUserPool, subForUsername } from '../../local/cognito.js';
import { pathOf, sendJson } from '../../local/http-io.js';
import { jwtProtectedRoute } from '../../local/jwt-authorizer.js';

let server: Server;
let origin: string;
let pool: LocalUserPool;
/** Shifts the pool's clock: a pool two hours behind issues tokens that are already expired. */
let poolClockOffsetMs = 0;
const events: APIGatewayProxyEventV2WithJWTAuthorizer[] = [];
let handlerFails = false;

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = pathOf(request);
    if (path === '/cognito' || path === '/cognito/') void pool.handleHttp(request, response);
    else if (path === JWKS_PATH) sendJson(response, 200, pool.jwks());
    else if (path === '/mqtt-url') void route(request, response);
    else sendJson(response, 404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pool = await LocalUserPool.create({
    issuer: `${origin}/local-user-pool`,
    now: () => new Date(Date.now() + poolClockOffsetMs),
    userGroups: { Grace: ['team-a', 'team-b'], heidi: ['team-a'] },
  });
  route = jwtProtectedRoute({
    issuer: pool.issuer,
    audience: ['local'],
    keys: createRemoteJWKSet(new URL(`${origin}${JWKS_PATH}`)),
    routeKey: 'GET /mqtt-url',
    handler: async (event) => {
      events.push(event);
      if (handlerFails) throw new Error('boom');
      return { statusCode: 200, headers: { 'Cache-Control': 'no-store', 'Content-Type': 'application/json' }, body: JSON.stringify({ sub: event.requestContext.authorizer.jwt.claims['sub'] }) };
    },
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
});

beforeEach(() => {
  events.length = 0;
  handlerFails = false;
  poolClockOffsetMs = 0;
});

let route: ReturnType<typeof jwtProtectedRoute>;

function cognitoClient(): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({ region: 'us-east-1', endpoint: `${origin}/cognito`, maxAttempts: 1 });
}

async function signIn(username: string, password = 'local-dev', clientId = 'local'): Promise<{ IdToken: string; AccessToken: string }> {
  const result = await cognitoClient().send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: username, PASSWORD: password } }));
  const tokens = result.AuthenticationResult;
  if (tokens?.IdToken === undefined || tokens.AccessToken === undefined) throw new Error('no tokens');
  return { IdToken: tokens.IdToken, AccessToken: tokens.AccessToken };
}

async function vend(authorization: string | undefined, query = ''): Promise<Response> {
  return fetch(`${origin}/mqtt-url${query}`, { headers: authorization === undefined ? {} : { authorization } });
}

describe('local user pool (Cognito InitiateAuth)', () => {
  it('signs in through the real Cognito SDK client and returns Cognito-shaped RS256 tokens', async () => {
    const result = await cognitoClient().send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'local', AuthParameters: { USERNAME: 'alice', PASSWORD: 'local-dev' } }));
    expect(result.AuthenticationResult).toMatchObject({ ExpiresIn: 3600, TokenType: 'Bearer' });
    const id = decodeJwt(result.AuthenticationResult?.IdToken ?? '');
    const access = decodeJwt(result.AuthenticationResult?.AccessToken ?? '');
    expect(decodeProtectedHeader(result.AuthenticationResult?.IdToken ?? '')).toMatchObject({ alg: 'RS256', kid: pool.jwks().keys[0]?.kid });
    expect(id).toMatchObject({ sub: subForUsername('alice'), iss: `${origin}/local-user-pool`, aud: 'local', token_use: 'id', 'cognito:username': 'alice' });
    expect(access).toMatchObject({ sub: subForUsername('alice'), client_id: 'local', token_use: 'access', username: 'alice' });
    expect(access.aud).toBeUndefined();
    expect((id.exp ?? 0) - (id.iat ?? 0)).toBe(3600);
  });

  it('puts a user\'s groups in cognito:groups of both tokens (a JSON array, in the configured order), case-insensitively', async () => {
    const grace = await signIn('grace');
    expect(decodeJwt(grace.IdToken)['cognito:groups']).toEqual(['team-a', 'team-b']);
    expect(decodeJwt(grace.AccessToken)['cognito:groups']).toEqual(['team-a', 'team-b']);
    expect(decodeJwt((await signIn('HEIDI')).IdToken)['cognito:groups']).toEqual(['team-a']);
    expect(pool.groupsOf('GRACE')).toEqual(['team-a', 'team-b']);
  });

  it('leaves cognito:groups out for a user in no group, as Cognito does', async () => {
    const { IdToken, AccessToken } = await signIn('alice');
    expect(decodeJwt(IdToken)).not.toHaveProperty('cognito:groups');
    expect(decodeJwt(AccessToken)).not.toHaveProperty('cognito:groups');
    expect(pool.groupsOf('alice')).toEqual([]);
  });

  it('derives a stable, UUID-shaped sub per username, case-insensitively', () => {
    expect(subForUsername('alice')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(subForUsername('Alice')).toBe(subForUsername('alice'));
    expect(subForUsername('bob')).not.toBe(subForUsername('alice'));
    // Pinned: a sub that changed between releases would move users to a new namespace.
    expect(subForUsername('alice')).toBe('596b9587-08f9-42c8-922e-37acb226da76');
    expect(subForUsername('Zoë')).toBe(subForUsername('Zoë'.normalize('NFD')));
  });

  it.each([
    ['a wrong password', () => signIn('alice', 'wrong'), 'NotAuthorizedException', /Incorrect username or password/],
    ['an unknown client', () => signIn('alice', 'local-dev', 'other'), 'ResourceNotFoundException', /User pool client other does not exist/],
    ['a username with white space', () => signIn('al ice'), 'InvalidParameterException', /username/],
    ['an over-long username', () => signIn('a'.repeat(129)), 'InvalidParameterException', /username/],
  ])('answers %s with a Cognito error the SDK understands', async (_name, call, type, message) => {
    await expect(call()).rejects.toMatchObject({ name: type, message: expect.stringMatching(message), $metadata: { httpStatusCode: 400 } });
  });

  it('refuses other flows, a missing password, other operations and non-JSON bodies', async () => {
    await expect(cognitoClient().send(new InitiateAuthCommand({ AuthFlow: 'USER_SRP_AUTH', ClientId: 'local', AuthParameters: { USERNAME: 'alice', SRP_A: 'x' } })))
      .rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringMatching(/USER_SRP_AUTH flow not enabled/) });
    await expect(cognitoClient().send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'local', AuthParameters: { USERNAME: 'alice' } })))
      .rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Missing required parameter PASSWORD' });
    const post = (headers: Record<string, string>, body: string): Promise<Response> => fetch(`${origin}/cognito`, { method: 'POST', headers, body });
    const other = await post({ 'x-amz-target': 'AWSCognitoIdentityProviderService.SignUp', 'content-type': 'application/x-amz-json-1.1' }, '{}');
    expect(other.status).toBe(400);
    expect(other.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    const garbage = await post({ 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth', 'content-type': 'application/x-amz-json-1.1' }, '{nope');
    expect(await garbage.json()).toMatchObject({ __type: 'SerializationException' });
    const huge = await post({ 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth', 'content-type': 'application/x-amz-json-1.1' }, `"${'x'.repeat(20_000)}"`);
    expect(huge.status).toBe(413);
  });
});

describe('local user pool refresh tokens (REFRESH_TOKEN_AUTH)', () => {
  async function initiate(flow: string, parameters: Record<string, string>): Promise<{ IdToken?: string; RefreshToken?: string }> {
    const result = await cognitoClient().send(new InitiateAuthCommand({ AuthFlow: flow as 'REFRESH_TOKEN_AUTH', ClientId: 'local', AuthParameters: parameters }));
    return result.AuthenticationResult ?? {};
  }

  it('exchanges the sign-in refresh token for new tokens, also after a restart with a new signing key', async () => {
    const signedIn = await initiate('USER_PASSWORD_AUTH', { USERNAME: 'Grace', PASSWORD: 'local-dev' });
    expect(signedIn.RefreshToken).toMatch(/^[\w-]+\.[\w-]+$/);
    const refreshed = await initiate('REFRESH_TOKEN_AUTH', { REFRESH_TOKEN: signedIn.RefreshToken ?? '' });
    expect(refreshed.RefreshToken).toBeUndefined(); // as Cognito: a refresh answers no new refresh token
    expect(decodeJwt(refreshed.IdToken ?? '')).toMatchObject({ sub: subForUsername('grace'), 'cognito:username': 'Grace', 'cognito:groups': ['team-a', 'team-b'] });

    // A restarted stack: another pool, another key pair; the refresh token still works there.
    const restarted = await LocalUserPool.create({ issuer: pool.issuer });
    const again = await restarted.initiateAuth({ AuthFlow: 'REFRESH_TOKEN', ClientId: 'local', AuthParameters: { REFRESH_TOKEN: signedIn.RefreshToken } });
    expect(decodeProtectedHeader(again.AuthenticationResult.IdToken).kid).toBe(restarted.jwks().keys[0]?.kid);
    expect(decodeJwt(again.AuthenticationResult.IdToken).sub).toBe(subForUsername('grace'));
  });

  it('refuses a forged, altered or expired refresh token with NotAuthorizedException', async () => {
    const { RefreshToken = '' } = await initiate('USER_PASSWORD_AUTH', { USERNAME: 'alice', PASSWORD: 'local-dev' });
    const [payload = ''] = RefreshToken.split('.');
    const forged = `${Buffer.from(JSON.stringify({ u: 'mallory', c: 'local', exp: 9e9 })).toString('base64url')}.${RefreshToken.split('.')[1] ?? ''}`;
    for (const token of ['nonsense', `${payload}.AAAA`, forged, `${RefreshToken}.x`]) {
      await expect(initiate('REFRESH_TOKEN_AUTH', { REFRESH_TOKEN: token }), token).rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'Invalid Refresh Token' });
    }
    poolClockOffsetMs = 31 * 24 * 3600 * 1000;
    await expect(initiate('REFRESH_TOKEN_AUTH', { REFRESH_TOKEN: RefreshToken })).rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'Refresh Token has expired' });
    await expect(initiate('REFRESH_TOKEN_AUTH', {})).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Missing required parameter REFRESH_TOKEN' });
  });
});

describe('JWT authorizer in front of the handler', () => {
  it('passes a valid ID token to the handler as API Gateway builds the event', async () => {
    const { IdToken } = await signIn('alice');
    const response = await vend(`Bearer ${IdToken}`, '?clientSuffix=tab2&x=1&x=2');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ sub: subForUsername('alice') });
    const event = events[0];
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /mqtt-url',
      rawPath: '/mqtt-url',
      rawQueryString: 'clientSuffix=tab2&x=1&x=2',
      queryStringParameters: { clientSuffix: 'tab2', x: '1,2' },
      isBase64Encoded: false,
      requestContext: { http: { method: 'GET', path: '/mqtt-url' }, stage: '$default', routeKey: 'GET /mqtt-url' },
    });
    expect(event?.headers['authorization']).toBe(`Bearer ${IdToken}`);
    // API Gateway hands claims over as strings.
    expect(event?.requestContext.authorizer.jwt.claims).toMatchObject({ sub: subForUsername('alice'), token_use: 'id', aud: 'local', exp: expect.stringMatching(/^\d+$/) });
    expect(event?.requestContext.authorizer.jwt.scopes).toBeNull();
  });

  it('hands cognito:groups to the handler as payload 2.0 does: one string, "[a b]"', async () => {
    const grace = await signIn('grace');
    expect((await vend(`Bearer ${grace.IdToken}`)).status).toBe(200);
    expect((await vend(`Bearer ${grace.AccessToken}`)).status).toBe(200);
    expect((await vend(`Bearer ${(await signIn('heidi')).IdToken}`)).status).toBe(200);
    expect((await vend(`Bearer ${(await signIn('alice')).IdToken}`)).status).toBe(200);
    const claims = events.map((event) => event.requestContext.authorizer.jwt.claims);
    expect(claims.map((claim) => claim['cognito:groups'])).toEqual(['[team-a team-b]', '[team-a team-b]', '[team-a]', undefined]);
    // Every claim is a string, numbers included.
    for (const claim of claims) expect(Object.values(claim).every((value) => typeof value === 'string')).toBe(true);
  });

  it('accepts an access token by its client_id, and a token without the Bearer prefix', async () => {
    const { AccessToken, IdToken } = await signIn('bob');
    expect((await vend(`Bearer ${AccessToken}`)).status).toBe(200);
    expect(events[0]?.requestContext.authorizer.jwt.scopes).toEqual(['aws.cognito.signin.user.admin']);
    expect((await vend(IdToken)).status).toBe(200);
  });

  it('answers 401 {"message":"Unauthorized"} without calling the handler for a missing, expired or forged token', async () => {
    const { IdToken } = await signIn('alice');
    const [, payload = ''] = IdToken.split('.');
    const claims = decodeJwt(IdToken);
    const { privateKey } = await generateKeyPair('RS256');
    const forgedSameKid = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'RS256', kid: pool.jwks().keys[0]?.kid ?? '' }).sign(privateKey);
    const tamperedPayload = IdToken.replace(payload, Buffer.from(JSON.stringify({ ...claims, sub: subForUsername('bob') })).toString('base64url'));
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    poolClockOffsetMs = -7_200_000;
    const stale = (await signIn('alice')).IdToken;
    poolClockOffsetMs = 0;
    const cases: [string, string | undefined, RegExp][] = [
      ['missing', undefined, /no token/],
      ['empty', 'Bearer ', /malformed|no token/],
      ['expired', `Bearer ${stale}`, /expired/],
      ['forged with the same kid', `Bearer ${forgedSameKid}`, /signature/],
      ['tampered payload', `Bearer ${tamperedPayload}`, /signature/],
      ['alg none', `Bearer ${unsigned}`, /algorithm|malformed/],
      ['garbage', 'Bearer abc.def.ghi', /malformed/],
    ];
    for (const [name, header, description] of cases) {
      const response = await vend(header);
      expect(response.status, name).toBe(401);
      expect(await response.json(), name).toEqual({ message: 'Unauthorized' });
      expect(response.headers.get('www-authenticate'), name).toMatch(description);
    }
    expect(events).toHaveLength(0);
  });

  it('answers 401 for a wrong issuer or audience', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'other', alg: 'RS256' };
    const otherRoute = jwtProtectedRoute({
      issuer: pool.issuer,
      audience: ['local'],
      keys: async () => crypto.subtle.importKey('jwk', jwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']),
      routeKey: 'GET /mqtt-url',
      handler: async () => ({ statusCode: 200 }),
    });
    const probe = createServer((request, response) => void otherRoute(request, response));
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/mqtt-url`;
      const token = (claims: Record<string, unknown>): Promise<string> =>
        new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'other' }).setIssuedAt().setExpirationTime('1h').sign(privateKey);
      const statusFor = async (claims: Record<string, unknown>): Promise<number> => (await fetch(url, { headers: { authorization: `Bearer ${await token(claims)}` } })).status;
      expect(await statusFor({ sub: 'a', iss: pool.issuer, aud: 'local' })).toBe(200);
      expect(await statusFor({ sub: 'a', iss: 'https://cognito-idp.us-east-1.amazonaws.com/other', aud: 'local' })).toBe(401);
      expect(await statusFor({ sub: 'a', iss: pool.issuer, aud: 'another-client' })).toBe(401);
      expect(await statusFor({ sub: 'a', iss: pool.issuer, client_id: 'another-client' })).toBe(401);
      // aud present and wrong: client_id is not consulted.
      expect(await statusFor({ sub: 'a', iss: pool.issuer, aud: 'another-client', client_id: 'local' })).toBe(401);
      expect(await statusFor({ sub: 'a', iss: pool.issuer, aud: 'local', nbf: Math.floor(Date.now() / 1000) + 600 })).toBe(401);
    } finally {
      await new Promise<void>((resolve) => probe.close(() => resolve()));
    }
  });

  it('answers 500 {"message":"Internal Server Error"} when the handler throws', async () => {
    handlerFails = true;
    const { IdToken } = await signIn('alice');
    const response = await vend(`Bearer ${IdToken}`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
  });
});
