/**
 * The checks that need only HTTP: the vend answers themselves, their `Cache-Control`, and CORS.
 */
import type { CheckVerdict } from './check-result.js';
import { skipped } from './check-result.js';
import type { Deadline } from './deadline.js';
import type { UserVend } from './vend-client.js';

/** An origin no deployment allows, for the foreign-origin half of the CORS check. */
export const FOREIGN_ORIGIN = 'https://foreign-origin.aws-signv4-mqtt-verify.invalid';

/** Both users vended: status, `expiresAt`, topics, the endpoint, different principals. */
export function vendVerdict(a: UserVend, b: UserVend): CheckVerdict {
  const problems: string[] = [];
  for (const { user, vended } of [a, b]) {
    if (!(Date.parse(vended.expiresAt) > Date.now())) problems.push(`user ${user}'s expiresAt is not in the future`);
    if (new URL(vended.url).host !== vended.endpoint.toLowerCase()) problems.push(`user ${user}'s URL points at a host other than the endpoint the answer names`);
    if (vended.topics.publish.length + vended.topics.subscribe.length === 0) problems.push(`user ${user} was granted no topic at all`);
  }
  if (a.vended.principalId === b.vended.principalId) problems.push('both answers name the same principal');
  if (problems.length > 0) return { ok: false, detail: problems.join('; ') };
  const grants = (vend: UserVend): string => `${vend.vended.topics.publish.length} publish / ${vend.vended.topics.subscribe.length} subscribe`;
  const ttl = Math.round(a.vended.lifetimeMs / 1000);
  return {
    ok: true,
    detail: `HTTP 200 for A (${a.ms} ms) and B (${b.ms} ms); URLs valid for ${ttl} s; grants A ${grants(a)}, B ${grants(b)}; two different principals; endpoint ${a.vended.endpoint}`,
  };
}

/** Whether a `Cache-Control` value holds the `no-store` directive. */
function hasNoStore(value: string | null): boolean {
  return value !== null && value.split(',').some((directive) => directive.trim().toLowerCase() === 'no-store');
}

/** The answer holds a bearer URL: no cache may keep it. */
export function noStoreVerdict(a: UserVend, b: UserVend): CheckVerdict {
  const missing = [a, b].filter((vend) => !hasNoStore(vend.headers.get('cache-control')));
  if (missing.length === 0) return { ok: true, detail: 'both answers carry Cache-Control: no-store' };
  const seen = missing[0]?.headers.get('cache-control');
  return {
    ok: false,
    detail: `the answer for ${missing.map((vend) => `user ${vend.user}`).join(' and ')} lacks Cache-Control: no-store (got ${seen === null || seen === undefined ? 'no Cache-Control' : JSON.stringify(seen.slice(0, 100))}): a cache between the API and its callers could keep and hand out a bearer URL`,
  };
}

/** A CORS preflight of `GET /mqtt-url` from `origin`: its `Access-Control-Allow-Origin`, or `null`. */
async function preflight(apiUrl: string, origin: string, deadline: Deadline): Promise<{ status: number; allowOrigin: string | null }> {
  const response = await fetch(`${apiUrl}/mqtt-url`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    redirect: 'manual',
    signal: deadline.signal,
  });
  await response.arrayBuffer().catch(() => undefined);
  return { status: response.status, allowOrigin: response.headers.get('access-control-allow-origin') };
}

/** With `--origin`: the preflight allows exactly that origin, and a foreign origin gets none. */
export async function corsVerdict(apiUrl: string, origin: string | undefined, deadline: Deadline): Promise<CheckVerdict> {
  if (origin === undefined) return skipped('not asked: pass --origin <your web app\'s origin> to check CORS');
  const own = await preflight(apiUrl, origin, deadline);
  if (own.allowOrigin === '*') return { ok: false, detail: `the preflight from ${origin} answered Access-Control-Allow-Origin: * (every origin): allow exactly your app's origins` };
  if (own.allowOrigin !== origin) {
    return {
      ok: false,
      detail: `the preflight from ${origin} (HTTP ${own.status}) answered ${own.allowOrigin === null ? 'no Access-Control-Allow-Origin' : `Access-Control-Allow-Origin ${JSON.stringify(own.allowOrigin.slice(0, 200))}`}: the browser app at ${origin} could not vend`,
    };
  }
  const foreign = await preflight(apiUrl, FOREIGN_ORIGIN, deadline);
  if (foreign.allowOrigin !== null) {
    return {
      ok: false,
      detail: `a preflight from a foreign origin (${FOREIGN_ORIGIN}) got Access-Control-Allow-Origin ${JSON.stringify(foreign.allowOrigin.slice(0, 200))}: pages on any origin may call the API from their visitors' browsers`,
    };
  }
  return { ok: true, detail: `the preflight allows exactly ${origin}; a foreign origin gets no Access-Control-Allow-Origin` };
}
