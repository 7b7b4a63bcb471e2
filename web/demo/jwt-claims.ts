/**
 * Reads the claims of a JWT (Cognito's, or the local OIDC issuer's) for display and expiry checks.
 * It does NOT verify the token: the page only needs `sub` (to show it, and to suggest topics),
 * the groups (`cognito:groups`, or the issuer's groups claim: to tell group rooms apart from other
 * grants) and `exp` (to know when to refresh); the API's JWT authorizer is what trusts or refuses it.
 */

/** The claims the demo uses. */
export interface TokenClaims {
  /**
   * The user's stable subject. With Cognito it is the MQTT namespace `users/<sub>/…`; with another
   * OIDC issuer the namespace is the principal ID derived from it.
   */
  readonly sub: string;
  /** Expiry, epoch seconds. */
  readonly exp: number;
  /** The Cognito username, when the token carries one. */
  readonly username: string | undefined;
  /**
   * The user's groups (`cognito:groups`, or the claim given to {@link readTokenClaims}: a JSON array
   * in the token), or `undefined` when the token has none (Cognito leaves the claim out for a user
   * in no group).
   */
  readonly groups?: readonly string[] | undefined;
}

function base64UrlDecode(segment: string): string {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(segment.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/**
 * @param groupsClaim the claim that holds the groups
 * @throws Error when the token is not a JWT with string `sub` and numeric `exp`
 */
export function readTokenClaims(token: string, groupsClaim = 'cognito:groups'): TokenClaims {
  const payload = token.split('.')[1];
  if (payload === undefined) throw new Error('The sign-in answer did not contain a JWT');
  let claims: unknown;
  try {
    claims = JSON.parse(base64UrlDecode(payload));
  } catch {
    throw new Error('The sign-in answer contained a malformed JWT');
  }
  const { sub, exp } = (claims ?? {}) as { sub?: unknown; exp?: unknown };
  if (typeof sub !== 'string' || typeof exp !== 'number') throw new Error('The token has no sub or exp claim');
  const record = claims as Record<string, unknown>;
  const username = record['cognito:username'] ?? record['username'];
  const groups = record[groupsClaim];
  return {
    sub,
    exp,
    username: typeof username === 'string' ? username : undefined,
    groups: Array.isArray(groups) ? groups.filter((group): group is string => typeof group === 'string') : undefined,
  };
}
