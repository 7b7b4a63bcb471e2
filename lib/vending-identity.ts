/**
 * Who may call the API, the identity half of `MqttUrlVendingProps`. It is either a Cognito user pool
 * (created by default, or brought with its app clients) or any OpenID Connect issuer whose tokens the
 * HTTP API's JWT authorizer can check. The two are modelled on aws-cdk's `HttpUserPoolAuthorizer` and
 * `HttpJwtAuthorizer`. This module validates the identity props, and builds the authorizer and
 * the issuer URL the function pins.
 */
import { Aws, Token } from 'aws-cdk-lib';
import { HttpJwtAuthorizer, HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { regionFromUserPoolId } from '../lambda/signing/region.js';
import { claimNameProblem, parseGroupsClaim } from '../lambda/vending/groups-claim.js';
import { issuerUrlProblem } from '../lambda/vending/identity-config.js';
import { fetchableUrlProblem } from '../lambda/vending/oidc-fetch.js';
import { InvalidVendingConfigError, describeReceived } from './config-error.js';

/**
 * An OpenID Connect issuer whose tokens the API accepts in place of a Cognito user pool's (Auth0,
 * Okta, Microsoft Entra ID, Keycloak, Firebase / Identity Platform, Clerk, or a Cognito pool named
 * by its issuer URL). The HTTP API's JWT authorizer reads the issuer's discovery document
 * (`<url>/.well-known/openid-configuration`) and checks each token's issuer, audience, RSA
 * signature and expiry; see docs/identity-providers.md for each provider's values.
 */
export interface MqttUrlVendingIssuer {
  /**
   * The issuer URL, exactly as the tokens carry it in `iss`: the authorizer and the function compare
   * it character for character, so a trailing slash matters (Auth0 and Entra ID v1 issuers have one,
   * e.g. `https://example.us.auth0.com/`). `https://` (plain `http://` only for loopback hosts),
   * printable ASCII, no user info, query or fragment.
   */
  readonly url: string;

  /**
   * The audiences the API accepts, 1..50, each 1..256 printable characters without white space or
   * commas: a token's `aud` (or, without `aud`, its `client_id`) must be one of them. Typically the
   * API identifier (Auth0), the application's client ID (Entra ID, Okta, Keycloak with an audience
   * mapper) or the project ID (Firebase). Repeats are dropped.
   */
  readonly audiences: string[];

  /**
   * Where the caller's groups are in the token, for `${group}` templates: a claim name used as it is
   * (`groups`, `https://example.com/groups`), or, when it starts with `/`, an RFC 6901 JSON Pointer
   * into the payload (`/realm_access/roles`; `~` only as `~0` or `~1`, no empty token). 1..256
   * printable characters without white space. The function then verifies the bearer token itself
   * and reads the groups from that verified payload only. Required when a template holds
   * `${group}`, refused when none does.
   * @default - no groups: only `${sub}` and shared templates
   */
  readonly groupsClaim?: string;

  /**
   * The claim that identifies the caller: a top-level claim name, 1..256 printable characters without
   * white space, not starting with `/`. The caller's principal ID (client
   * ID, `${sub}`, role session name) is the name-based UUID of issuer URL and this claim's value.
   * Pick an immutable claim: Entra ID's `oid` or Okta's `uid` where `sub` is per application or a
   * login name.
   * @default - `sub`
   */
  readonly principalClaim?: string;

  /**
   * Where the function fetches the issuer's signing keys (JWKS) when it verifies tokens itself (with
   * `groupsClaim`). `https://` (plain `http://` only for loopback hosts), printable ASCII, no user
   * info or fragment; a query is allowed (Azure AD B2C's key URIs carry one).
   * @default - the `jwks_uri` of the issuer's discovery document, read at cold start
   */
  readonly jwksUri?: string;
}

/** How callers are identified: a Cognito user pool's tokens, or an OIDC issuer's. */
export type IdentityMode = 'cognito' | 'oidc';

/**
 * The issuer form of the user pool's tokens (Cognito's `IssuerConfiguration`):
 * - `original`: `https://cognito-idp.<region>.amazonaws.com/<pool>`;
 * - `updated`: `https://issuer-cognito-idp.<region>.amazonaws.com/<pool>`.
 */
export type UserPoolIssuer = 'original' | 'updated';

/** Every {@link UserPoolIssuer}, for validation. */
export const USER_POOL_ISSUERS: readonly UserPoolIssuer[] = Object.freeze(['original', 'updated']);

/** The claim naming the caller when `principalClaim` is not given. */
export const DEFAULT_PRINCIPAL_CLAIM = 'sub';

/** Cognito mode, validated: a pool to bring (with its clients) or to create. */
export interface CognitoIdentitySettings {
  /** Discriminates the modes. */
  readonly mode: 'cognito';
  /** The pool brought, or `undefined` to create one. */
  readonly userPool: IUserPool | undefined;
  /** The brought pool's accepted clients (at least one); `undefined` with a created pool. */
  readonly userPoolClients: readonly IUserPoolClient[] | undefined;
  /** The issuer form the authorizer expects (and a created pool is pinned to). */
  readonly userPoolIssuer: UserPoolIssuer;
}

/** Issuer mode, validated. */
export interface IssuerIdentitySettings {
  /** Discriminates the modes. */
  readonly mode: 'oidc';
  /** The issuer URL, as given. */
  readonly url: string;
  /** The accepted audiences. */
  readonly audiences: readonly string[];
  /** The groups claim or JSON Pointer; `undefined`: no groups. */
  readonly groupsClaim: string | undefined;
  /** The claim naming the caller. */
  readonly principalClaim: string;
  /** The JWKS URI; `undefined`: from discovery. */
  readonly jwksUri: string | undefined;
}

/** The identity settings, validated. */
export type IdentitySettings = CognitoIdentitySettings | IssuerIdentitySettings;

/**
 * The identity half of `MqttUrlVendingProps` (documented there), spelled out here so that this module
 * does not import the props, which import this module's types.
 */
interface IdentityProps {
  readonly issuer?: MqttUrlVendingIssuer | undefined;
  readonly userPool?: IUserPool | undefined;
  readonly userPoolClients?: readonly IUserPoolClient[] | undefined;
  readonly userPoolIssuer?: UserPoolIssuer | undefined;
}

// The Lambda's rule for an `AUDIENCES` entry (lambda/vending/identity-config.ts): printable, no
// white space, no comma (the variable may be a comma-separated list), at most 256 characters.
const AUDIENCE = /^[^\s\p{C},]{1,256}$/u;
const MAX_AUDIENCES = 50;
// RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** A user pool or client in a message: its id when known at synth, else what it is. */
function describeResource(id: string, what: string): string {
  return Token.isUnresolved(id) ? `a ${what} of this app` : describeReceived(id);
}

/** The user-pool-only props given alongside `issuer`: each name, and how its value shows in the message. */
function userPoolPropsGiven(props: IdentityProps): [string, string][] {
  const given: [string, string][] = [];
  if (props.userPool !== undefined) given.push(['userPool', `user pool ${describeResource(props.userPool.userPoolId, 'user pool')}`]);
  if (props.userPoolClients !== undefined) {
    const clients = Array.isArray(props.userPoolClients) ? props.userPoolClients : [];
    given.push(['userPoolClients', `app clients [${clients.map((client) => describeResource(client.userPoolClientId, 'client')).join(', ')}]`]);
  }
  if (props.userPoolIssuer !== undefined) given.push(['userPoolIssuer', `issuer form ${describeReceived(props.userPoolIssuer)}`]);
  return given;
}

function validateCognito(props: IdentityProps): CognitoIdentitySettings {
  if (props.userPool === undefined && props.userPoolClients !== undefined) {
    const count = Array.isArray(props.userPoolClients) ? props.userPoolClients.length : 0;
    throw new InvalidVendingConfigError('userPoolClients', 'needs userPool: pass the pool the clients belong to', `${count} client(s) without a pool`);
  }
  if (props.userPool !== undefined && (props.userPoolClients === undefined || props.userPoolClients.length === 0)) {
    throw new InvalidVendingConfigError('userPoolClients', 'must name at least one app client of userPool (the authorizer audiences)', describeReceived(props.userPoolClients));
  }
  const userPoolIssuer = props.userPoolIssuer ?? 'original';
  if (!USER_POOL_ISSUERS.includes(userPoolIssuer)) {
    throw new InvalidVendingConfigError('userPoolIssuer', `must be one of ${USER_POOL_ISSUERS.join(', ')}`, describeReceived(userPoolIssuer));
  }
  return { mode: 'cognito', userPool: props.userPool, userPoolClients: props.userPoolClients, userPoolIssuer };
}

/**
 * Validates a URL the authorizer or the function uses exactly as written, by the function's own rule
 * for it (`issuerUrlProblem` for the issuer: absolute, printable ASCII, https or loopback http, no
 * query, fragment or user info; `fetchableUrlProblem` for the JWKS URI, which may have a query),
 * plus an empty user info (`https://@host`), which URL parsers forget but the string keeps.
 */
function validateUrl(setting: string, value: unknown, rule: (text: string) => string | undefined): string {
  const problem =
    typeof value !== 'string'
      ? 'must be an https URL such as https://example.us.auth0.com/'
      : (rule(value) ?? (/^https?:\/\/[^/?#]*@/.test(value) ? 'must not hold user information ("user@")' : undefined));
  if (problem !== undefined) throw new InvalidVendingConfigError(setting, problem, describeReceived(value));
  return value as string;
}

function validateAudiences(value: unknown): string[] {
  const setting = 'issuer.audiences';
  if (Token.isUnresolved(value)) return value as string[];
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_AUDIENCES) {
    throw new InvalidVendingConfigError(setting, `must list 1-${MAX_AUDIENCES} audiences (the API identifier or client ID the tokens carry in aud)`, describeReceived(value));
  }
  const audiences = value.map((audience: unknown, index) => {
    if (typeof audience === 'string' && Token.isUnresolved(audience)) return audience;
    if (typeof audience !== 'string' || !AUDIENCE.test(audience)) {
      throw new InvalidVendingConfigError(`${setting}[${index}]`, 'must be an audience of 1-256 printable characters without white space or commas', describeReceived(audience));
    }
    return audience;
  });
  return [...new Set(audiences)];
}

function validateGroupsClaim(value: unknown, groupTemplates: boolean): string | undefined {
  const setting = 'issuer.groupsClaim';
  if (value === undefined) {
    if (groupTemplates) {
      throw new InvalidVendingConfigError(
        setting,
        'must name the claim holding the caller\'s groups (e.g. groups, https://example.com/groups or the JSON Pointer /realm_access/roles), since a template holds ${group}',
        describeReceived(value),
      );
    }
    return undefined;
  }
  const parsed = typeof value === 'string' ? parseGroupsClaim(value) : { problem: 'must be a claim name such as groups, or a JSON Pointer such as /realm_access/roles' };
  if ('problem' in parsed) throw new InvalidVendingConfigError(setting, parsed.problem, describeReceived(value));
  if (!groupTemplates) {
    throw new InvalidVendingConfigError(setting, 'only applies to ${group} templates, and no publish or subscribe template holds ${group}: remove it or add a ${group} template', describeReceived(value));
  }
  return value as string;
}

function validatePrincipalClaim(value: unknown): string {
  if (value === undefined) return DEFAULT_PRINCIPAL_CLAIM;
  const problem = typeof value === 'string' ? claimNameProblem(value) : 'must be a claim name such as sub, oid or uid';
  if (problem !== undefined) throw new InvalidVendingConfigError('issuer.principalClaim', problem, describeReceived(value));
  return value as string;
}

function validateIssuer(issuer: unknown, groupTemplates: boolean): IssuerIdentitySettings {
  if (issuer === null || typeof issuer !== 'object' || Array.isArray(issuer)) {
    throw new InvalidVendingConfigError('issuer', 'must be an object { url, audiences, groupsClaim?, principalClaim?, jwksUri? }', describeReceived(issuer));
  }
  const given = issuer as Partial<Record<keyof MqttUrlVendingIssuer, unknown>>;
  const url = Token.isUnresolved(given.url) ? (given.url as string) : validateUrl('issuer.url', given.url, issuerUrlProblem);
  const audiences = validateAudiences(given.audiences);
  const groupsClaim = validateGroupsClaim(given.groupsClaim, groupTemplates);
  const principalClaim = validatePrincipalClaim(given.principalClaim);
  const jwksUri = given.jwksUri === undefined || Token.isUnresolved(given.jwksUri) ? (given.jwksUri as string | undefined) : validateUrl('issuer.jwksUri', given.jwksUri, fetchableUrlProblem);
  return { mode: 'oidc', url, audiences, groupsClaim, principalClaim, jwksUri };
}

/**
 * Validates the identity props: `issuer` alone (issuer mode), or the user-pool props (Cognito
 * mode), never both. `groupTemplates` says whether a topic template holds `${group}`.
 */
export function resolveIdentity(props: IdentityProps, groupTemplates: boolean): IdentitySettings {
  if (props.issuer === undefined) return validateCognito(props);
  const poolProps = userPoolPropsGiven(props);
  if (poolProps.length > 0) {
    const url = typeof props.issuer === 'object' && props.issuer !== null ? (props.issuer as { url?: unknown }).url : props.issuer;
    throw new InvalidVendingConfigError(
      ['issuer', ...poolProps.map(([name]) => name)].join(' + '),
      'must not be combined: the API accepts the tokens of either one OIDC issuer or one Cognito user pool (give issuer alone, or the user-pool settings without issuer)',
      [`issuer ${describeReceived(url)}`, ...poolProps.map(([, value]) => value)].join(' with '),
    );
  }
  return validateIssuer(props.issuer, groupTemplates);
}

/**
 * Validates `requiredScopes`: `undefined` (no scope required) or 1+ OAuth scopes (RFC 6749:
 * printable ASCII without space, `"` or `\`).
 */
export function resolveRequiredScopes(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidVendingConfigError('requiredScopes', 'must list at least one OAuth scope, or be left out to require none', describeReceived(value));
  }
  return value.map((scope: unknown, index) => {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
      throw new InvalidVendingConfigError(`requiredScopes[${index}]`, 'must be one OAuth scope: printable ASCII without spaces, " or \\ (e.g. mqtt:connect)', describeReceived(scope));
    }
    return scope;
  });
}

/**
 * The region of a user pool's token issuer. A pool id is `<region>_<suffix>`, so an imported pool in
 * another region still gets the right issuer; a pool of this stack has a token id and the stack's
 * region.
 */
function userPoolRegion(userPool: IUserPool): string {
  const named = Token.isUnresolved(userPool.userPoolId) ? undefined : regionFromUserPoolId(userPool.userPoolId);
  return named ?? userPool.env.region;
}

/**
 * The issuer a user pool's tokens carry in the given form, as the JWT authorizer checks it.
 * `HttpUserPoolAuthorizer` builds the ORIGINAL one with a literal `amazonaws.com`; it is spelled the
 * same here so the function pins the very string the authorizer checks.
 * https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_IssuerConfigurationType.html
 */
export function userPoolIssuerUrl(userPool: IUserPool, form: UserPoolIssuer): string {
  const region = userPoolRegion(userPool);
  return form === 'original'
    ? `https://cognito-idp.${region}.amazonaws.com/${userPool.userPoolId}`
    : `https://issuer-cognito-idp.${region}.${Aws.URL_SUFFIX}/${userPool.userPoolId}`;
}

/**
 * The JWT authorizer for the pool's tokens. `HttpUserPoolAuthorizer` builds the ORIGINAL issuer; an
 * UPDATED pool needs the same authorizer with its other issuer URL.
 */
export function userPoolAuthorizer(userPool: IUserPool, clients: readonly IUserPoolClient[], form: UserPoolIssuer): HttpUserPoolAuthorizer | HttpJwtAuthorizer {
  if (form === 'original') {
    return new HttpUserPoolAuthorizer('CognitoAuthorizer', userPool, { userPoolClients: [...clients], userPoolRegion: userPoolRegion(userPool) });
  }
  return new HttpJwtAuthorizer('CognitoAuthorizer', userPoolIssuerUrl(userPool, form), { jwtAudience: clients.map((client) => client.userPoolClientId) });
}

/** The JWT authorizer for an OIDC issuer's tokens: the issuer URL exactly as given, the audiences. */
export function issuerAuthorizer(issuer: IssuerIdentitySettings): HttpJwtAuthorizer {
  return new HttpJwtAuthorizer('IssuerAuthorizer', issuer.url, { jwtAudience: [...issuer.audiences] });
}
