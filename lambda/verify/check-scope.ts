/**
 * `scope`: whether the deployment keeps users apart at all. Shared scope (the construct's
 * `scope: 'shared'`) signs every URL with the function's own role, so every user gets the whole
 * namespace by design: the isolation checks would only fail, and are not run. It passes only when
 * `--expect-shared` says that is intended.
 */
import type { CheckVerdict } from './check-result.js';

/**
 * @param evidence why the deployment looks like shared scope (`sharedScopeEvidence`), or `undefined`
 * @param expectShared `--expect-shared`
 */
export function scopeVerdict(evidence: string | undefined, expectShared: boolean): CheckVerdict {
  if (evidence !== undefined && expectShared) {
    return { ok: true, shared: true, detail: `shared scope, as expected (--expect-shared): ${evidence}; isolation is not checked` };
  }
  if (evidence !== undefined) {
    return {
      ok: false,
      shared: true,
      detail: `SHARED SCOPE: this deployment does not keep users apart, by design: ${evidence}. Pass --expect-shared if that is intended (trusted internal dashboards); otherwise deploy with per-user scope (the default)`,
    };
  }
  if (expectShared) return { ok: false, detail: '--expect-shared was given, but the deployment keeps users apart (per-user scope): drop --expect-shared' };
  return { ok: true, detail: 'per-user scope: A and B got their own credentials and their own grants' };
}
