/**
 * `createVerifiedGroupReader` with a stand-in verifier: the verified-token cache (synchronous hits,
 * bounded, expiring with the token, never remembering a failure), the issuer and principal checks
 * on both paths, refusals raised anew each time, and Entra's overage form.
 */
import { describe, expect, it } from 'vitest';
import { TokenVerificationError, TooManyGroupsError } from '../../lambda/vending/errors.js';
import { parseGroupsClaim, type GroupsClaim } from '../../lambda/vending/groups-claim.js';
import type { TokenVerifier, VerifiedPayload } from '../../lambda/vending/token-verifier.js';
import { createVerifiedGroupReader, VERIFIED_TOKEN_CACHE_SIZE } from '../../lambda/vending/verified-groups.js';

const ISSUER = 'https://issuer.example.com/';
const EXP = 2_000_000_000;
// Not parsed at load time: a mutant that throws while a file is collected would count as no test run.
const GROUPS_CLAIM: GroupsClaim = { kind: 'name', name: 'groups' };
const headers = (token: string) => ({ authorization: `Bearer ${token}` });
const claims = (sub: unknown = 'alice', iss: unknown = ISSUER) => ({ iss, sub });
const token = (n: number) => `h.p${n}.s`;

/** A verifier answering fixed payloads by token, counting its calls; unknown tokens fail. */
function standIn(payloads: Record<string, VerifiedPayload>): TokenVerifier & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    hydrate: async () => undefined,
    verify: async (jwt) => {
      calls.push(jwt);
      const payload = payloads[jwt];
      if (payload === undefined) throw new TokenVerificationError('the token failed verification: invalid signature');
      return payload;
    },
  };
}

function reader(verifier: TokenVerifier, options: { now?: () => number; cacheSize?: number; max?: number; groupsClaim?: GroupsClaim } = {}) {
  return createVerifiedGroupReader({
    issuer: ISSUER,
    principalClaim: 'sub',
    groupsClaim: options.groupsClaim ?? GROUPS_CLAIM,
    groups: { prefix: undefined, max: options.max ?? 4 },
    verifier,
    now: options.now ?? (() => EXP * 1000 - 60_000),
    ...(options.cacheSize === undefined ? {} : { cacheSize: options.cacheSize }),
  });
}

const payload = (extra: Record<string, unknown> = {}): VerifiedPayload => ({ iss: ISSUER, sub: 'alice', exp: EXP, groups: ['team-a'], ...extra });

