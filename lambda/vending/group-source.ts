/**
 * Where a deployment reads its callers' groups from, chosen once at cold start:
 * - no `${group}` template: nowhere (the groups would grant nothing, so they are not even read);
 * - Cognito mode: the authorizer's claim (`groups.ts`, payload 2.0's `[a b]` form);
 * - issuer mode: the bearer token, verified by the Lambda itself (`verified-groups.ts`), whose keys
 *   start being fetched here, at cold start.
 */
import type { VendingConfig } from './config.js';
import { createGroupReader, type CallerGroups } from './groups.js';
import { createOidcTokenVerifier, type TokenVerifier } from './token-verifier.js';
import { usesGroups } from './topic-templates.js';
import { createVerifiedGroupReader, type VerifiedGroupReader } from './verified-groups.js';

/** Reads a request's groups from its headers and the authorizer's claims (see {@link VerifiedGroupReader}). */
export type GroupSource = VerifiedGroupReader;

/** Options of {@link createGroupSource}. */
export interface GroupSourceOptions {
  /**
   * The token verifier of issuer mode.
   * @default - aws-jwt-verify for `ISSUER_URL` and `AUDIENCES`, keys from `JWKS_URI` or discovery
   */
  readonly verifier?: TokenVerifier | undefined;
  /** The clock, epoch milliseconds (verified tokens are forgotten at their `exp`). */
  readonly now: () => number;
}

/** The group source of a configuration, or `undefined` when no template holds `${group}`. */
export function createGroupSource(config: VendingConfig, options: GroupSourceOptions): GroupSource | undefined {
  if (!usesGroups(config.templates)) return undefined;
  const { identity } = config;
  if (identity.kind === 'cognito') {
    const read = createGroupReader(config.groups, identity.groupsClaim);
    return (_headers, claims): CallerGroups => read(claims);
  }
  // The configuration requires GROUPS_CLAIM in issuer mode whenever a template holds ${group}.
  if (identity.groupsClaim === undefined) throw new TypeError('issuer mode with ${group} templates needs a groups claim');
  const verifier = options.verifier ?? createOidcTokenVerifier({ issuer: identity.issuer, audiences: identity.audiences, jwksUri: identity.jwksUri });
  // At cold start, so the first request finds the keys; a failure shows (503) and is retried then.
  verifier.hydrate().catch(() => undefined);
  return createVerifiedGroupReader({
    issuer: identity.issuer,
    principalClaim: identity.principalClaim,
    groupsClaim: identity.groupsClaim,
    groups: config.groups,
    verifier,
    now: options.now,
  });
}
