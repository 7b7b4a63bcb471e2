/**
 * The handler in issuer (OIDC) mode: principal IDs in place of the provider's subs, groups from the
 * token the Lambda verifies itself (a namespaced claim, Keycloak's nested roles, Entra's overage
 * form), every refusal answered 401 before any STS call, and the raw sub absent from every STS
 * parameter and every log line. Tokens are signed with `jose`; STS is a recording stand-in behind
 * the real per-user credential source; log and metrics lines are captured as written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler, type HandlerDependencies } from '../../lambda/handler.js';
import { parseConfig, type PerUserScope } from '../../lambda/vending/config.js';
import { perUserCredentialSource, type AssumeRoleRequest } from '../../lambda/vending/credentials.js';
import { createRequestLogger } from '../../lambda/vending/logger.js';
import { createMetricsWriter } from '../../lambda/vending/metrics.js';
import { principalIdFor } from '../../lambda/vending/principal-id.js';
import { createOidcTokenVerifier, type TokenVerifier } from '../../lambda/vending/token-verifier.js';
import { COGNITO_ENV, bodyOf, idTokenClaims, mqttUrlEvent, policyAllows } from './helpers.js';
import {
  AUTH0_AUDIENCE,
  AUTH0_ISSUER,
  AUTH0_PRINCIPAL,
  AUTH0_SUB,
  NAMESPACED_GROUPS_CLAIM,
  auth0Claims,
  jwksOf,
  oidcEvent,
  rsaKey,
  signToken,
  startIssuerServer,
  type IssuerServer,
  type SigningKey,
} from './oidc-helpers.js';

const ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com';
const ROLE = 'arn:aws:iam::123456789012:role/mqtt-client';
const ARN_PREFIX = 'arn:aws:iot:eu-west-1:123456789012:';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const GROUP_GRANTS = {
  PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*","lobby/*"]',
  SUBSCRIBE_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*","lobby/*"]',
};
const AUTH0_ENV = { IDENTITY_MODE: 'oidc', ISSUER_URL: AUTH0_ISSUER, AUDIENCES: AUTH0_AUDIENCE };
const AUTH0_GROUPS_ENV = { ...AUTH0_ENV, ...GROUP_GRANTS, GROUPS_CLAIM: NAMESPACED_GROUPS_CLAIM };

let key: SigningKey;
let otherKey: SigningKey;
// Every STS request and every line written, across the whole file, for the raw-sub check at the end.
const allRequests: AssumeRoleRequest[] = [];
const allLines: string[] = [];

beforeAll(async () => {
  key = await rsaKey('auth0-key-1');
  // An attacker's key published under the same kid: its signatures do not verify.
  otherKey = await rsaKey('auth0-key-1');
});

/** A verifier for the Auth0 issuer, its JWKS given (no fetch), counting its verifications. */
function countingVerifier(issuer = AUTH0_ISSUER, audiences = [AUTH0_AUDIENCE]): TokenVerifier & { readonly verified: () => number } {
  const inner = createOidcTokenVerifier({ issuer, audiences, jwks: jwksOf(key) as never });
  let count = 0;
  return {
    hydrate: () => inner.hydrate(),
    verify: (token) => {
      count++;
      return inner.verify(token);
    },
    verified: () => count,
  };
}

