/**
 * The local OIDC issuer (`local/oidc-issuer.ts`) and the JWT authorizer emulation in issuer mode
 * (`local/jwt-authorizer.ts`), over real HTTP on 127.0.0.1 with a handler that records the events it
 * is given: discovery, JWKS, the password and refresh grants, Auth0-shaped tokens, and the
 * authorizer's rules (exact issuer, `aud` else `client_id`, RSA only, `kid`, `exp`/`nbf`, route
 * scopes, claims formatted as payload 2.0 does).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { goFormatClaim, jwtProtectedRoute, tokenScopes } from '../../local/jwt-authorizer.js';
import { auth0SubForUsername, LOCAL_OIDC_AUDIENCE, LOCAL_OIDC_GROUPS_CLAIM, LocalOidcIssuer, type OidcTokenResponse } from '../../local/oidc-issuer.js';

let server: Server;
let origin: string;
let issuer: LocalOidcIssuer;
/** Shifts the issuer's clock: an issuer two hours behind issues tokens that are already expired. */
let clockOffsetMs = 0;
const events: APIGatewayProxyEventV2WithJWTAuthorizer[] = [];
/** Routes by path: `/mqtt-url` (no scopes), `/scoped` (`mqtt:connect` required), `/no-slash` (issuer without its slash). */
const routes = new Map<string, ReturnType<typeof jwtProtectedRoute>>();

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const route = routes.get(path);
    if (route !== undefined) void route(request, response);
    else if (issuer.owns(request)) void issuer.handleHttp(request, response);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = await LocalOidcIssuer.create({
    issuer: `${origin}/oidc/`,
    now: () => new Date(Date.now() + clockOffsetMs),
    userGroups: { alice: ['team-a'], Grace: ['team-a', 'admins'] },
  });
  const keys = createRemoteJWKSet(new URL(issuer.jwksUri));
  const handler = async (event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<{ statusCode: number; body: string }> => {
    events.push(event);
    return { statusCode: 200, body: JSON.stringify({ sub: event.requestContext.authorizer.jwt.claims['sub'] }) };
  };
  const common = { audience: [LOCAL_OIDC_AUDIENCE], keys, routeKey: 'GET /mqtt-url', handler };
  routes.set('/mqtt-url', jwtProtectedRoute({ ...common, issuer: issuer.issuer }));
  routes.set('/scoped', jwtProtectedRoute({ ...common, issuer: issuer.issuer, requiredScopes: ['mqtt:connect', 'mqtt:admin'] }));
  routes.set('/no-slash', jwtProtectedRoute({ ...common, issuer: issuer.issuer.slice(0, -1) }));
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
});

beforeEach(() => {
  events.length = 0;
  clockOffsetMs = 0;
});

async function post(parameters: Record<string, string>, contentType = 'application/x-www-form-urlencoded'): Promise<Response> {
  const body = contentType === 'application/json' ? JSON.stringify(parameters) : new URLSearchParams(parameters).toString();
  return fetch(issuer.tokenEndpoint, { method: 'POST', headers: { 'content-type': contentType }, body });
}

async function passwordGrant(username: string, extra: Record<string, string> = {}): Promise<OidcTokenResponse> {
  const response = await post({ grant_type: 'password', username, password: 'local-dev', client_id: 'local', ...extra });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as OidcTokenResponse;
}

