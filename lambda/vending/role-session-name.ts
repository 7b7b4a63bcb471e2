/**
 * The STS `RoleSessionName` of a caller, so CloudTrail names the user. Kept apart from `scope.ts`
 * because it needs `node:crypto`, which the pure scope rules (shared with the CDK code) do without.
 */
import { createHash } from 'node:crypto';

// STS RoleSessionName: [\w+=,.@-]{2,64}. https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
const SESSION_NAME_MAX = 64;
const SESSION_NAME_UNSAFE = /[^\w+=,.@-]/g;
// 22 base64url characters: the first 132 bits of the SHA-256 of the sub.
const DIGEST_LENGTH = 22;
// What every derived name ends with; a sub that already ends like this is derived too.
const DERIVED_TAIL = new RegExp(`\\.[A-Za-z0-9_-]{${DIGEST_LENGTH}}$`);

/**
 * The STS `RoleSessionName` for a `sub`. Distinct subs never share one:
 * - a `sub` that fits `[\w+=,.@-]{2,64}` and does not end like a derived name is used as is (every
 *   Cognito sub is), and distinct subs are distinct names;
 * - any other is derived: cleaned, truncated, then `.` and {@link DIGEST_LENGTH} base64url
 *   characters of its SHA-256. Derived names always end that way and names used as is never do, so
 *   the two kinds cannot meet; two derived names meet only if 132 bits of SHA-256 collide.
 * (A plain 8-hex suffix allowed `a:b` → `a.b.6783a31e`, the very name the sub `a.b.6783a31e` had.)
 */
export function roleSessionNameFor(sub: string): string {
  const cleaned = sub.replace(SESSION_NAME_UNSAFE, '.');
  if (cleaned === sub && sub.length >= 2 && sub.length <= SESSION_NAME_MAX && !DERIVED_TAIL.test(sub)) return sub;
  const digest = createHash('sha256').update(sub).digest('base64url').slice(0, DIGEST_LENGTH);
  return `${cleaned.slice(0, SESSION_NAME_MAX - DIGEST_LENGTH - 1)}.${digest}`;
}
