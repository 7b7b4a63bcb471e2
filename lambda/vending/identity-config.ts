/**
 * The identity part of the Lambda's environment: which issuer the caller's token must come from, and
 * how its principal and groups are read. Two modes (`IDENTITY_MODE`):
 * - `cognito` (default): a Cognito user pool; the principal is the `sub` as it is, the groups the
 *   `cognito:groups` claim as API Gateway's payload 2.0 flattens it (`[a b]`).
 * - `oidc`: any OpenID Connect issuer (Auth0, Okta, Entra ID, Keycloak, Firebase, Clerk); the
 *   principal is `principalIdFor(ISSUER_URL, claims[PRINCIPAL_CLAIM])`, and with `${group}`
 *   templates the groups come from the bearer token, verified again by the Lambda itself.
 *
 * Part of the configuration parsed once at cold start (`config.ts`); every problem is a
 * {@link ConfigurationError} naming the variable and the value received.
 */
import { describeValue } from '../signing/errors.js';
import { isLoopbackHostname } from '../signing/validate.js';
import type { Environment } from './environment.js';
import { ConfigurationError } from './errors.js';
import { GROUPS_CLAIM } from './groups.js';
import { claimNameProblem, parseGroupsClaim, type GroupsClaim } from './groups-claim.js';
import { fetchableUrlProblem } from './oidc-fetch.js';
import { issuerProblem } from './principal-id.js';

/** `IDENTITY_MODE`'s values. */
export const IDENTITY_MODES = Object.freeze(['cognito', 'oidc'] as const);

/** One of {@link IDENTITY_MODES}. */
export type IdentityMode = (typeof IDENTITY_MODES)[number];

/** Cognito mode: the user pool's tokens, as API Gateway's JWT authorizer passes their claims. */
export interface CognitoIdentitySettings {
  /** Discriminates the modes. */
  readonly kind: 'cognito';
  /** `ISSUER_URL`: the pool's issuer, `https://cognito-idp.<region>.amazonaws.com/<poolId>`. */
  readonly issuer: string;
  /** `GROUPS_CLAIM`: the claim name `${group}` templates read (payload 2.0's `[a b]` form). */
  readonly groupsClaim: string;
}

/** OIDC (issuer) mode: any OpenID Connect provider. */
export interface OidcIdentitySettings {
  /** Discriminates the modes. */
  readonly kind: 'oidc';
  /** `ISSUER_URL`: the exact `iss` of the tokens (a trailing slash matters). */
  readonly issuer: string;
  /** `AUDIENCES`: a token's `aud` (else its `client_id`) must name one of these. */
  readonly audiences: readonly string[];
  /** `PRINCIPAL_CLAIM`: the claim principal IDs are derived from (`sub` by default). */
  readonly principalClaim: string;
  /**
   * `GROUPS_CLAIM`: where the verified token keeps the groups; `undefined` when no template holds
   * `${group}` (then no token is verified by the Lambda).
   */
  readonly groupsClaim: GroupsClaim | undefined;
  /** `JWKS_URI`; `undefined` to read `jwks_uri` from the issuer's discovery document. */
  readonly jwksUri: string | undefined;
}

/** The identity settings of either mode. */
export type IdentitySettings = CognitoIdentitySettings | OidcIdentitySettings;

/** `PRINCIPAL_CLAIM`'s default, and its only value in Cognito mode. */
export const DEFAULT_PRINCIPAL_CLAIM = 'sub';

// https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html:
// the issuer of a pool's tokens is https://cognito-idp.<region>.amazonaws.com/<userPoolId>, and a pool
// ID is <region>_<id>. A pool whose IssuerConfiguration is UPDATED issues from the host
// issuer-cognito-idp.<region>.amazonaws.com instead (the construct's `userPoolIssuer: 'updated'`).
const COGNITO_ISSUER = /^https:\/\/(?:issuer-)?cognito-idp\.([a-z]{2}(?:-[a-z]+)+-\d{1,2})\.amazonaws\.com\/\1_[0-9A-Za-z]{1,55}$/;
const AUDIENCE = /^[^\s\p{C},]{1,256}$/u;
const MAX_AUDIENCES = 50;

