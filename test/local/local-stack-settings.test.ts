/**
 * A bad Lambda setting given to `startLocalStack` fails the start-up with the function's own
 * configuration error (the local stack does not re-check it), and leaves nothing behind: the
 * environment is restored and another stack can start in this process.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../lambda/vending/errors.js';
import { startLocalStack } from '../../local/dev-server.js';

describe('startLocalStack with a bad urlTtlSeconds', () => {
  it.each([
    [0, '"0"'],
    [901, '"901"'],
    [1.5, '"1.5"'],
    [-1, '"-1"'],
    [Number.NaN, '"NaN"'],
  ])('refuses %s with the Lambda’s URL_TTL_SECONDS error and leaves nothing running', async (urlTtlSeconds, received) => {
    const environmentBefore = { IOT_ENDPOINT: process.env['IOT_ENDPOINT'], AWS_ENDPOINT_URL_STS: process.env['AWS_ENDPOINT_URL_STS'] };
    const failure: unknown = await startLocalStack({ port: 0, quiet: true, urlTtlSeconds }).then(
      async (stack) => {
        await stack.stop();
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConfigurationError);
    expect(failure).toMatchObject({ variable: 'URL_TTL_SECONDS' });
    expect((failure as Error).message).toBe(`URL_TTL_SECONDS: must be a whole number of 1..900 (received ${received})`);
    // The next case starts a stack again, which it could not if this one were still marked running.
    expect({ IOT_ENDPOINT: process.env['IOT_ENDPOINT'], AWS_ENDPOINT_URL_STS: process.env['AWS_ENDPOINT_URL_STS'] }).toEqual(environmentBefore);
  });
});

describe('startLocalStack with a bad userGroups, simulatedDevice, persistentSessionExpirySeconds, identity or requiredScopes', () => {
  it.each<[string, Parameters<typeof startLocalStack>[0], string]>([
    ['a membership map whose groups are not an array', { userGroups: { alice: 'team-a' as unknown as string[] } }, 'userGroups["alice"] must be an array of group names (received "team-a")'],
    ['a device interval below 50 ms', { simulatedDevice: { intervalMs: 1 } }, 'simulatedDevice.intervalMs must be a whole number of milliseconds from 50 to 3600000 (received 1)'],
    ['a persistent session expiry of 0', { persistentSessionExpirySeconds: 0 }, 'persistentSessionExpirySeconds must be a number of seconds above 0 and at most 604800 (7 days) (received 0)'],
    ['a persistent session expiry over 7 days', { persistentSessionExpirySeconds: 604_801 }, 'persistentSessionExpirySeconds must be a number of seconds above 0 and at most 604800 (7 days) (received 604801)'],
    ['an identity other than cognito or oidc', { identity: 'okta' as 'oidc' }, 'identity must be cognito or oidc (received "okta")'],
    ['a required scope with a space', { requiredScopes: ['mqtt connect'] }, 'requiredScopes[0] must be a scope name: 1 to 255 printable ASCII characters, no space, " or \\ (received "mqtt connect")'],
    ['a membership map the OIDC issuer cannot hold', { identity: 'oidc', userGroups: { alice: 'team-a' as unknown as string[] } }, 'userGroups["alice"] must be an array of group names (received "team-a")'],
  ])('refuses %s, naming it, and leaves nothing running', async (_name, options, message) => {
    await expect(startLocalStack({ port: 0, quiet: true, ...options })).rejects.toThrow(message);
    const next = await startLocalStack({ port: 0, quiet: true });
    await next.stop();
  });
});