/** A handler over a recording STS, capturing its log and metrics lines; `env` adds to the base. */
function makeHandler(env: Record<string, string>, dependencies: Partial<HandlerDependencies> = {}) {
  const config = parseConfig({ IOT_ENDPOINT: ENDPOINT, CLIENT_ROLE_ARN: ROLE, ...env });
  const requests: AssumeRoleRequest[] = [];
  const lines: string[] = [];
  const write = (line: string) => {
    lines.push(line);
    allLines.push(line);
  };
  const credentials = perUserCredentialSource({
    scope: config.scope as PerUserScope,
    templates: config.templates,
    allowRetain: config.allowRetain,
    urlTtlSeconds: config.urlTtlSeconds,
    assumeRole: async (request) => {
      requests.push(request);
      allRequests.push(request);
      return { accessKeyId: `ASIASESSION${String(requests.length).padStart(9, '0')}`, secretAccessKey: 'secret', sessionToken: 'token', expiresAtMs: Date.now() + 3_600_000 };
    },
  });
  const handler = createHandler(config, { credentials, log: createRequestLogger(write), metrics: createMetricsWriter(config.metricsService, write), ...dependencies });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((record) => record['message'] === 'mqtt-url');
  return { handler, requests, lines, records };
}

/** The group rooms a session policy grants. */
function roomsIn(policy: string, candidates: readonly string[]): string[] {
  return candidates.filter((group) => policyAllows(policy, 'iot:Publish', `${ARN_PREFIX}topic/rooms/${group}/x`));
}
const ROOMS = ['team-a', 'team-b', 'admins', 'team', 'admins team', 'offline_access', 'ops'];

