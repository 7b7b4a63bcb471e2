/**
 * Issuer mode end to end on the local OIDC issuer, over real sockets: the local stack started with
 * `identity: 'oidc'` and the demo grants (`local/demo-grants.ts`); Auth0-style users (alice and bob
 * in team-a, carol in team-b) sign in with the password grant at `/oidc/token`, vend through the JWT
 * authorizer emulation and the real Lambda in issuer mode, and talk MQTT through the local IoT
 * gateway with mqtt.js.
 *
 * Needs the Lambda's issuer mode (`IDENTITY_MODE=oidc`: principal IDs, groups from the namespaced
 * claim of a token it verifies itself against `JWKS_URI`).
 */
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { principalIdFor } from '../../lambda/vending/principal-id.js';
import { DEMO_GRANTS } from '../../local/demo-grants.js';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/dev-server.js';
import { LOCAL_OIDC_AUDIENCE, LOCAL_OIDC_GROUPS_CLAIM } from '../../local/oidc-issuer.js';
import { closed, connectRecording, end, messagesOn, nextMessage, subscribeGranted, type RecordingClient } from './mqtt-helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Time these tests let pass on the stack's clock: AWS IoT accepts one CONNECT per second per client
 * ID, so every connection moves the clock a second on.
 */
let elapsedMs = 0;

const DEMO: LocalStackOptions = {
  port: 0,
  identity: 'oidc',
  publishTopicTemplates: DEMO_GRANTS.publish,
  subscribeTopicTemplates: DEMO_GRANTS.subscribe,
  now: () => new Date(Date.now() + elapsedMs),
  userRatePerSecond: 0,
};

/** An Auth0-style user signed in at the local issuer. */
interface OidcUser {
  readonly name: string;
  readonly accessToken: string;
  readonly idToken: string;
  readonly sub: string;
  /** `principalIdFor(issuer, sub)`: what the client ID and `${sub}` topics use. */
  readonly principal: string;
}

/** The vend answer of issuer mode. */
interface Vended {
  readonly url: string;
  readonly clientId: string;
  readonly principalId: string;
  readonly topics: { readonly publish: string[]; readonly subscribe: string[] };
}

const clients: RecordingClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((recording) => end(recording.client)));
});

