/**
 * The STS `RoleSessionName` of a caller, so CloudTrail names the user. Kept apart from `scope.ts`
 * because it needs `node:crypto`, which the pure scope rules (shared with the CDK code) do without.
 */
import { createHash } from 'node:crypto';

// STS RoleSessionName: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
const SESSION_NAME_MAX = 64;
const SESSION_NAME_UNSAFE = /[^\w+=,.@-]/g;

/**
 * The STS `RoleSessionName` for a `sub`. A `sub` that already fits `[\w+=,.@-]{2,64}` is used as is
 * (every Cognito sub does); any other is cleaned and truncated, then suffixed with 8 hex digits of
 * its SHA-256 so different subs keep different names.
 */
export function roleSessionNameFor(sub: string): string {
  const cleaned = sub.replace(SESSION_NAME_UNSAFE, '.');
  if (cleaned === sub && sub.length >= 2 && sub.length <= SESSION_NAME_MAX) return sub;
  const digest = createHash('sha256').update(sub).digest('hex').slice(0, 8);
  return `${cleaned.slice(0, SESSION_NAME_MAX - digest.length - 1)}.${digest}`;
}