async function call(path: string, token: string | undefined): Promise<Response> {
  return fetch(`${origin}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
}

describe('local OIDC issuer', () => {
  it('publishes a discovery document and a JWKS under an issuer with a trailing slash', async () => {
    expect(issuer.issuer).toBe(`${origin}/oidc/`);
    const discovery = (await (await fetch(`${origin}/oidc/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      issuer: `${origin}/oidc/`,
      jwks_uri: `${origin}/oidc/jwks.json`,
      token_endpoint: `${origin}/oidc/token`,
      id_token_signing_alg_values_supported: ['RS256'],
      grant_types_supported: ['password', 'refresh_token'],
      subject_types_supported: ['public'],
    });
    expect(discovery).not.toHaveProperty('authorization_endpoint');
    const jwks = (await (await fetch(discovery['jwks_uri'] as string)).json()) as { keys: { kty: string; alg: string; kid: string; use: string }[] };
    expect(jwks.keys.map(({ kty, alg, use }) => ({ kty, alg, use }))).toEqual([{ kty: 'RSA', alg: 'RS256', use: 'sig' }, { kty: 'EC', alg: 'ES256', use: 'sig' }]);
    expect((await fetch(`${origin}/oidc/nothing`)).status).toBe(404);
    expect((await fetch(`${origin}/oidc/jwks.json`, { method: 'DELETE' })).status).toBe(405);
  });

  it('answers a password grant with Auth0-shaped RS256 access and ID tokens', async () => {
    const answer = await passwordGrant('alice');
    expect(answer).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid profile email' });
    expect(answer.refresh_token).toBeUndefined(); // no offline_access asked for
    const access = decodeJwt(answer.access_token);
    expect(decodeProtectedHeader(answer.access_token)).toEqual({ alg: 'RS256', kid: issuer.jwks().keys[0]?.kid, typ: 'at+jwt' });
    expect(access).toMatchObject({
      iss: `${origin}/oidc/`,
      sub: auth0SubForUsername('alice'),
      aud: LOCAL_OIDC_AUDIENCE,
      azp: 'local',
      client_id: 'local',
      scope: 'openid profile email',
      [LOCAL_OIDC_GROUPS_CLAIM]: ['team-a'],
    });
    expect((access.exp ?? 0) - (access.iat ?? 0)).toBe(3600);
    const id = decodeJwt(answer.id_token ?? '');
    expect(id).toMatchObject({ iss: `${origin}/oidc/`, sub: access.sub, aud: 'local', nickname: 'alice', [LOCAL_OIDC_GROUPS_CLAIM]: ['team-a'] });
  });

  it('derives stable auth0|<24 hex> subs from the username, case-insensitively', () => {
    expect(auth0SubForUsername('alice')).toMatch(/^auth0\|[0-9a-f]{24}$/);
    expect(auth0SubForUsername('ALICE')).toBe(auth0SubForUsername('alice'));
    expect(auth0SubForUsername('bob')).not.toBe(auth0SubForUsername('alice'));
    // Pinned: a sub that changed between releases would move users to a new namespace.
    expect(auth0SubForUsername('alice')).toBe('auth0|17aa994186b7e2b482578169');
    expect(issuer.subjectOf('Alice')).toBe(auth0SubForUsername('alice'));
  });

  it('puts the groups in the namespaced claim as a JSON array, [] for a user in none', async () => {
    const grace = decodeJwt((await passwordGrant('GRACE')).access_token);
    expect(grace[LOCAL_OIDC_GROUPS_CLAIM]).toEqual(['team-a', 'admins']);
    expect(issuer.groupsOf('grace')).toEqual(['team-a', 'admins']);
    expect(decodeJwt((await passwordGrant('dave')).access_token)[LOCAL_OIDC_GROUPS_CLAIM]).toEqual([]);
  });

  it('grants the scopes asked for, and takes JSON bodies as Auth0 does', async () => {
    const answer = await passwordGrant('alice', { scope: 'openid mqtt:connect mqtt:connect' });
    expect(answer.scope).toBe('openid mqtt:connect');
    expect(decodeJwt(answer.access_token)['scope']).toBe('openid mqtt:connect');
    // Without openid there is no ID token (OpenID Connect Core 3.1.2.1).
    expect((await passwordGrant('alice', { scope: 'mqtt:connect' })).id_token).toBeUndefined();
    const json = await post({ grant_type: 'password', username: 'bob', password: 'local-dev', client_id: 'local', audience: LOCAL_OIDC_AUDIENCE }, 'application/json');
    expect(json.status).toBe(200);
    expect(json.headers.get('cache-control')).toBe('no-store');
  });

  it.each([
    ['a wrong password', { grant_type: 'password', username: 'alice', password: 'nope', client_id: 'local' }, 400, 'invalid_grant', /^Wrong email or password\.$/],
    ['an unknown client', { grant_type: 'password', username: 'alice', password: 'local-dev', client_id: 'other' }, 401, 'invalid_client', /"other"/],
    ['no client id', { grant_type: 'password', username: 'alice', password: 'local-dev' }, 400, 'invalid_request', /client_id/],
    ['another grant type', { grant_type: 'authorization_code', code: 'x', client_id: 'local' }, 400, 'unsupported_grant_type', /"authorization_code"/],
    ['a username with white space', { grant_type: 'password', username: 'al ice', password: 'local-dev', client_id: 'local' }, 400, 'invalid_request', /"al ice"/],
    ['a malformed scope', { grant_type: 'password', username: 'alice', password: 'local-dev', client_id: 'local', scope: 'openid "x"' }, 400, 'invalid_scope', /openid \\"x\\"/],
    ['another audience', { grant_type: 'password', username: 'alice', password: 'local-dev', client_id: 'local', audience: 'https://other.example' }, 400, 'invalid_request', /Service not found: "https:\/\/other\.example"/],
  ])('refuses %s as RFC 6749 section 5.2 says, naming the value', async (_name, parameters, status, error, description) => {
    const response = await post(parameters);
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: string; error_description: string };
    expect(body.error).toBe(error);
    expect(body.error_description).toMatch(description);
    expect(body.error_description).not.toContain('local-dev');
  });

  it('refuses other content types, repeated parameters, GET and oversized bodies', async () => {
    const text = await fetch(issuer.tokenEndpoint, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'grant_type=password' });
    expect(await text.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('"text/plain"') });
    const repeated = await fetch(issuer.tokenEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&client_id=local&client_id=local' });
    expect(await repeated.json()).toMatchObject({ error: 'invalid_request', error_description: 'client_id is repeated' });
    expect((await fetch(issuer.tokenEndpoint)).status).toBe(400);
    const huge = await post({ grant_type: 'password', username: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
  });

  it('hands out a refresh token for offline_access that keeps working after a restart with new keys', async () => {
    const signedIn = await passwordGrant('Grace', { scope: 'openid offline_access mqtt:connect' });
    expect(signedIn.refresh_token).toMatch(/^[\w-]+\.[\w-]+$/);
    const refresh = async (target: LocalOidcIssuer, token: string): Promise<OidcTokenResponse> => target.token({ grant_type: 'refresh_token', refresh_token: token, client_id: 'local' });
    const refreshed = await refresh(issuer, signedIn.refresh_token ?? '');
    expect(refreshed.refresh_token).toBeUndefined();
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ sub: auth0SubForUsername('grace'), scope: 'openid offline_access mqtt:connect', [LOCAL_OIDC_GROUPS_CLAIM]: ['team-a', 'admins'] });
    const restarted = await LocalOidcIssuer.create({ issuer: issuer.issuer });
    const again = await refresh(restarted, signedIn.refresh_token ?? '');
    expect(decodeProtectedHeader(again.access_token).kid).toBe(restarted.jwks().keys[0]?.kid);
    // Another issuer does not take it, nor a forged or altered one.
    const elsewhere = await LocalOidcIssuer.create({ issuer: 'http://127.0.0.1:1/oidc/' });
    await expect(refresh(elsewhere, signedIn.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    const [payload = '', mac = ''] = (signedIn.refresh_token ?? '').split('.');
    const forged = `${Buffer.from(JSON.stringify({ u: 'mallory', s: 'openid', c: 'local', i: issuer.issuer, exp: 9e9 })).toString('base64url')}.${mac}`;
    for (const token of ['nonsense', `${payload}.AAAA`, forged]) await expect(refresh(issuer, token)).rejects.toMatchObject({ error: 'invalid_grant' });
    clockOffsetMs = 31 * 24 * 3600 * 1000;
    await expect(refresh(issuer, signedIn.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant', message: 'The refresh token has expired.' });
  });

  it('refuses an issuer URL without its trailing slash, with a query or not http(s), naming it', async () => {
    for (const url of ['http://127.0.0.1:3000/oidc', 'http://127.0.0.1:3000/oidc/?x=1', 'ftp://127.0.0.1/oidc/', 'http://127.0.0.1:3000/a b/']) {
      await expect(LocalOidcIssuer.create({ issuer: url }), url).rejects.toThrow(`received ${JSON.stringify(url)}`);
    }
    await expect(LocalOidcIssuer.create({ issuer: 'http://127.0.0.1:3000/', tokenTtlSeconds: 5 })).rejects.toThrow('tokenTtlSeconds must be a whole number from 60 to 86400 (received 5)');
  });
});

describe('JWT authorizer in issuer mode', () => {
  it('passes an access token and hands its claims over as payload 2.0 does', async () => {
    const answer = await passwordGrant('Grace', { scope: 'openid mqtt:connect' });
    expect((await call('/mqtt-url', answer.access_token)).status).toBe(200);
    const { claims, scopes } = events[0]?.requestContext.authorizer.jwt ?? { claims: {}, scopes: null };
    expect(claims[LOCAL_OIDC_GROUPS_CLAIM]).toBe('[team-a admins]');
    expect(claims).toMatchObject({ sub: auth0SubForUsername('grace'), iss: `${origin}/oidc/`, aud: LOCAL_OIDC_AUDIENCE, scope: 'openid mqtt:connect', exp: expect.stringMatching(/^\d+$/) });
    expect(scopes).toEqual(['openid', 'mqtt:connect']);
    expect(Object.values(claims).every((value) => typeof value === 'string')).toBe(true);
  });

  it('flattens group names with spaces and nested roles as payload 2.0 does (why the Lambda reads groups from a token it verifies)', async () => {
    const token = await issuer.mint({ claims: { [LOCAL_OIDC_GROUPS_CLAIM]: ['team-a', 'admins team'], realm_access: { roles: ['ops', 'b'] }, email_verified: true } });
    expect((await call('/mqtt-url', token)).status).toBe(200);
    const claims = events[0]?.requestContext.authorizer.jwt.claims ?? {};
    // "admins team" cannot be told apart from the two groups "admins" and "team" any more.
    expect(claims[LOCAL_OIDC_GROUPS_CLAIM]).toBe('[team-a admins team]');
    expect(claims['realm_access']).toBe('map[roles:[ops b]]');
    expect(claims['email_verified']).toBe('true');
  });

  it('compares the issuer exactly: a trailing slash more or less is 401', async () => {
    const token = await issuer.mint();
    expect((await call('/mqtt-url', token)).status).toBe(200);
    expect((await call('/no-slash', token)).status).toBe(401);
    const withoutSlash = await issuer.mint({ claims: { iss: issuer.issuer.slice(0, -1) } });
    const response = await call('/mqtt-url', withoutSlash);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/the iss claim is not valid/);
    expect((await call('/mqtt-url', await issuer.mint({ claims: { iss: `${issuer.issuer}/` } }))).status).toBe(401);
  });

  it('checks aud, and client_id only when there is no aud', async () => {
    const status = async (claims: Record<string, unknown>): Promise<number> => (await call('/mqtt-url', await issuer.mint({ claims }))).status;
    expect(await status({ aud: [LOCAL_OIDC_AUDIENCE, `${issuer.issuer}userinfo`] })).toBe(200);
    expect(await status({ aud: undefined, client_id: LOCAL_OIDC_AUDIENCE })).toBe(200);
    expect(await status({ aud: undefined, client_id: 'local' })).toBe(401);
    // aud present and wrong: client_id is not consulted.
    expect(await status({ aud: 'https://other.example', client_id: LOCAL_OIDC_AUDIENCE })).toBe(401);
    expect(await status({ aud: undefined, client_id: undefined })).toBe(401);
    // The ID token is for the app (aud "local"), not for the API.
    const { id_token: idToken } = await passwordGrant('alice');
    const response = await call('/mqtt-url', idToken);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/audience/);
    expect(events).toHaveLength(2);
  });

  it('accepts RSA only: ES256 (its key in the JWKS) and HS256 (keyed with the public key) are 401, as is a token without kid', async () => {
    const cases: [string, string, RegExp][] = [
      ['ES256', await issuer.mint({ alg: 'ES256' }), /algorithm is not allowed/],
      ['HS256', await issuer.mint({ alg: 'HS256' }), /algorithm is not allowed/],
      ['RS256 without kid', await issuer.mint({ withoutKid: true }), /no kid/],
    ];
    expect(decodeProtectedHeader(cases[0]?.[1] ?? '').kid).toBe(issuer.jwks().keys[1]?.kid);
    for (const [name, token, description] of cases) {
      const response = await call('/mqtt-url', token);
      expect(response.status, name).toBe(401);
      expect(await response.json(), name).toEqual({ message: 'Unauthorized' });
      expect(response.headers.get('www-authenticate'), name).toMatch(description);
    }
    expect(events).toHaveLength(0);
  });

  it('refuses an expired token and one not yet valid', async () => {
    clockOffsetMs = -7_200_000;
    const stale = await issuer.mint();
    clockOffsetMs = 0;
    expect((await call('/mqtt-url', stale)).status).toBe(401);
    const early = await issuer.mint({ claims: { nbf: Math.floor(Date.now() / 1000) + 600 } });
    expect((await call('/mqtt-url', early)).status).toBe(401);
    expect(events).toHaveLength(0);
  });

  it('checks the route scopes when it has some: one of them in scope (string) or scp (array or string), else 403', async () => {
    const status = async (claims: Record<string, unknown>): Promise<number> => (await call('/scoped', await issuer.mint({ claims }))).status;
    expect(await status({ scope: 'openid mqtt:connect' })).toBe(200);
    expect(await status({ scope: 'mqtt:admin' })).toBe(200);
    expect(await status({ scope: undefined, scp: ['profile', 'mqtt:connect'] })).toBe(200);
    expect(await status({ scope: undefined, scp: 'User.Read mqtt:connect' })).toBe(200);
    expect(await status({ scope: undefined })).toBe(403);
    expect(await status({ scope: 'mqtt:connectx openid' })).toBe(403);
    const response = await call('/scoped', await issuer.mint());
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Forbidden' });
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer scope="mqtt:connect mqtt:admin" error="insufficient_scope"/);
    // Without route scopes, a token without any scope passes.
    expect((await call('/mqtt-url', await issuer.mint({ claims: { scope: undefined } }))).status).toBe(200);
    expect(events.map((event) => event.requestContext.authorizer.jwt.scopes)).toEqual([['openid', 'mqtt:connect'], ['mqtt:admin'], ['profile', 'mqtt:connect'], ['User.Read', 'mqtt:connect'], null]);
  });
});

describe('payload 2.0 claim formatting', () => {
  it('prints values as Go prints decoded JSON: [a b], map[k:v] with sorted keys, numbers and booleans as text', () => {
    expect(goFormatClaim('auth0|abc')).toBe('auth0|abc');
    expect(goFormatClaim(['team-a', 'admins team'])).toBe('[team-a admins team]');
    expect(goFormatClaim({ roles: ['a', 'b'], account: { roles: ['x'] } })).toBe('map[account:map[roles:[x]] roles:[a b]]');
    expect(goFormatClaim([])).toBe('[]');
    expect(goFormatClaim({})).toBe('map[]');
    expect(goFormatClaim(1_700_000_000)).toBe('1700000000');
    expect(goFormatClaim(true)).toBe('true');
    expect(goFormatClaim([null, 1])).toBe('[<nil> 1]');
  });

  it('reads scopes from scope, else scp', () => {
    expect(tokenScopes({ scope: 'a  b' })).toEqual(['a', 'b']);
    expect(tokenScopes({ scp: ['a', 3, 'b'] })).toEqual(['a', 'b']);
    expect(tokenScopes({ scope: 'a', scp: ['b'] })).toEqual(['a']);
    expect(tokenScopes({})).toBeNull();
  });
});