/**
 * Parses the identity variables.
 *
 * @param env the environment
 * @param usesGroups whether any topic template holds `${group}` (only then is a groups claim read)
 * @throws ConfigurationError naming the first variable at fault
 */
export function identityFromEnvironment(env: Environment, usesGroups: boolean): IdentitySettings {
  const mode = env['IDENTITY_MODE'] ?? 'cognito';
  if (mode !== 'cognito' && mode !== 'oidc') {
    throw new ConfigurationError('IDENTITY_MODE', `must be one of ${IDENTITY_MODES.join(', ')} (received ${describeValue(mode)})`);
  }
  const issuer = env['ISSUER_URL'];
  if (issuer === undefined || issuer === '') {
    throw new ConfigurationError(
      'ISSUER_URL',
      mode === 'cognito'
        ? 'is required: the user pool\'s issuer, https://cognito-idp.<region>.amazonaws.com/<userPoolId>, exactly as its tokens\' "iss"'
        : 'is required: the OIDC issuer, exactly as its tokens\' "iss" (a trailing slash matters)',
    );
  }
  return mode === 'cognito' ? cognitoIdentity(env, issuer, usesGroups) : oidcIdentity(env, issuer, usesGroups);
}

function cognitoIdentity(env: Environment, issuer: string, usesGroups: boolean): CognitoIdentitySettings {
  // A loopback issuer is the local stack's Cognito stand-in (`npm run dev`).
  if (!COGNITO_ISSUER.test(issuer) && !isLoopbackIssuer(issuer)) {
    throw new ConfigurationError(
      'ISSUER_URL',
      `must be the user pool's issuer, https://cognito-idp.<region>.amazonaws.com/<region>_<id> (or issuer-cognito-idp for an UPDATED pool), in Cognito mode; set IDENTITY_MODE=oidc for another issuer (received ${describeValue(issuer)})`,
    );
  }
  for (const name of ['AUDIENCES', 'JWKS_URI'] as const) {
    const value = env[name];
    if (value !== undefined) throw new ConfigurationError(name, `only applies with IDENTITY_MODE=oidc (API Gateway checks the user pool's audiences): unset it (received ${describeValue(value)})`);
  }
  const principalClaim = env['PRINCIPAL_CLAIM'];
  if (principalClaim !== undefined && principalClaim !== DEFAULT_PRINCIPAL_CLAIM) {
    throw new ConfigurationError('PRINCIPAL_CLAIM', `must be sub or unset in Cognito mode: a pool's sub is its users' stable ID (received ${describeValue(principalClaim)})`);
  }
  const groupsClaim = env['GROUPS_CLAIM'];
  if (groupsClaim === undefined) return { kind: 'cognito', issuer, groupsClaim: GROUPS_CLAIM };
  if (!usesGroups) throw new ConfigurationError('GROUPS_CLAIM', `${GROUPS_WITHOUT_TEMPLATE} (received ${describeValue(groupsClaim)})`);
  if (groupsClaim.startsWith('/')) {
    // A pointer needs the token's JSON, which only OIDC mode verifies; payload 2.0 flattens objects.
    throw new ConfigurationError('GROUPS_CLAIM', `must be a claim name in Cognito mode: JSON Pointers need IDENTITY_MODE=oidc (received ${describeValue(groupsClaim)})`);
  }
  const problem = claimNameProblem(groupsClaim);
  if (problem !== undefined) throw new ConfigurationError('GROUPS_CLAIM', `${problem} (received ${describeValue(groupsClaim)})`);
  return { kind: 'cognito', issuer, groupsClaim };
}

const GROUPS_WITHOUT_TEMPLATE = 'only applies to ${group} templates, and no publish or subscribe template holds ${group}: remove it or add a ${group} template';

