/**
 * Where a token keeps the caller's groups (`GROUPS_CLAIM`): a claim name used as it is (`groups`,
 * `https://example.com/groups`, `cognito:groups`), or, when it starts with `/`, an RFC 6901 JSON
 * Pointer into the payload (`/realm_access/roles`, Keycloak's realm roles). No guessing between the
 * two: `a/b` is the claim named `a/b`, `/a/b` the member `b` of the claim `a`.
 * https://www.rfc-editor.org/rfc/rfc6901
 *
 * Also recognizes Microsoft Entra ID's groups overage: past its limit (200 groups in a JWT), Entra
 * leaves the groups claim out and names it in `_claim_names` instead, pointing at Microsoft Graph
 * (https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference#groups-overage-claim).
 * Such a caller gets no groups; the request log counts it. Pure.
 */

/** A `GROUPS_CLAIM` as parsed: a claim name, or a JSON Pointer split into its unescaped tokens. */
export type GroupsClaim =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'pointer'; readonly pointer: string; readonly tokens: readonly string[] };

/** The longest claim name or pointer accepted (a setting, not data: anything longer is a mistake). */
export const MAX_CLAIM_SETTING_LENGTH = 256;

// Printable, without white space or controls: a claim name is an identifier, and the value shows in
// error messages.
const CLAIM_NAME = new RegExp(`^[^\\s\\p{C}]{1,${MAX_CLAIM_SETTING_LENGTH}}$`, 'u');
// RFC 6901: "~" is only ever the start of "~0" (a "~") or "~1" (a "/").
const BAD_ESCAPE = /~(?![01])/;

/**
 * Why `text` is not a usable claim name (`PRINCIPAL_CLAIM`, or the name form of `GROUPS_CLAIM`), or
 * `undefined` when it is: 1–256 printable characters without white space, not starting with `/`.
 */
export function claimNameProblem(text: string): string | undefined {
  if (!CLAIM_NAME.test(text)) return `must be a claim name of 1-${MAX_CLAIM_SETTING_LENGTH} printable characters without white space`;
  if (text.startsWith('/')) return 'must be a claim name, not a JSON Pointer (it starts with "/")';
  return undefined;
}

/**
 * Parses a `GROUPS_CLAIM`: a JSON Pointer when it starts with `/`, else a claim name.
 *
 * @returns the parsed setting, or why it is unusable (phrased to follow the setting's name)
 */
export function parseGroupsClaim(text: string): GroupsClaim | { readonly problem: string } {
  if (!text.startsWith('/')) {
    const problem = claimNameProblem(text);
    return problem === undefined ? { kind: 'name', name: text } : { problem };
  }
  if (!CLAIM_NAME.test(text)) return { problem: `must be a JSON Pointer of 1-${MAX_CLAIM_SETTING_LENGTH} printable characters without white space` };
  if (BAD_ESCAPE.test(text)) return { problem: 'must be an RFC 6901 JSON Pointer: "~" may only start "~0" or "~1"' };
  // "~1" is unescaped before "~0", so "~01" reads as "~1", never as "/" (RFC 6901 section 4).
  const tokens = text
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (tokens.some((token) => token === '')) return { problem: 'must be a JSON Pointer without empty tokens (such as "//" or a trailing "/")' };
  return { kind: 'pointer', pointer: text, tokens };
}

/**
 * The value the groups claim points at in a verified token's payload, or `undefined` when nothing is
 * there. Only own members are followed, so `/__proto__` or `/constructor` find nothing; array
 * elements are reached by their decimal index, as RFC 6901 says.
 */
export function groupsClaimValue(payload: Readonly<Record<string, unknown>>, claim: GroupsClaim): unknown {
  if (claim.kind === 'name') return Object.hasOwn(payload, claim.name) ? payload[claim.name] : undefined;
  let value: unknown = payload;
  for (const token of claim.tokens) {
    if (Array.isArray(value)) {
      value = /^(?:0|[1-9]\d{0,8})$/.test(token) ? value[Number(token)] : undefined;
    } else if (typeof value === 'object' && value !== null && Object.hasOwn(value, token)) {
      value = (value as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return value;
}

/**
 * Whether a payload has Entra ID's groups overage form: no groups claim, and the claim's name listed
 * in `_claim_names` (a top-level claim only: a name, or a pointer of one token).
 */
export function isGroupsOverage(payload: Readonly<Record<string, unknown>>, claim: GroupsClaim): boolean {
  const name = claim.kind === 'name' ? claim.name : claim.tokens.length === 1 ? claim.tokens[0] : undefined;
  if (name === undefined || Object.hasOwn(payload, name)) return false;
  const names = payload['_claim_names'];
  return typeof names === 'object' && names !== null && !Array.isArray(names) && Object.hasOwn(names, name);
}
