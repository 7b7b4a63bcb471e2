/**
 * The JWT authorizer's claims → the caller's principal: the one value that becomes its client ID
 * base, the `${sub}` of its topics, its STS session name, its rate-limit and cache key, and the `sub`
 * field of the request log.
 *
 * - Both modes: the claims' `iss` must be `ISSUER_URL` exactly, whatever the authorizer let through
 *   (a second authorizer, a route wired to another one, a direct invoke).
 * - Cognito mode: the `sub` as it is, with the checks of `subjectFromClaims`.
 * - Issuer mode: `principalIdFor(ISSUER_URL, claims[PRINCIPAL_CLAIM])`, a UUID whatever the
 *   provider's sub looks like. The raw claim goes no further than this module and the token check
 *   (`verified-groups.ts`): no error message, log value, policy, topic or STS parameter holds it.
 */
import { describeValue } from '../signing/errors.js';
import { LruMap } from '../signing/lru-map.js';
import { ForeignIssuerError, MissingIdentityError } from './errors.js';
import { subjectFromClaims } from './identity.js';
import type { IdentitySettings } from './identity-config.js';
import { principalIdDeriver, subProblem } from './principal-id.js';

/** Reads the caller's principal from the authorizer's claims. */
export type PrincipalReader = (claims: unknown) => string;

/** How many issuer-mode principal IDs {@link createPrincipalReader} remembers unless told otherwise. */
export const PRINCIPAL_MEMO_DEFAULT = 10_000;

/**
 * Returns the principal reader of a deployment's identity settings.
 *
 * The returned reader throws:
 * - MissingIdentityError (401) when there are no claims, or no usable principal claim (issuer mode:
 *   missing, not a string, empty, over 1,024 characters, or not well-formed UTF-16);
 * - ForeignIssuerError (401) when the claims' `iss` is not the configured issuer;
 * - ForbiddenSubjectError (403) in Cognito mode, for a `sub` that cannot be placed safely.
 *
 * @param identity the deployment's identity settings
 * @param memoSize how many issuer-mode principal IDs are remembered (one per recent caller)
 */
export function createPrincipalReader(identity: IdentitySettings, memoSize: number = PRINCIPAL_MEMO_DEFAULT): PrincipalReader {
  const { issuer } = identity;
  const checkIssuer = (claims: unknown): Readonly<Record<string, unknown>> => {
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
      throw new MissingIdentityError(`the authorizer passed no JWT claims (received ${describeValue(claims)})`);
    }
    const iss = (claims as Record<string, unknown>)['iss'];
    if (iss !== issuer) throw new ForeignIssuerError(`the token's iss ${describeValue(iss)} is not ISSUER_URL ${describeValue(issuer)}`);
    return claims as Readonly<Record<string, unknown>>;
  };
  if (identity.kind === 'cognito') {
    return (claims) => subjectFromClaims(checkIssuer(claims));
  }
  const { principalClaim } = identity;
  // The issuer was checked when the configuration was parsed, with the same rules.
  const derive = principalIdDeriver(issuer);
  // A SHA-1, a copy of its state and a hex UUID cost more than the rest of a warm request's
  // bookkeeping; a caller's next vend finds its ID here. Only derivable subs are remembered.
  const memo = new LruMap<string, string>(memoSize);
  return (claims) => {
    const value = checkIssuer(claims)[principalClaim];
    if (typeof value !== 'string') {
      // Only a non-string is described: describeValue names its type, never a string's content.
      throw new MissingIdentityError(`the JWT claims hold no usable ${principalClaim} (received ${describeValue(value)})`);
    }
    const known = memo.get(value);
    // Stryker disable next-line ConditionalExpression: the memo only saves the derivation, which gives the same ID
    if (known !== undefined) return known;
    // Checked here rather than caught from the deriver, whose error quotes the sub: the problem does not.
    const problem = subProblem(value);
    if (problem !== undefined) throw new MissingIdentityError(`the JWT claim ${principalClaim} ${problem}`);
    const principal = derive(value);
    memo.set(value, principal);
    return principal;
  };
}
