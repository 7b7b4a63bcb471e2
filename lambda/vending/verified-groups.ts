/**
 * Issuer mode with `${group}` templates: the caller's groups, read from the bearer token the Lambda
 * verified itself (`token-verifier.ts`), never from the authorizer's flattened claims.
 *
 * Per request:
 * 1. the one bearer token of the `Authorization` header (`bearer-token.ts`: a second token, a second
 *    header or none at all is 401);
 * 2. its verified payload, from the verified-token cache or a fresh verification (401 when it fails);
 * 3. the payload's `iss` and principal claim must equal the authorizer's claims: the token read here
 *    is the one the authorizer verified, not a stand-in (401 otherwise);
 * 4. the groups claim (a name, or an RFC 6901 pointer) → eligible groups, with the usual rules
 *    (`groups.ts`); Entra ID's overage form gives none and is flagged for the log.
 * All of it happens before any STS call.
 *
 * The verified-token cache keeps the warm path free of RSA: a bounded LRU keyed by the whole
 * `Authorization` value (`Bearer <token>`), each entry dropped once the token expires. It keeps only what the checks and the grants need (the
 * principal claim, and the groups or the refusal they lead to), never the payload.
 */
import { LruMap } from '../signing/lru-map.js';
import { authorizationOf, tokenOf } from './bearer-token.js';
import { TokenVerificationError, TooManyGroupsError } from './errors.js';
import { groupsFromVerifiedValue, type CallerGroups, type GroupSettings } from './groups.js';
import { groupsClaimValue, isGroupsOverage, type GroupsClaim } from './groups-claim.js';
import type { TokenVerifier } from './token-verifier.js';

/** How many verified tokens one instance remembers (each holds a token of 1–2 KB as its key). */
export const VERIFIED_TOKEN_CACHE_SIZE = 2000;

/** Options of {@link createVerifiedGroupReader}. */
export interface VerifiedGroupReaderOptions {
  /** `ISSUER_URL`: the verified payload's `iss` must be it. */
  readonly issuer: string;
  /** `PRINCIPAL_CLAIM`: the verified payload's value must equal the authorizer's. */
  readonly principalClaim: string;
  /** `GROUPS_CLAIM`: where the verified payload keeps the groups. */
  readonly groupsClaim: GroupsClaim;
  /** `GROUP_PREFIX` and `MAX_GROUPS`. */
  readonly groups: GroupSettings;
  /** Verifies tokens that are not in the cache. */
  readonly verifier: TokenVerifier;
  /** The clock, epoch milliseconds: cached tokens are dropped at their `exp`. */
  readonly now: () => number;
  /**
   * How many verified tokens are remembered.
   * @default 2000 ({@link VERIFIED_TOKEN_CACHE_SIZE})
   */
  readonly cacheSize?: number;
}

/**
 * Reads a request's groups from its verified bearer token; answers synchronously on a cache hit.
 *
 * @param headers the event's headers
 * @param claims the authorizer's claims (an object, its `iss` already pinned)
 * @throws TokenVerificationError (401), IdentityProviderUnavailableError (503), TooManyGroupsError (403)
 */
export type VerifiedGroupReader = (
  headers: Readonly<Record<string, string | undefined>> | undefined,
  claims: Readonly<Record<string, unknown>>,
) => CallerGroups | Promise<CallerGroups>;

/** What the cache keeps of one verified token. */
interface VerifiedEntry {
  /** The token's `exp`, in epoch milliseconds. */
  readonly expiresAtMs: number;
  /** The payload's `iss`. */
  readonly issuer: unknown;
  /** The payload's principal claim. */
  readonly principal: unknown;
  /** The caller's groups, or the refusal they led to (its message and limit, raised anew each time). */
  readonly groups: CallerGroups | { readonly tooMany: TooManyGroupsError };
}

const OVERAGE: CallerGroups = Object.freeze({ eligible: Object.freeze([]) as readonly string[], ineligible: 0, overage: true });

/** Returns the verified group reader of an issuer-mode deployment. */
export function createVerifiedGroupReader(options: VerifiedGroupReaderOptions): VerifiedGroupReader {
  const { issuer, principalClaim, groupsClaim, groups: settings, verifier, now } = options;
  const cache = new LruMap<string, VerifiedEntry>(options.cacheSize ?? VERIFIED_TOKEN_CACHE_SIZE);

  const answer = (entry: VerifiedEntry, claims: Readonly<Record<string, unknown>>): CallerGroups => {
    // Both were pinned already (the principal reader, the verifier); checked again here so this
    // module's promise does not rest on the order of the others.
    if (entry.issuer !== issuer || claims['iss'] !== issuer) throw new TokenVerificationError("the bearer token's iss differs from the authorizer's claims or ISSUER_URL");
    // Compared, never shown: the principal claim is personal data.
    if (typeof entry.principal !== 'string' || entry.principal !== claims[principalClaim]) {
      throw new TokenVerificationError(`the bearer token's ${principalClaim} differs from the authorizer's claims`);
    }
    if ('tooMany' in entry.groups) {
      throw new TooManyGroupsError(entry.groups.tooMany.message, entry.groups.tooMany.max);
    }
    return entry.groups;
  };

  const verify = async (authorization: string, claims: Readonly<Record<string, unknown>>): Promise<CallerGroups> => {
    const payload = await verifier.verify(tokenOf(authorization));
    const entry: VerifiedEntry = {
      // The verifier refuses a token without a numeric exp.
      expiresAtMs: (payload['exp'] as number) * 1000,
      issuer: payload['iss'],
      principal: payload[principalClaim],
      groups: groupsOf(payload),
    };
    cache.set(authorization, entry);
    return answer(entry, claims);
  };

  const groupsOf = (payload: Readonly<Record<string, unknown>>): VerifiedEntry['groups'] => {
    if (isGroupsOverage(payload, groupsClaim)) return OVERAGE;
    try {
      return groupsFromVerifiedValue(groupsClaimValue(payload, groupsClaim), settings);
    } catch (error) {
      // Remembered as a refusal, so each request for this token raises its own error.
      // Stryker disable next-line ConditionalExpression: groupsFromVerifiedValue throws nothing else
      if (error instanceof TooManyGroupsError) return { tooMany: error };
      throw error;
    }
  };

  return (headers, claims) => {
    const authorization = authorizationOf(headers);
    // Warm path: the cache is keyed by whole header values, each checked to hold exactly one token
    // before its token was verified, so finding the value proves it well-formed: no pattern to run.
    const entry = cache.get(authorization);
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: a needless verification of a cached token answers the same (its expiry is tested)
    if (entry !== undefined && now() < entry.expiresAtMs) return answer(entry, claims);
    return verify(authorization, claims);
  };
}