function oidcIdentity(env: Environment, issuer: string, usesGroups: boolean): OidcIdentitySettings {
  const issuerFault = issuerUrlProblem(issuer);
  if (issuerFault !== undefined) throw new ConfigurationError('ISSUER_URL', `${issuerFault} (received ${describeValue(issuer)})`);
  const audiences = audiencesVariable(env);
  const principalClaim = env['PRINCIPAL_CLAIM'] ?? DEFAULT_PRINCIPAL_CLAIM;
  const principalProblem = claimNameProblem(principalClaim);
  if (principalProblem !== undefined) throw new ConfigurationError('PRINCIPAL_CLAIM', `${principalProblem} (received ${describeValue(principalClaim)})`);
  return { kind: 'oidc', issuer, audiences, principalClaim, groupsClaim: oidcGroupsClaim(env, usesGroups), jwksUri: jwksUriVariable(env) };
}

function oidcGroupsClaim(env: Environment, usesGroups: boolean): GroupsClaim | undefined {
  const text = env['GROUPS_CLAIM'];
  if (!usesGroups) {
    if (text !== undefined) throw new ConfigurationError('GROUPS_CLAIM', `${GROUPS_WITHOUT_TEMPLATE} (received ${describeValue(text)})`);
    return undefined;
  }
  if (text === undefined || text === '') {
    throw new ConfigurationError(
      'GROUPS_CLAIM',
      'is required with IDENTITY_MODE=oidc when a template holds ${group}: a claim name such as groups or https://example.com/groups, or a JSON Pointer such as /realm_access/roles',
    );
  }
  const parsed = parseGroupsClaim(text);
  if ('problem' in parsed) throw new ConfigurationError('GROUPS_CLAIM', `${parsed.problem} (received ${describeValue(text)})`);
  return parsed;
}

function audiencesVariable(env: Environment): readonly string[] {
  const text = env['AUDIENCES'];
  const usage = 'must be a JSON array of strings or a comma-separated list of at least one audience (the app or API ID the tokens name in "aud", or "client_id")';
  if (text === undefined || text.trim() === '') throw new ConfigurationError('AUDIENCES', `is required with IDENTITY_MODE=oidc: it ${usage.slice(5)}`);
  let entries: unknown;
  if (text.trim().startsWith('[')) {
    try {
      entries = JSON.parse(text);
    } catch (error) {
      throw new ConfigurationError('AUDIENCES', `${usage} (received ${describeValue(text)})`, { cause: error });
    }
  } else {
    entries = text.split(',').map((entry) => entry.trim());
  }
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_AUDIENCES) {
    throw new ConfigurationError('AUDIENCES', `${usage}, at most ${MAX_AUDIENCES} (received ${describeValue(text)})`);
  }
  const bad = entries.findIndex((entry) => typeof entry !== 'string' || !AUDIENCE.test(entry));
  if (bad !== -1) {
    throw new ConfigurationError('AUDIENCES', `entry ${bad} must be 1-256 printable characters without white space or commas (received ${describeValue(entries[bad])})`);
  }
  return Object.freeze([...new Set(entries as string[])]);
}

function jwksUriVariable(env: Environment): string | undefined {
  const text = env['JWKS_URI'];
  if (text === undefined || text === '') return undefined;
  const problem = fetchableUrlProblem(text);
  if (problem !== undefined) throw new ConfigurationError('JWKS_URI', `${problem} (received ${describeValue(text)})`);
  return text;
}

/**
 * Why a URL cannot be an issuer the Lambda trusts, or `undefined`: what
 * `principalIdFor` accepts (absolute, printable ASCII, no `#` or query), over https, or http for a
 * loopback host only (the local stack and tests). Exported for the CDK side, so synth can refuse what
 * the function would.
 */
export function issuerUrlProblem(text: string): string | undefined {
  const problem = issuerProblem(text);
  if (problem !== undefined) return problem;
  const url = new URL(text);
  if (url.protocol === 'https:' || isLoopbackHostname(url.hostname)) return undefined;
  return 'must use https (http only for loopback hosts: localhost, 127.0.0.0/8, [::1])';
}

function isLoopbackIssuer(text: string): boolean {
  return issuerUrlProblem(text) === undefined && isLoopbackHostname(new URL(text).hostname);
}
