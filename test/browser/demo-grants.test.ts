/**
 * The demo page's grants in Chromium (see launch-chromium.ts), against a local stack started here
 * with the demo grants (`local/demo-grants.ts`), the demo groups (alice and bob in team-a, carol in
 * team-b) and the simulated device publishing every 200 ms: the page lists the grants by kind, two
 * members chat in their group's room, a non-member is refused it, everybody receives the device's
 * telemetry and nobody can publish to it. The page is checked at phone (390 px) and desktop
 * (1280 px) widths.
 */
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_GRANTS } from '../../local/demo-grants.js';
import { connect, connected, DESKTOP, logTexts, overflowsHorizontally, PHONE, publishTo, received, signIn, subscribeTyped, type DemoUser } from './demo-driver.js';
import { useStackAndChromium } from './browser-fixture.js';

const { running, track } = useStackAndChromium(() => ({
  publishTopicTemplates: DEMO_GRANTS.publish,
  subscribeTopicTemplates: DEMO_GRANTS.subscribe,
  simulatedDevice: { intervalMs: 200 },
}));

/** Opens the page in a fresh context that can reach nothing but 127.0.0.1, signs in and connects. */
async function signInAndConnect(username: string, viewport: { width: number; height: number } = DESKTOP): Promise<DemoUser> {
  const { stack: local, browser: chromium } = running();
  const user = await signIn(chromium, local.url, username, viewport);
  track(user.context);
  await connect(user.page);
  return user;
}

/** The grants the page lists, as `kind pattern (access)`. */
async function grantList(page: Page): Promise<string[]> {
  return page.getByTestId('grant').evaluateAll((items) =>
    items.map((item) => `${(item as HTMLElement).dataset['kind'] ?? ''} ${item.querySelector('code')?.textContent ?? ''} (${item.querySelector('.access')?.textContent ?? ''})`),
  );
}

/** Subscribes with the grant's own button and returns the status line. */
async function subscribeWithButton(page: Page, filter: string): Promise<string> {
  await page.getByRole('button', { name: `Subscribe to ${filter}`, exact: true }).click();
  const status = page.getByTestId('subscribe-status').filter({ hasText: new RegExp(`^(Subscribed to|Subscription to) ${filter.replace(/[+#/]/g, '\\$&')}`) });
  await status.waitFor();
  return (await status.textContent()) ?? '';
}