describe('issuer mode: an Auth0-style user', () => {
  it('gets 200 with a UUID client ID, its principal ID and users/<principal>/*, and STS sees only the principal', async () => {
    const { handler, requests, records } = makeHandler(AUTH0_ENV);
    const claims = auth0Claims();
    // Without ${group} templates no token is read: the authorizer's claims are enough.
    const result = await handler(mqttUrlEvent({ iss: AUTH0_ISSUER, sub: AUTH0_SUB, aud: AUTH0_AUDIENCE }), { awsRequestId: 'r1' } as never);
    expect(result.statusCode).toBe(200);
    const body = bodyOf(result);
    expect(body['clientId']).toBe(AUTH0_PRINCIPAL);
    expect(body['clientId']).toMatch(UUID);
    expect(body['principalId']).toBe(AUTH0_PRINCIPAL);
    expect(AUTH0_PRINCIPAL).toBe(principalIdFor(AUTH0_ISSUER, AUTH0_SUB));
    expect(body['topics']).toEqual({ publish: [`users/${AUTH0_PRINCIPAL}/*`], subscribe: [`users/${AUTH0_PRINCIPAL}/*`] });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.roleSessionName).toBe(AUTH0_PRINCIPAL);
    expect(policyAllows(requests[0]?.policy ?? '', 'iot:Connect', `${ARN_PREFIX}client/${AUTH0_PRINCIPAL}`)).toBe(true);
    expect(policyAllows(requests[0]?.policy ?? '', 'iot:Publish', `${ARN_PREFIX}topic/users/${AUTH0_PRINCIPAL}/inbox`)).toBe(true);
    expect(records()[0]).toMatchObject({ sub: AUTH0_PRINCIPAL, clientId: AUTH0_PRINCIPAL, outcome: 'ok' });
    expect(claims['sub']).toBe(AUTH0_SUB);
  });

  it('may ask for a clientSuffix, since its principal is a UUID', async () => {
    const { handler, requests } = makeHandler(AUTH0_ENV);
    const result = await handler(mqttUrlEvent({ iss: AUTH0_ISSUER, sub: AUTH0_SUB }, { clientSuffix: 'tab-1' }));
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)['clientId']).toBe(`${AUTH0_PRINCIPAL}-tab-1`);
    expect(policyAllows(requests[0]?.policy ?? '', 'iot:Connect', `${ARN_PREFIX}client/${AUTH0_PRINCIPAL}-tab-1`)).toBe(true);
  });

  it('derives the principal from PRINCIPAL_CLAIM (Entra ID oid) when set', async () => {
    const issuer = 'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0';
    const { handler, requests } = makeHandler({ IDENTITY_MODE: 'oidc', ISSUER_URL: issuer, AUDIENCES: 'api://mqtt', PRINCIPAL_CLAIM: 'oid' });
    const oid = '00000000-0000-0000-66f3-3332eca7ea81';
    const result = await handler(mqttUrlEvent({ iss: issuer, sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ', oid }));
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)['principalId']).toBe(principalIdFor(issuer, oid));
    expect(requests[0]?.roleSessionName).toBe(principalIdFor(issuer, oid));
    const noOid = await handler(mqttUrlEvent({ iss: issuer, sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ' }));
    expect(noOid.statusCode).toBe(401);
    expect(requests).toHaveLength(1);
  });

  it.each([
    ['empty', ''],
    ['over 1,024 characters', `auth0|${'a'.repeat(1024)}`],
    ['holding a lone surrogate', 'auth0|\uD800x'],
  ])('answers 401 for a principal claim that is %s, before any STS call, without logging it', async (_label, sub) => {
    const { handler, requests, lines } = makeHandler(AUTH0_ENV);
    const result = await handler(mqttUrlEvent({ iss: AUTH0_ISSUER, sub }));
    expect(result.statusCode).toBe(401);
    expect(bodyOf(result)).toEqual({ error: { code: 'unauthorized', message: 'The token carries no usable identity (sub).' } });
    expect(requests).toHaveLength(0);
    if (sub !== '') expect(lines.join('\n')).not.toContain(sub.slice(0, 12));
  });
});

describe('issuer mode: groups from the verified token', () => {
  it('grants the groups of a namespaced JSON-array claim, ignoring names with spaces, read once per token', async () => {
    const verifier = countingVerifier();
    const { handler, requests, records } = makeHandler(AUTH0_GROUPS_ENV, { tokenVerifier: verifier });
    const claims = auth0Claims(AUTH0_SUB, ['team-b', 'team-a', 'admins team']);
    const token = await signToken(key, claims);
    const event = oidcEvent(token, claims);
    // What payload 2.0 makes of the array: one string the spaces cannot be split back from.
    expect(event.requestContext.authorizer.jwt.claims[NAMESPACED_GROUPS_CLAIM]).toBe('[team-b team-a admins team]');
    const result = await handler(event);
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)['topics']).toEqual({
      publish: [`users/${AUTH0_PRINCIPAL}/*`, 'rooms/team-a/*', 'rooms/team-b/*', 'lobby/*'],
      subscribe: [`users/${AUTH0_PRINCIPAL}/*`, 'rooms/team-a/*', 'rooms/team-b/*', 'lobby/*'],
    });
    expect(roomsIn(requests[0]?.policy ?? '', ROOMS)).toEqual(['team-a', 'team-b']);
    expect(records()[0]).toMatchObject({ outcome: 'ok', groups: 2, ineligibleGroups: 1 });
    expect(records()[0]).not.toHaveProperty('groupsOverage');
    // The same token again: answered from the verified-token cache and the session cache.
    expect((await handler(oidcEvent(token, claims))).statusCode).toBe(200);
    expect(verifier.verified()).toBe(1);
    expect(requests).toHaveLength(1);
  });

  it("reads Keycloak's nested realm roles through the JSON Pointer /realm_access/roles, with GROUP_PREFIX", async () => {
    const issuer = 'https://keycloak.example.com/realms/demo';
    const sub = 'f3c2a7e1-8b4d-4c6a-9e2f-1a2b3c4d5e6f';
    const env = { IDENTITY_MODE: 'oidc', ISSUER_URL: issuer, AUDIENCES: 'mqtt-app', ...GROUP_GRANTS, GROUPS_CLAIM: '/realm_access/roles', GROUP_PREFIX: 'team-' };
    const { handler, requests, records } = makeHandler(env, { tokenVerifier: countingVerifier(issuer, ['mqtt-app']) });
    const claims = { iss: issuer, sub, aud: 'mqtt-app', realm_access: { roles: ['team-a', 'offline_access', 'default-roles-demo', 'team ops'] }, resource_access: { account: { roles: ['team-b'] } } };
    const token = await signToken(key, claims);
    const event = oidcEvent(token, claims);
    expect(event.requestContext.authorizer.jwt.claims['realm_access']).toBe('map[roles:[team-a offline_access default-roles-demo team ops]]');
    const result = await handler(event);
    expect(result.statusCode).toBe(200);
    const principal = principalIdFor(issuer, sub);
    expect(bodyOf(result)['topics']).toEqual({ publish: [`users/${principal}/*`, 'rooms/team-a/*', 'lobby/*'], subscribe: [`users/${principal}/*`, 'rooms/team-a/*', 'lobby/*'] });
    expect(roomsIn(requests[0]?.policy ?? '', ROOMS)).toEqual(['team-a']);
    expect(records()[0]).toMatchObject({ groups: 1, ineligibleGroups: 3 });
  });

  it("gives Entra ID's overage form no groups, and counts it in the request log", async () => {
    const issuer = 'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0';
    const env = { IDENTITY_MODE: 'oidc', ISSUER_URL: issuer, AUDIENCES: 'api://mqtt', ...GROUP_GRANTS, GROUPS_CLAIM: 'groups' };
    const { handler, requests, records } = makeHandler(env, { tokenVerifier: countingVerifier(issuer, ['api://mqtt']) });
    const claims = {
      iss: issuer,
      sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
      aud: 'api://mqtt',
      _claim_names: { groups: 'src1' },
      _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/x/getMemberObjects' } },
    };
    const token = await signToken(key, claims);
    const result = await handler(oidcEvent(token, claims));
    expect(result.statusCode).toBe(200);
    expect((bodyOf(result)['topics'] as { publish: string[] }).publish).toEqual([`users/${principalIdFor(issuer, claims.sub)}/*`, 'lobby/*']);
    expect(roomsIn(requests[0]?.policy ?? '', ROOMS)).toEqual([]);
    expect(records()[0]).toMatchObject({ outcome: 'ok', groups: 0, groupsOverage: true });
  });

  it('answers 403 too_many_groups from the verified groups, on every request for that token', async () => {
    const { handler, requests } = makeHandler({ ...AUTH0_GROUPS_ENV, MAX_GROUPS: '2' }, { tokenVerifier: countingVerifier() });
    const claims = auth0Claims(AUTH0_SUB, ['a', 'b', 'c']);
    const token = await signToken(key, claims);
    for (let i = 0; i < 2; i++) {
      const result = await handler(oidcEvent(token, claims));
      expect(result.statusCode).toBe(403);
      expect(bodyOf(result)['error']).toMatchObject({ code: 'too_many_groups' });
    }
    expect(requests).toHaveLength(0);
  });

  it('verifies again once a cached token has expired', async () => {
    let now = Date.now();
    const verifier = countingVerifier();
    const { handler } = makeHandler(AUTH0_GROUPS_ENV, { tokenVerifier: verifier, now: () => now });
    const claims = auth0Claims(AUTH0_SUB, ['team-a']);
    const token = await signToken(key, claims, { expiresInSeconds: 60 });
    expect((await handler(oidcEvent(token, claims))).statusCode).toBe(200);
    now += 30_000;
    expect((await handler(oidcEvent(token, claims))).statusCode).toBe(200);
    expect(verifier.verified()).toBe(1);
    now += 31_000;
    await handler(oidcEvent(token, claims));
    expect(verifier.verified()).toBe(2);
  });
});