async function failure(run: () => unknown): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('createVerifiedGroupReader', () => {
  it('verifies a token once, then answers from the cache synchronously', async () => {
    const verifier = standIn({ [token(1)]: payload() });
    const read = reader(verifier);
    const first = read(headers(token(1)), claims());
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toEqual({ eligible: ['team-a'], ineligible: 0 });
    const second = read(headers(token(1)), claims());
    expect(second).not.toBeInstanceOf(Promise);
    expect(second).toEqual({ eligible: ['team-a'], ineligible: 0 });
    expect(verifier.calls).toEqual([token(1)]);
  });

  it('verifies again from the moment the token expires', async () => {
    let now = EXP * 1000 - 2;
    const verifier = standIn({ [token(1)]: payload() });
    const read = reader(verifier, { now: () => now });
    await read(headers(token(1)), claims());
    now = EXP * 1000 - 1;
    read(headers(token(1)), claims());
    expect(verifier.calls).toHaveLength(1);
    now = EXP * 1000;
    await read(headers(token(1)), claims());
    expect(verifier.calls).toHaveLength(2);
  });

  it('keeps a bounded number of tokens, dropping the least recently used', async () => {
    expect(VERIFIED_TOKEN_CACHE_SIZE).toBe(2000);
    const verifier = standIn({ [token(1)]: payload(), [token(2)]: payload(), [token(3)]: payload() });
    const read = reader(verifier, { cacheSize: 2 });
    for (const n of [1, 2, 1, 3, 1, 2]) await read(headers(token(n)), claims());
    expect(verifier.calls).toEqual([token(1), token(2), token(3), token(2)]);
  });

  it('never remembers a failed verification', async () => {
    const verifier = standIn({});
    const read = reader(verifier);
    for (let i = 0; i < 2; i++) expect(await failure(() => read(headers(token(9)), claims()))).toBeInstanceOf(TokenVerificationError);
    expect(verifier.calls).toHaveLength(2);
  });

  it('refuses a principal that differs from the claims, on a miss and on a hit, never naming it', async () => {
    const read = reader(standIn({ [token(1)]: payload() }));
    const miss = await failure(() => read(headers(token(1)), claims('mallory')));
    expect(miss).toBeInstanceOf(TokenVerificationError);
    expect(miss.message).toBe("the bearer token's sub differs from the authorizer's claims");
    const hit = await failure(() => read(headers(token(1)), claims('mallory')));
    expect(hit.message).toBe(miss.message);
    expect(`${miss.message}${hit.message}`).not.toMatch(/alice|mallory/);
    expect(read(headers(token(1)), claims('alice'))).toEqual({ eligible: ['team-a'], ineligible: 0 });
  });

  it('refuses a payload principal that is not a string, even when the flattened claim looks equal', async () => {
    const read = reader(standIn({ [token(1)]: payload({ sub: 5 }), [token(2)]: payload({ sub: undefined }) }));
    expect(await failure(() => read(headers(token(1)), claims('5')))).toBeInstanceOf(TokenVerificationError);
    // Neither has a principal: undefined equals undefined, yet no principal is no match.
    expect(await failure(() => read(headers(token(2)), { iss: ISSUER }))).toBeInstanceOf(TokenVerificationError);
    expect(await failure(() => read(headers(token(2)), { iss: ISSUER }))).toBeInstanceOf(TokenVerificationError);
  });

  it("refuses when the payload's or the claims' iss is not the issuer", async () => {
    const read = reader(standIn({ [token(1)]: payload({ iss: 'https://evil.example.com/' }), [token(2)]: payload() }));
    expect((await failure(() => read(headers(token(1)), claims()))).message).toMatch(/iss differs/);
    expect((await failure(() => read(headers(token(2)), claims('alice', 'https://evil.example.com/')))).message).toMatch(/iss differs/);
    expect((await failure(() => read(headers(token(2)), claims('alice', 'https://evil.example.com/')))).message).toMatch(/iss differs/);
  });

  it('refuses before any verification when the header holds no single token', async () => {
    const verifier = standIn({ [token(1)]: payload() });
    const read = reader(verifier);
    expect(await failure(() => read({ authorization: `Bearer ${token(1)},Bearer ${token(2)}` }, claims()))).toBeInstanceOf(TokenVerificationError);
    expect(await failure(() => read(undefined, claims()))).toBeInstanceOf(TokenVerificationError);
    expect(verifier.calls).toEqual([]);
  });

  it('raises too_many_groups anew on every request for the token', async () => {
    const read = reader(standIn({ [token(1)]: payload({ groups: ['a', 'b', 'c'] }) }), { max: 2 });
    const first = await failure(() => read(headers(token(1)), claims()));
    const second = await failure(() => read(headers(token(1)), claims()));
    for (const error of [first, second]) {
      expect(error).toBeInstanceOf(TooManyGroupsError);
      expect(error).toMatchObject({ max: 2, message: 'the caller has 3 eligible groups, more than MAX_GROUPS (2)' });
    }
    expect(second).not.toBe(first);
    // And a principal mismatch still wins over the group count.
    expect(await failure(() => read(headers(token(1)), claims('mallory')))).toBeInstanceOf(TokenVerificationError);
  });

  it("gives Entra's overage form no groups and flags it", async () => {
    // As JSON.parse makes them: no groups member at all.
    const { groups: _none, ...withoutGroups } = payload();
    const read = reader(standIn({ [token(1)]: { ...withoutGroups, _claim_names: { groups: 'src1' } }, [token(2)]: withoutGroups }));
    expect(await read(headers(token(1)), claims())).toEqual({ eligible: [], ineligible: 0, overage: true });
    expect(await read(headers(token(2)), claims())).toEqual({ eligible: [], ineligible: 0 });
  });

  it('reads the groups through a JSON pointer', async () => {
    const read = reader(standIn({ [token(1)]: payload({ realm_access: { roles: ['r1', 'r 2'] } }) }), { groupsClaim: parseGroupsClaim('/realm_access/roles') as GroupsClaim });
    expect(await read(headers(token(1)), claims())).toEqual({ eligible: ['r1'], ineligible: 1 });
  });
});