describe('demo page: the four kinds of grant', () => {
  let alice: DemoUser | undefined;
  let bob: DemoUser | undefined;
  let carol: DemoUser | undefined;

  /** Alice (desktop) and Bob (phone), both in team-a, and Carol (desktop), in team-b: signed in once. */
  async function users(): Promise<{ alice: DemoUser; bob: DemoUser; carol: DemoUser }> {
    alice ??= await signInAndConnect('alice');
    bob ??= await signInAndConnect('bob', PHONE);
    carol ??= await signInAndConnect('carol');
    return { alice, bob, carol };
  }

  it('lists the grants by kind: private namespace, group room, shared lobby, read-only telemetry', async () => {
    const { alice, carol } = await users();
    expect(await grantList(alice.page)).toEqual([
      `private users/${alice.sub}/* (publish · subscribe)`,
      'group rooms/team-a/* (publish · subscribe · group team-a)',
      'shared lobby/* (publish · subscribe)',
      'read-only telemetry/* (subscribe only)',
    ]);
    expect(await grantList(carol.page)).toContain('group rooms/team-b/* (publish · subscribe · group team-b)');
    // The vended lists are still shown as they were.
    expect(await alice.page.getByTestId('publish-topics').textContent()).toBe(`users/${alice.sub}/*, rooms/team-a/*, lobby/*`);
    // A read-only feed offers no publish topic.
    expect(await alice.page.getByRole('button', { name: /^Use topic telemetry/ }).count()).toBe(0);
  });

  it('lets two members of a group chat in its room', async () => {
    const { alice, bob } = await users();
    expect(await subscribeWithButton(alice.page, 'rooms/team-a/#')).toBe('Subscribed to rooms/team-a/#');
    expect(await subscribeWithButton(bob.page, 'rooms/team-a/#')).toBe('Subscribed to rooms/team-a/#');
    await alice.page.getByRole('button', { name: 'Use topic rooms/team-a/chat for publishing' }).click();
    expect(await alice.page.getByLabel('Topic', { exact: true }).inputValue()).toBe('rooms/team-a/chat');
    await alice.page.getByLabel('Message', { exact: true }).fill('team-a, stand-up in 5');
    await alice.page.getByRole('button', { name: 'Publish', exact: true }).click();
    expect(await received(bob.page, 'team-a, stand-up in 5')).toBe('rooms/team-a/chat');
    await publishTo(bob.page, 'rooms/team-a/chat', 'on my way');
    expect(await received(alice.page, 'on my way')).toBe('rooms/team-a/chat');
  });

  it("refuses a non-member the room: SUBACK 0x80 for the subscription, a closed connection for the publish", async () => {
    const { alice, carol } = await users();
    expect(await subscribeTyped(carol.page, 'rooms/team-a/#')).toBe('Subscription to rooms/team-a/# refused: not allowed by your grants (SUBACK 0x80).');
    await publishTo(carol.page, 'rooms/team-a/chat', 'carol was here');
    await carol.page
      .getByTestId('publish-status')
      .filter({ hasText: 'Publish to rooms/team-a/chat refused: the topic is not allowed by your grants. The server closed the connection; reconnecting.' })
      .waitFor();
    // The page reconnects; the members never saw the message.
    await connected(carol.page);
    await publishTo(alice.page, 'rooms/team-a/chat', 'after carol tried');
    await received(alice.page, 'after carol tried');
    expect(await logTexts(alice.page, 'received')).not.toContain('carol was here');
  });

  it("shows every user the simulated device's telemetry", async () => {
    const { alice, bob, carol } = await users();
    for (const user of [alice, bob, carol]) {
      expect(await subscribeWithButton(user.page, 'telemetry/#')).toBe('Subscribed to telemetry/#');
    }
    for (const user of [alice, bob, carol]) {
      const entry = user.page.locator('[data-testid="feed-entry"][data-topic="telemetry/sensor-1"]');
      await entry.locator('.value').filter({ hasText: /^sensor-1: \d+(\.\d)? °C at / }).waitFor();
      // Readings update the feed in place instead of filling the chat log.
      await entry.locator('.count').filter({ hasText: /^([2-9]|\d\d+) messages$/ }).waitFor();
      expect(await logTexts(user.page, 'received')).not.toContainEqual(expect.stringContaining('"device"'));
    }
  });

  it('refuses anybody publishing to the telemetry topic, and the page says so', async () => {
    const { alice, bob } = await users();
    await publishTo(alice.page, 'telemetry/sensor-1', '{"device":"sensor-1","temperature":99.9}');
    await alice.page
      .getByTestId('publish-status')
      .filter({ hasText: 'Publish to telemetry/sensor-1 refused: the topic is not allowed by your grants. The server closed the connection; reconnecting.' })
      .waitFor();
    expect(await alice.page.locator('[data-testid="log-entry"][data-kind="error"]').filter({ hasText: 'Publish to telemetry/sensor-1 refused' }).count()).toBe(1);
    await connected(alice.page);
    // Bob keeps receiving genuine readings; the forged one never shows.
    const readings = async (): Promise<number> =>
      Number(/\d+/.exec((await bob.page.locator('[data-testid="feed-entry"][data-topic="telemetry/sensor-1"] .count').textContent()) ?? '')?.[0]);
    const before = await readings();
    await expect.poll(readings, { interval: 100, timeout: 10_000 }).toBeGreaterThanOrEqual(before + 3);
    expect(await bob.page.getByTestId('feed').textContent()).not.toContain('99.9');
  });

  it('stays readable at 390 px and 1280 px wide', async () => {
    const { alice, bob } = await users();
    expect(await overflowsHorizontally(bob.page)).toBe(false);
    expect(await overflowsHorizontally(alice.page)).toBe(false);
    // On a phone the grant kinds stack in one column; on a desktop they sit side by side.
    const tops = async (page: Page): Promise<number[]> =>
      page.locator('.grant-kind').evaluateAll((blocks) => blocks.map((block) => Math.round(block.getBoundingClientRect().top)));
    expect(new Set(await tops(bob.page)).size).toBe(4);
    expect(new Set(await tops(alice.page)).size).toBe(1);
    await mkdir('test-results', { recursive: true });
    await bob.page.screenshot({ path: 'test-results/demo-grants-390.png', fullPage: true });
    await alice.page.screenshot({ path: 'test-results/demo-grants-1280.png', fullPage: true });
  });
});