describe('issuer mode: refused with 401 before any STS call', () => {
  async function refused(event: Parameters<ReturnType<typeof makeHandler>['handler']>[0], env: Record<string, string> = AUTH0_GROUPS_ENV, message = 'The bearer token could not be verified.') {
    const { handler, requests, records } = makeHandler(env, { tokenVerifier: countingVerifier() });
    const result = await handler(event);
    expect(result.statusCode).toBe(401);
    expect(bodyOf(result)).toEqual({ error: { code: 'unauthorized', message } });
    expect(requests).toHaveLength(0);
    expect(records()[0]).toMatchObject({ outcome: 'unauthorized', status: 401 });
    return records()[0] as { error: { name: string; message: string } };
  }

  it('a token whose principal differs from the authorizer claims', async () => {
    const mallory = auth0Claims('auth0|000000000000000000000bad', ['ops']);
    const token = await signToken(key, mallory);
    // The authorizer's claims are the victim's; the header holds another (valid) token.
    const record = await refused(oidcEvent(token, auth0Claims(AUTH0_SUB, ['team-a'])));
    expect(record.error).toMatchObject({ name: 'TokenVerificationError', message: "the bearer token's sub differs from the authorizer's claims" });
  });

  it('a token whose principal differs, answered from the cache too', async () => {
    const { handler, requests } = makeHandler(AUTH0_GROUPS_ENV, { tokenVerifier: countingVerifier() });
    const claims = auth0Claims(AUTH0_SUB, ['team-a']);
    const token = await signToken(key, claims);
    expect((await handler(oidcEvent(token, claims))).statusCode).toBe(200);
    expect((await handler(oidcEvent(token, auth0Claims('auth0|111111111111111111111111')))).statusCode).toBe(401);
    expect(requests).toHaveLength(1);
  });

  it('a second smuggled token: Bearer <real>,Bearer <forged with more groups>', async () => {
    const claims = auth0Claims(AUTH0_SUB, ['team-a']);
    const real = await signToken(key, claims);
    const forged = await signToken(otherKey, auth0Claims(AUTH0_SUB, ['team-a', 'ops', 'admins']));
    const record = await refused(oidcEvent(real, claims, { authorization: `Bearer ${real},Bearer ${forged}` }));
    expect(record.error.name).toBe('TokenVerificationError');
    expect(record.error.message).toMatch(/not exactly one bearer token \(\d+ characters, 2 comma-separated part\(s\)\)/);
    // Either order, and with a space, a bare second token, or two headers.
    await refused(oidcEvent(real, claims, { authorization: `Bearer ${forged}, Bearer ${real}` }));
    await refused(oidcEvent(real, claims, { authorization: `Bearer ${real} ${forged}` }));
    await refused(oidcEvent(real, claims, { authorization: `Bearer Bearer ${real}` }));
    await refused(oidcEvent(real, claims, { headers: { Authorization: `Bearer ${forged}` } }));
  });

  it('a forged signature', async () => {
    const claims = auth0Claims(AUTH0_SUB, ['ops']);
    const forged = await signToken(otherKey, claims);
    const record = await refused(oidcEvent(forged, claims));
    expect(record.error).toMatchObject({ name: 'TokenVerificationError', message: 'the token failed verification: invalid signature' });
  });

  it('a tampered payload under a real signature', async () => {
    const claims = auth0Claims(AUTH0_SUB, ['team-a']);
    const [header, , signature] = (await signToken(key, claims)).split('.');
    const more = auth0Claims(AUTH0_SUB, ['team-a', 'ops']);
    const payload = Buffer.from(JSON.stringify({ ...more, iat: 1, exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
    await refused(oidcEvent(`${header}.${payload}.${signature}`, more));
  });

  it.each([
    ['ES256', 'ES256'],
    ['HS256', 'HS256'],
  ])('a token signed with %s (API Gateway accepts RSA only)', async (_label, alg) => {
    const claims = auth0Claims(AUTH0_SUB, ['ops']);
    const hmac = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!');
    const { generateKeyPair } = await import('jose');
    const signer = alg === 'HS256' ? { kid: key.kid, privateKey: hmac } : { kid: key.kid, privateKey: (await generateKeyPair('ES256')).privateKey };
    const token = await signToken(signer, claims, { alg });
    const record = await refused(oidcEvent(token, claims));
    expect(record.error.message).toMatch(new RegExp(`alg "${alg}" is not one of RS256, RS384, RS512`));
  });

  it('a token for another audience, an expired token, a token without exp', async () => {
    await refused(oidcEvent(await signToken(key, { ...auth0Claims(), aud: 'https://other.example.com' }), auth0Claims()));
    await refused(oidcEvent(await signToken(key, auth0Claims(), { expiresInSeconds: -60 }), auth0Claims()));
    await refused(oidcEvent(await signToken(key, auth0Claims(), { expiresInSeconds: null }), auth0Claims()));
  });

  it('a missing token when groups are configured', async () => {
    const record = await refused(oidcEvent('unused', auth0Claims(AUTH0_SUB), { authorization: undefined }));
    expect(record.error.message).toBe('the request has no bearer token in its Authorization header');
    await refused(oidcEvent('unused', auth0Claims(AUTH0_SUB), { authorization: 'Bearer ' }));
    await refused(oidcEvent('unused', auth0Claims(AUTH0_SUB), { authorization: 'Basic dXNlcjpwYXNz' }));
  });

  it('a foreign iss, with or without group templates, even when its token verifies', async () => {
    const evil = { ...auth0Claims(AUTH0_SUB, ['ops']), iss: 'https://evil.example.com/' };
    const token = await signToken(key, evil);
    const message = 'The token was not issued by the identity provider this service trusts.';
    const record = await refused(oidcEvent(token, evil), AUTH0_GROUPS_ENV, message);
    expect(record.error).toMatchObject({ name: 'ForeignIssuerError', message: 'the token\'s iss "https://evil.example.com/" is not ISSUER_URL "https://example.us.auth0.com/"' });
    await refused(mqttUrlEvent({ iss: 'https://evil.example.com/', sub: AUTH0_SUB }), AUTH0_ENV, message);
    // The issuer without its trailing slash is another issuer.
    await refused(mqttUrlEvent({ iss: 'https://example.us.auth0.com', sub: AUTH0_SUB }), AUTH0_ENV, message);
    await refused(mqttUrlEvent({ sub: AUTH0_SUB }), AUTH0_ENV, message);
  });
});

describe('Cognito mode: the issuer is pinned too', () => {
  it('answers 401 to claims from another issuer before any STS call, and 200 to the pool', async () => {
    const { handler, requests } = makeHandler({ ...COGNITO_ENV });
    const sub = '0a11ce00-1b2c-4d3e-9f00-0123456789ab';
    for (const iss of ['https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OTHER', `${COGNITO_ENV.ISSUER_URL}/`, AUTH0_ISSUER]) {
      const result = await handler(mqttUrlEvent({ ...idTokenClaims(sub), iss }));
      expect(result.statusCode).toBe(401);
      expect(bodyOf(result)['error']).toMatchObject({ code: 'unauthorized' });
    }
    const { iss: _dropped, ...withoutIss } = idTokenClaims(sub);
    expect((await handler(mqttUrlEvent(withoutIss))).statusCode).toBe(401);
    expect(requests).toHaveLength(0);
    const ok = await handler(mqttUrlEvent(idTokenClaims(sub)));
    expect(ok.statusCode).toBe(200);
    expect(bodyOf(ok)).toMatchObject({ clientId: sub, principalId: sub });
  });
});

describe('issuer mode with the default verifier (loopback issuer, http allowed for loopback only)', () => {
  let server: IssuerServer;
  beforeAll(async () => {
    server = await startIssuerServer([key]);
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['JWKS_URI', true],
    ['discovery', false],
  ])('fetches the keys from %s at cold start, then vends from the verified groups', async (_label, withJwksUri) => {
    const before = server.requests.length;
    const env = { IDENTITY_MODE: 'oidc', ISSUER_URL: server.issuer, AUDIENCES: '["a","mqtt-app"]', ...GROUP_GRANTS, GROUPS_CLAIM: 'groups', ...(withJwksUri ? { JWKS_URI: server.jwksUri } : {}) };
    const { handler, requests } = makeHandler(env);
    // Hydration starts with the handler, before any request.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const fetched = server.requests.slice(before);
    expect(fetched.at(-1)).toBe('/tenant/.well-known/jwks.json');
    expect(fetched.some((path) => path.endsWith('/openid-configuration'))).toBe(!withJwksUri);
    const claims = { iss: server.issuer, sub: 'user_2abcDEFghiJKLmnoPQRstuVWXyz', azp: 'x', client_id: 'mqtt-app', groups: ['team-a'] };
    const token = await signToken(key, claims);
    const result = await handler(oidcEvent(token, claims));
    expect(result.statusCode).toBe(200);
    expect(roomsIn(requests[0]?.policy ?? '', ROOMS)).toEqual(['team-a']);
    expect(server.requests.length - before).toBe(fetched.length);
  });

  it('answers 503 identity_unavailable with Retry-After while the issuer is down, then recovers', async () => {
    server.failWith(500);
    const env = { IDENTITY_MODE: 'oidc', ISSUER_URL: server.issuer, AUDIENCES: 'mqtt-app', ...GROUP_GRANTS, GROUPS_CLAIM: 'groups' };
    const { handler, requests, records } = makeHandler(env);
    const claims = { iss: server.issuer, sub: 'user_2abc', aud: 'mqtt-app', groups: ['team-a'] };
    const token = await signToken(key, claims);
    const down = await handler(oidcEvent(token, claims));
    expect(down.statusCode).toBe(503);
    expect(down.headers?.['retry-after']).toBe('2');
    expect(bodyOf(down)['error']).toMatchObject({ code: 'identity_unavailable' });
    expect(records()[0]).toMatchObject({ outcome: 'identity_unavailable', error: { name: 'IdentityProviderUnavailableError' } });
    server.failWith(undefined);
    expect((await handler(oidcEvent(token, claims))).statusCode).toBe(200);
    expect(requests).toHaveLength(1);
  });

  it('refuses a discovery document that names another issuer', async () => {
    server.setDiscovery({ issuer: 'https://evil.example.com/', jwks_uri: server.jwksUri });
    try {
      const env = { IDENTITY_MODE: 'oidc', ISSUER_URL: server.issuer, AUDIENCES: 'mqtt-app', ...GROUP_GRANTS, GROUPS_CLAIM: 'groups' };
      const { handler, records } = makeHandler(env);
      const claims = { iss: server.issuer, sub: 'user_2abc', aud: 'mqtt-app', groups: ['team-a'] };
      const result = await handler(oidcEvent(await signToken(key, claims), claims));
      expect(result.statusCode).toBe(503);
      expect(String((records()[0] as { error: { message: string } }).error.message)).toMatch(/names the issuer "https:\/\/evil\.example\.com\/", not ISSUER_URL/);
    } finally {
      server.setDiscovery(undefined);
    }
  });
});

describe('the raw sub', () => {
  it('reached no STS parameter and no log or metrics line in this file', () => {
    expect(allRequests.length).toBeGreaterThan(5);
    expect(allLines.length).toBeGreaterThan(20);
    const haystack = `${JSON.stringify(allRequests)}\n${allLines.join('\n')}`;
    for (const raw of ['64f1a2b3c4d5e6f7a8b9c0d1', 'auth0|', 'user_2abc', 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ', 'f3c2a7e1-8b4d-4c6a-9e2f-1a2b3c4d5e6f', '000000000000000000000bad', '00000000-0000-0000-66f3-3332eca7ea81']) {
      expect(haystack).not.toContain(raw);
    }
    // Nor a token: every signed token starts with its header, {"alg":"RS256",... in base64url.
    expect(haystack).not.toContain('eyJhbGciOi');
  });
});
