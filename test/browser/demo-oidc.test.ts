/**
 * The demo page in Chromium (see launch-chromium.ts) against a local stack in OIDC mode
 * (`identity: 'oidc'`, the demo grants): an Auth0-style user signs in at the local issuer (password
 * grant), sees the raw `auth0|…` sub beside the principal ID derived from it, connects as
 * `<principal>-<suffix>`, and round-trips a message through `users/<principal>/…`; a second user is
 * refused the first one's topic, and two members of team-a chat in their room.
 *
 * Needs the Lambda's issuer mode (principal IDs, `principalId` in the vend answer).
 */
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { principalIdFor } from '../../lambda/vending/principal-id.js';
import { DEMO_GRANTS } from '../../local/demo-grants.js';
import { useStackAndChromium } from './browser-fixture.js';
import { connect, logTexts, PHONE, publishTo, received, signIn, subscribeTyped, type DemoUser } from './demo-driver.js';

const { running, track } = useStackAndChromium(() => ({
  identity: 'oidc',
  publishTopicTemplates: DEMO_GRANTS.publish,
  subscribeTopicTemplates: DEMO_GRANTS.subscribe,
}));

/** A signed-in OIDC user's page, with the principal ID the page showed. */
interface OidcDemoUser extends DemoUser {
  readonly principal: string;
}

async function text(page: Page, testId: string): Promise<string> {
  return (await page.getByTestId(testId).textContent()) ?? '';
}

/** Signs `username` in at the local OIDC issuer through the page, checks the identity it shows. */
async function signInOidc(username: string, viewport?: { width: number; height: number }): Promise<OidcDemoUser> {
  const { stack, browser } = running();
  const user = await signIn(browser, stack.url, username, viewport);
  track(user.context);
  const issuer = stack.oidc?.issuer ?? '';
  expect(user.sub).toMatch(/^auth0\|[0-9a-f]{24}$/);
  expect(user.sub).toBe(stack.oidc?.subjectOf(username));
  expect(await text(user.page, 'raw-sub')).toBe(user.sub);
  const principal = await text(user.page, 'principal-id');
  expect(principal).toBe(principalIdFor(issuer, user.sub));
  expect(await user.page.getByTestId('principal-source').getAttribute('data-source')).toBe('computed');
  return { ...user, principal };
}

describe('demo page in Chromium on the local OIDC issuer', () => {
  let alice: OidcDemoUser | undefined;

  async function connectedAlice(): Promise<OidcDemoUser> {
    if (alice === undefined) {
      alice = await signInOidc('alice');
      await connect(alice.page);
    }
    return alice;
  }

  it('says how it signs in: the local issuer, with the password grant', async () => {
    const { page } = await connectedAlice();
    expect(await text(page, 'mode-banner')).toContain(`OIDC issuer ${running().stack.oidc?.issuer ?? ''}`);
    expect(await page.locator('#oidc-hint').textContent()).toMatch(/password grant.*Authorization Code \+ PKCE/);
    expect(await page.getByTestId('identity-details').isVisible()).toBe(true);
  });

  it('signs an Auth0-style user in, shows the raw sub and the principal ID, connects as <principal>-<suffix> and round-trips a message', async () => {
    const { page, principal } = await connectedAlice();
    expect(await text(page, 'client-id')).toMatch(new RegExp(`^${principal}-[A-Za-z0-9_-]{12}$`));
    // The API confirmed the principal the page computed.
    expect(await page.getByTestId('principal-source').getAttribute('data-source')).toBe('api');
    expect(await text(page, 'principal-id')).toBe(principal);
    expect(await text(page, 'publish-topics')).toBe(`users/${principal}/*, rooms/team-a/*, lobby/*`);
    // The page suggests the principal's topics, never the raw sub's.
    expect(await page.getByLabel('Topic filter').inputValue()).toBe(`users/${principal}/#`);
    expect(await subscribeTyped(page, `users/${principal}/#`)).toBe(`Subscribed to users/${principal}/#`);
    await publishTo(page, `users/${principal}/chat`, 'hello from auth0 alice');
    expect(await received(page, 'hello from auth0 alice')).toBe(`users/${principal}/chat`);
    const grants = await page.getByTestId('grant').evaluateAll((items) => items.map((item) => `${(item as HTMLElement).dataset['kind'] ?? ''} ${item.querySelector('code')?.textContent ?? ''}`));
    expect(grants).toEqual([`private users/${principal}/*`, 'group rooms/team-a/*', 'shared lobby/*', 'read-only telemetry/*']);
    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/demo-oidc.png', fullPage: true });
  });

  it("refuses a second user the first one's topic, on a phone", async () => {
    const first = await connectedAlice();
    const carol = await signInOidc('carol', PHONE);
    await connect(carol.page);
    expect(carol.principal).not.toBe(first.principal);
    expect(await carol.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)).toBe(false);
    expect(await subscribeTyped(carol.page, `users/${first.principal}/#`)).toMatch(new RegExp(`^Subscription to users/${first.principal}/# refused`));
    expect(await subscribeTyped(carol.page, `users/${carol.principal}/#`)).toBe(`Subscribed to users/${carol.principal}/#`);
    await publishTo(first.page, `users/${first.principal}/chat`, 'for alice only');
    await received(first.page, 'for alice only');
    await publishTo(carol.page, `users/${carol.principal}/chat`, 'carol only');
    await received(carol.page, 'carol only');
    expect(await logTexts(carol.page, 'received')).toEqual(['carol only']);
  });

  it('lets two members of team-a (from the namespaced groups claim) chat in their room', async () => {
    const first = await connectedAlice();
    const bob = await signInOidc('bob');
    await connect(bob.page);
    expect(await subscribeTyped(first.page, 'rooms/team-a/#')).toBe('Subscribed to rooms/team-a/#');
    expect(await subscribeTyped(bob.page, 'rooms/team-a/#')).toBe('Subscribed to rooms/team-a/#');
    await publishTo(bob.page, 'rooms/team-a/chat', 'team-a, bob here');
    expect(await received(first.page, 'team-a, bob here')).toBe('rooms/team-a/chat');
  });
});
