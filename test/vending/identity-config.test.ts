/**
 * The identity variables (`IDENTITY_MODE`, `ISSUER_URL`, `AUDIENCES`, `PRINCIPAL_CLAIM`,
 * `GROUPS_CLAIM`, `JWKS_URI`) through `parseConfig`: what each mode accepts, and a
 * ConfigurationError naming the variable and the value received for everything else.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, type Environment } from '../../lambda/vending/config.js';
import { ConfigurationError } from '../../lambda/vending/errors.js';
import { issuerUrlProblem } from '../../lambda/vending/identity-config.js';
import { COGNITO_ISSUER } from './helpers.js';

const ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com';
const GROUPS = { PUBLISH_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*"]', SUBSCRIBE_TOPIC_TEMPLATES: '["users/${sub}/*","rooms/${group}/*"]' };
const COGNITO: Environment = { IOT_ENDPOINT: ENDPOINT, ISSUER_URL: COGNITO_ISSUER };
const OIDC: Environment = { IOT_ENDPOINT: ENDPOINT, IDENTITY_MODE: 'oidc', ISSUER_URL: 'https://example.us.auth0.com/', AUDIENCES: 'https://mqtt.example.com' };

function configError(env: Environment): ConfigurationError {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('parseConfig accepted the environment');
}

describe('Cognito mode (the default)', () => {
  it("reads the pool's issuer, with cognito:groups as the groups claim", () => {
    expect(parseConfig(COGNITO).identity).toEqual({ kind: 'cognito', issuer: COGNITO_ISSUER, groupsClaim: 'cognito:groups' });
    expect(parseConfig({ ...COGNITO, IDENTITY_MODE: 'cognito', PRINCIPAL_CLAIM: 'sub' }).identity.kind).toBe('cognito');
    expect(parseConfig({ ...COGNITO, ...GROUPS, GROUPS_CLAIM: 'custom:teams' }).identity).toMatchObject({ groupsClaim: 'custom:teams' });
  });

  it.each([
    'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123dEf',
    'https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_AbC123dEf',
    'https://cognito-idp.ap-southeast-2.amazonaws.com/ap-southeast-2_x',
    // A pool whose IssuerConfiguration is UPDATED.
    'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123dEf',
    // The local stack's stand-in.
    'http://127.0.0.1:3000/local-user-pool',
    'http://localhost:3000/local-user-pool',
  ])('accepts the issuer %s', (issuer) => {
    expect(parseConfig({ ...COGNITO, ISSUER_URL: issuer }).identity.issuer).toBe(issuer);
  });

  it.each<[string, Environment, string, RegExp]>([
    ['ISSUER_URL missing', { IOT_ENDPOINT: ENDPOINT }, 'ISSUER_URL', /is required: the user pool's issuer, https:\/\/cognito-idp/],
    ['ISSUER_URL empty', { ...COGNITO, ISSUER_URL: '' }, 'ISSUER_URL', /is required/],
    ['another issuer', { ...COGNITO, ISSUER_URL: 'https://example.us.auth0.com/' }, 'ISSUER_URL', /set IDENTITY_MODE=oidc for another issuer \(received "https:\/\/example\.us\.auth0\.com\/"\)/],
    ['a pool of another region', { ...COGNITO, ISSUER_URL: 'https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_abc' }, 'ISSUER_URL', /user pool's issuer/],
    ['a trailing slash', { ...COGNITO, ISSUER_URL: `${COGNITO_ISSUER}/` }, 'ISSUER_URL', /user pool's issuer/],
    ['plain http to the pool', { ...COGNITO, ISSUER_URL: COGNITO_ISSUER.replace('https', 'http') }, 'ISSUER_URL', /user pool's issuer/],
    ['http to a loopback host with a query', { ...COGNITO, ISSUER_URL: 'http://127.0.0.1:3000/pool?x=1' }, 'ISSUER_URL', /user pool's issuer/],
    ['an unknown mode', { ...COGNITO, IDENTITY_MODE: 'saml' }, 'IDENTITY_MODE', /must be one of cognito, oidc \(received "saml"\)/],
    ['a mode in capitals', { ...COGNITO, IDENTITY_MODE: 'OIDC' }, 'IDENTITY_MODE', /received "OIDC"/],
    ['AUDIENCES', { ...COGNITO, AUDIENCES: 'abc' }, 'AUDIENCES', /only applies with IDENTITY_MODE=oidc.*\(received "abc"\)/],
    ['JWKS_URI', { ...COGNITO, JWKS_URI: 'https://example.com/jwks' }, 'JWKS_URI', /only applies with IDENTITY_MODE=oidc/],
    ['PRINCIPAL_CLAIM other than sub', { ...COGNITO, PRINCIPAL_CLAIM: 'email' }, 'PRINCIPAL_CLAIM', /must be sub or unset in Cognito mode.*\(received "email"\)/],
    ['GROUPS_CLAIM without a ${group} template', { ...COGNITO, GROUPS_CLAIM: 'cognito:groups' }, 'GROUPS_CLAIM', /only applies to \$\{group\} templates.*\(received "cognito:groups"\)/],
    ['a GROUPS_CLAIM pointer', { ...COGNITO, ...GROUPS, GROUPS_CLAIM: '/realm_access/roles' }, 'GROUPS_CLAIM', /JSON Pointers need IDENTITY_MODE=oidc \(received "\/realm_access\/roles"\)/],
    ['a GROUPS_CLAIM with a space', { ...COGNITO, ...GROUPS, GROUPS_CLAIM: 'my groups' }, 'GROUPS_CLAIM', /claim name of 1-256 printable characters.*\(received "my groups"\)/],
  ])('refuses %s', (_label, env, variable, message) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^${variable}: `));
    expect(error.message).toMatch(message);
  });
});

describe('OIDC mode', () => {
  it('reads the issuer exactly, the audiences, the principal claim (sub by default) and no groups claim without ${group}', () => {
    expect(parseConfig(OIDC).identity).toEqual({
      kind: 'oidc',
      issuer: 'https://example.us.auth0.com/',
      audiences: ['https://mqtt.example.com'],
      principalClaim: 'sub',
      groupsClaim: undefined,
      jwksUri: undefined,
    });
  });

  it('reads AUDIENCES as a JSON array or a comma list, without repeats', () => {
    expect(parseConfig({ ...OIDC, AUDIENCES: '["a","https://b.example.com","a"]' }).identity).toMatchObject({ audiences: ['a', 'https://b.example.com'] });
    expect(parseConfig({ ...OIDC, AUDIENCES: 'a, b ,c' }).identity).toMatchObject({ audiences: ['a', 'b', 'c'] });
    expect(parseConfig({ ...OIDC, AUDIENCES: ' [ "x" ] ' }).identity).toMatchObject({ audiences: ['x'] });
  });

  it('reads GROUPS_CLAIM as a claim name or, when it starts with /, an RFC 6901 pointer', () => {
    expect(parseConfig({ ...OIDC, ...GROUPS, GROUPS_CLAIM: 'https://example.com/groups' }).identity).toMatchObject({ groupsClaim: { kind: 'name', name: 'https://example.com/groups' } });
    expect(parseConfig({ ...OIDC, ...GROUPS, GROUPS_CLAIM: '/realm_access/roles' }).identity).toMatchObject({
      groupsClaim: { kind: 'pointer', pointer: '/realm_access/roles', tokens: ['realm_access', 'roles'] },
    });
    expect(parseConfig({ ...OIDC, ...GROUPS, GROUPS_CLAIM: '/a~1b/c~0d' }).identity).toMatchObject({ groupsClaim: { tokens: ['a/b', 'c~d'] } });
  });

  it('reads PRINCIPAL_CLAIM and JWKS_URI, http allowed for loopback hosts only', () => {
    const config = parseConfig({ ...OIDC, ISSUER_URL: 'http://127.0.0.1:3000/oidc/', PRINCIPAL_CLAIM: 'oid', JWKS_URI: 'http://127.0.0.1:3000/oidc/.well-known/jwks.json' });
    expect(config.identity).toMatchObject({ issuer: 'http://127.0.0.1:3000/oidc/', principalClaim: 'oid', jwksUri: 'http://127.0.0.1:3000/oidc/.well-known/jwks.json' });
    expect(parseConfig({ ...OIDC, JWKS_URI: 'https://example.com/keys?p=b2c_1_signin' }).identity).toMatchObject({ jwksUri: 'https://example.com/keys?p=b2c_1_signin' });
  });

  it('keeps the issuer exactly, with or without its trailing slash', () => {
    expect(parseConfig({ ...OIDC, ISSUER_URL: 'https://example.us.auth0.com' }).identity.issuer).toBe('https://example.us.auth0.com');
    expect(parseConfig({ ...OIDC, ISSUER_URL: 'https://login.microsoftonline.com/t/v2.0' }).identity.issuer).toBe('https://login.microsoftonline.com/t/v2.0');
  });

  it.each<[string, Environment, string, RegExp]>([
    ['ISSUER_URL missing', { IOT_ENDPOINT: ENDPOINT, IDENTITY_MODE: 'oidc', AUDIENCES: 'a' }, 'ISSUER_URL', /is required: the OIDC issuer, exactly as its tokens' "iss"/],
    ['plain http', { ...OIDC, ISSUER_URL: 'http://example.us.auth0.com/' }, 'ISSUER_URL', /must use https \(http only for loopback hosts.*\(received "http:\/\/example\.us\.auth0\.com\/"\)/],
    ['http to a name ending in localhost', { ...OIDC, ISSUER_URL: 'http://localhost.example.com/' }, 'ISSUER_URL', /must use https/],
    ['a query', { ...OIDC, ISSUER_URL: 'https://example.com/?tenant=a' }, 'ISSUER_URL', /must not hold a query.*\(received "https:\/\/example\.com\/\?tenant=a"\)/],
    ['a fragment', { ...OIDC, ISSUER_URL: 'https://example.com/#x' }, 'ISSUER_URL', /must not hold "#"/],
    ['a relative URL', { ...OIDC, ISSUER_URL: 'example.us.auth0.com' }, 'ISSUER_URL', /absolute http\(s\) URL/],
    ['another scheme', { ...OIDC, ISSUER_URL: 'ftp://example.com/' }, 'ISSUER_URL', /absolute http\(s\) URL/],
    ['white space', { ...OIDC, ISSUER_URL: 'https://example.com/ ' }, 'ISSUER_URL', /printable ASCII/],
    ['AUDIENCES missing', { ...OIDC, AUDIENCES: undefined }, 'AUDIENCES', /is required with IDENTITY_MODE=oidc/],
    ['AUDIENCES empty', { ...OIDC, AUDIENCES: ' ' }, 'AUDIENCES', /is required/],
    ['AUDIENCES an empty array', { ...OIDC, AUDIENCES: '[]' }, 'AUDIENCES', /at least one audience.*\(received "\[\]"\)/],
    ['AUDIENCES malformed JSON', { ...OIDC, AUDIENCES: '["a",' }, 'AUDIENCES', /JSON array of strings.*\(received "\[\\"a\\",/],
    ['AUDIENCES a JSON non-string', { ...OIDC, AUDIENCES: '["a", 1]' }, 'AUDIENCES', /entry 1 must be 1-256 printable characters.*\(received 1\)/],
    ['AUDIENCES with an empty entry', { ...OIDC, AUDIENCES: 'a,,b' }, 'AUDIENCES', /entry 1 must be.*\(received ""\)/],
    ['AUDIENCES with white space inside', { ...OIDC, AUDIENCES: '["a b"]' }, 'AUDIENCES', /entry 0 .*\(received "a b"\)/],
    ['PRINCIPAL_CLAIM empty', { ...OIDC, PRINCIPAL_CLAIM: '' }, 'PRINCIPAL_CLAIM', /claim name.*\(received ""\)/],
    ['PRINCIPAL_CLAIM a pointer', { ...OIDC, PRINCIPAL_CLAIM: '/user/id' }, 'PRINCIPAL_CLAIM', /not a JSON Pointer.*\(received "\/user\/id"\)/],
    ['GROUPS_CLAIM missing with a ${group} template', { ...OIDC, ...GROUPS }, 'GROUPS_CLAIM', /is required with IDENTITY_MODE=oidc when a template holds \$\{group\}/],
    ['GROUPS_CLAIM without a ${group} template', { ...OIDC, GROUPS_CLAIM: 'groups' }, 'GROUPS_CLAIM', /only applies to \$\{group\} templates.*\(received "groups"\)/],
    ['a GROUPS_CLAIM pointer with a bad escape', { ...OIDC, ...GROUPS, GROUPS_CLAIM: '/a~2b' }, 'GROUPS_CLAIM', /"~" may only start "~0" or "~1" \(received "\/a~2b"\)/],
    ['a GROUPS_CLAIM pointer with an empty token', { ...OIDC, ...GROUPS, GROUPS_CLAIM: '/realm_access//roles' }, 'GROUPS_CLAIM', /without empty tokens/],
    ['a GROUPS_CLAIM of "/" alone', { ...OIDC, ...GROUPS, GROUPS_CLAIM: '/' }, 'GROUPS_CLAIM', /without empty tokens/],
    ['JWKS_URI over plain http', { ...OIDC, JWKS_URI: 'http://example.com/jwks' }, 'JWKS_URI', /must use https.*\(received "http:\/\/example\.com\/jwks"\)/],
    ['JWKS_URI relative', { ...OIDC, JWKS_URI: '/jwks' }, 'JWKS_URI', /absolute https URL/],
    ['JWKS_URI with a fragment', { ...OIDC, JWKS_URI: 'https://example.com/jwks#a' }, 'JWKS_URI', /fragment/],
  ])('refuses %s', (_label, env, variable, message) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
  });
});

describe('issuerUrlProblem', () => {
  it('accepts https anywhere and http on loopback hosts only', () => {
    expect(issuerUrlProblem('https://example.com/')).toBeUndefined();
    expect(issuerUrlProblem('http://127.0.0.1:3000/oidc/')).toBeUndefined();
    expect(issuerUrlProblem('http://[::1]:3000/')).toBeUndefined();
    expect(issuerUrlProblem('http://localhost/')).toBeUndefined();
    expect(issuerUrlProblem('http://10.0.0.1/')).toMatch(/must use https/);
    expect(issuerUrlProblem('http://127.0.0.1.example.com/')).toMatch(/must use https/);
  });
});