async function signIn(stack: LocalStack, name: string, scope?: string): Promise<OidcUser> {
  const response = await fetch(`${stack.url}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: name, password: 'local-dev', client_id: 'local', ...(scope === undefined ? {} : { scope }) }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  const { access_token: accessToken, id_token: idToken } = (await response.json()) as { access_token: string; id_token: string };
  const sub = decodeJwt(accessToken).sub ?? '';
  return { name, accessToken, idToken, sub, principal: principalIdFor(stack.oidc?.issuer ?? '', sub) };
}

async function vendResponse(stack: LocalStack, token: string, query = ''): Promise<Response> {
  return fetch(`${stack.url}/mqtt-url${query}`, { headers: { authorization: `Bearer ${token}` } });
}

async function vend(stack: LocalStack, user: OidcUser, query = ''): Promise<Vended> {
  const response = await vendResponse(stack, user.accessToken, query);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Vended;
}

describe('issuer mode on the local OIDC issuer', () => {
  let stack: LocalStack;
  const logLines: string[] = [];
  let alice: OidcUser;
  let bob: OidcUser;
  let carol: OidcUser;

  async function connect(user: OidcUser, suffix = 'e2e'): Promise<RecordingClient> {
    elapsedMs += 1_001;
    const vended = await vend(stack, user, `?clientSuffix=${suffix}`);
    const recording = await connectRecording(vended.url, vended.clientId);
    clients.push(recording);
    return recording;
  }

  beforeAll(async () => {
    stack = await startLocalStack({ ...DEMO, log: (line) => logLines.push(line) });
    [alice, bob, carol] = await Promise.all([signIn(stack, 'alice'), signIn(stack, 'bob'), signIn(stack, 'carol')]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('serves an Auth0-shaped issuer and runs the Lambda in issuer mode against its loopback JWKS', async () => {
    expect(stack.identity).toBe('oidc');
    expect(stack.userPool).toBeUndefined();
    expect(stack.oidc?.issuer).toBe(`${stack.url}/oidc/`);
    expect(stack.oidc?.audience).toBe(LOCAL_OIDC_AUDIENCE);
    const discovery = (await (await fetch(`${stack.url}/oidc/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({ issuer: `${stack.url}/oidc/`, jwks_uri: `${stack.url}/oidc/jwks.json` });
    expect(process.env).toMatchObject({
      IDENTITY_MODE: 'oidc',
      ISSUER_URL: `${stack.url}/oidc/`,
      AUDIENCES: JSON.stringify([LOCAL_OIDC_AUDIENCE]),
      GROUPS_CLAIM: LOCAL_OIDC_GROUPS_CLAIM,
      JWKS_URI: `${stack.url}/oidc/jwks.json`,
    });
    expect(alice.sub).toMatch(/^auth0\|[0-9a-f]{24}$/);
    expect((await fetch(`${stack.url}/cognito`, { method: 'POST' })).status).toBe(404);
  });

  it('vends a UUID client ID <principal>-<suffix> and users/<principal>/* from the Auth0 sub, and rooms from the namespaced claim', async () => {
    const vended = await vend(stack, alice, '?clientSuffix=tab1');
    expect(alice.principal).toMatch(UUID);
    expect(vended.principalId).toBe(alice.principal);
    expect(vended.clientId).toBe(`${alice.principal}-tab1`);
    expect(vended.topics).toEqual({
      publish: [`users/${alice.principal}/*`, 'rooms/team-a/*', 'lobby/*'],
      subscribe: [`users/${alice.principal}/*`, 'rooms/team-a/*', 'lobby/*', 'telemetry/*'],
    });
    expect((await vend(stack, carol)).topics.publish).toEqual([`users/${carol.principal}/*`, 'rooms/team-b/*', 'lobby/*']);
  });

  it('keeps two Auth0-style users apart: cross subscribe is SUBACK 0x80, cross publish closes the connection', async () => {
    const a = await connect(alice);
    expect(await subscribeGranted(a.client, [`users/${alice.principal}/#`])).toEqual([0]);
    const c = await connect(carol);
    expect(await subscribeGranted(c.client, [`users/${alice.principal}/#`, `users/${alice.principal}/inbox`, 'users/+/inbox', 'users/#'])).toEqual([128, 128, 128, 128]);
    // The raw sub is no topic of anybody's either.
    expect(await subscribeGranted(c.client, [`users/${alice.sub}/#`])).toEqual([128]);
    c.client.publish(`users/${alice.principal}/inbox`, 'carol sneaking in');
    await closed(c.client);
    await a.client.publishAsync(`users/${alice.principal}/inbox`, 'alice to herself');
    expect(await nextMessage(a, `users/${alice.principal}/inbox`)).toBe('alice to herself');
    expect(a.messages.map((message) => message.payload)).toEqual(['alice to herself']);
    expect(logLines).toContain(`MQTT PUBLISH client=${JSON.stringify(`${carol.principal}-e2e`)} topic=${JSON.stringify(`users/${alice.principal}/inbox`)} refused (implicit-deny): disconnecting`);
  });

  it('refuses a CONNECT as the other user\'s client ID', async () => {
    elapsedMs += 1_001;
    const vended = await vend(stack, carol);
    await expect(connectRecording(vended.url, `${alice.principal}-e2e`)).rejects.toThrow();
  });

  it('lets alice and bob (team-a in the namespaced claim) chat in the ${group} room, and refuses carol', async () => {
    const a = await connect(alice);
    const b = await connect(bob);
    expect(await subscribeGranted(a.client, ['rooms/team-a/#'])).toEqual([0]);
    expect(await subscribeGranted(b.client, ['rooms/team-a/#'])).toEqual([0]);
    await a.client.publishAsync('rooms/team-a/chat', 'hi bob, alice here');
    expect(await nextMessage(b, 'rooms/team-a/chat')).toBe('hi bob, alice here');
    await b.client.publishAsync('rooms/team-a/chat', 'hi alice');
    expect(await messagesOn(a, 'rooms/team-a/chat', 2)).toEqual(['hi bob, alice here', 'hi alice']);
    const c = await connect(carol);
    expect(await subscribeGranted(c.client, ['rooms/team-a/#'])).toEqual([128]);
    expect(await subscribeGranted(c.client, ['rooms/team-b/#'])).toEqual([0]);
  });

  it('answers 401 to ES256 and HS256 tokens, to an ID token (aud is the app) and to a token of another issuer, before the Lambda', async () => {
    const oidc = stack.oidc;
    if (oidc === undefined) throw new Error('no OIDC issuer');
    const vendedBefore = stack.vends.vended;
    const cases: [string, string][] = [
      ['ES256 (its key in the JWKS)', await oidc.mint({ username: 'alice', alg: 'ES256' })],
      ['HS256 (keyed with the public key)', await oidc.mint({ username: 'alice', alg: 'HS256' })],
      ['the ID token', alice.idToken],
      ['an issuer without the trailing slash', await oidc.mint({ username: 'alice', claims: { iss: oidc.issuer.slice(0, -1) } })],
    ];
    for (const [name, token] of cases) {
      const response = await vendResponse(stack, token);
      expect(response.status, name).toBe(401);
      expect(await response.json(), name).toEqual({ message: 'Unauthorized' });
    }
    expect(stack.vends.vended).toBe(vendedBefore);
  });

  it("keeps the raw sub out of every STS parameter and the Lambda's log lines", async () => {
    await vend(stack, bob);
    const sts = JSON.stringify(stack.sts.calls);
    // The Lambda's JSON lines only: the gateway quotes what clients send, and a test above
    // subscribes to a topic made of a raw sub on purpose.
    const lambdaLines = logLines.filter((line) => line.startsWith('{')).join('\n');
    expect(lambdaLines).toContain('"message":"mqtt-url"');
    for (const user of [alice, bob, carol]) {
      const hex = user.sub.slice('auth0|'.length);
      expect(sts).not.toContain(hex);
      expect(lambdaLines).not.toContain(hex);
    }
    expect(stack.sts.calls.length).toBeGreaterThan(0);
    expect(stack.sts.calls.every((call) => !call.roleSessionName.includes('|'))).toBe(true);
  });
});

describe('route scopes (requiredScopes) on the local OIDC issuer', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ ...DEMO, quiet: true, requiredScopes: ['mqtt:connect'] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers 403 to a token without any of the route\'s scopes, and vends with one', async () => {
    const without = await signIn(stack, 'alice');
    const response = await vendResponse(stack, without.accessToken);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Forbidden' });
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    const withScope = await signIn(stack, 'alice', 'openid mqtt:connect');
    expect((await vend(stack, withScope)).principalId).toBe(withScope.principal);
    // The page asks for the route's scopes at sign-in.
    const config = (await (await fetch(`${stack.url}/config.json`)).json()) as { oidc: { scope: string } };
    expect(config.oidc.scope.split(' ')).toContain('mqtt:connect');
  });
});
