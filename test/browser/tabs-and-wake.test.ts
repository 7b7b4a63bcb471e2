/**
 * Real tabs in Chromium against the local stack, on the demo page with its defaults (no client ID
 * suffix typed, Resume ticked): two tabs of one user stay connected side by side with distinct
 * client IDs; a reload keeps its tab's ID; a copy of a tab (`window.open`, which copies
 * `sessionStorage`) gets another; a page that went offline while the server dropped its connection
 * reconnects within 3 s of coming back online; a resumed tab receives what was published while the
 * server had dropped it.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { connectRecording, end } from '../local/mqtt-helpers.js';
import { signIn as signInNode, vend } from '../local/stack-users.js';
import { useStackAndChromium } from './browser-fixture.js';
import { connect, connected, logTexts, newLoopbackContext, received, subscribeTyped } from './demo-driver.js';

const { running, track } = useStackAndChromium();

/** Signs `username` in on `page` (already at the demo) and returns the sub the page shows. */
async function signInOn(page: Page, username: string): Promise<string> {
  await page.getByTestId('mode-banner').filter({ hasText: 'Local stack' }).waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('local-dev');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const status = page.getByTestId('auth-status').filter({ hasText: `Signed in as ${username}` });
  await status.waitFor();
  return /\(sub ([^)]+)\)/.exec((await status.textContent()) ?? '')?.[1] ?? '';
}

/** Opens the demo in a new tab of `context`, signs in and connects; returns the tab and its client ID. */
async function openConnectedTab(context: BrowserContext, username: string): Promise<{ page: Page; sub: string; clientId: string }> {
  const page = await context.newPage();
  await page.goto(running().stack.url);
  const sub = await signInOn(page, username);
  await connect(page);
  return { page, sub, clientId: await clientIdOf(page) };
}

async function clientIdOf(page: Page): Promise<string> {
  return (await page.getByTestId('client-id').textContent()) ?? '';
}

async function sharedContext(): Promise<BrowserContext> {
  return track(await newLoopbackContext(running().browser));
}

// Side by side (the first mostly waits); each in a browser context of its own.
describe.concurrent('tabs of one user', () => {
  it('two tabs stay connected for 30 s with distinct client IDs of the tab\'s own', async () => {
    const context = await sharedContext();
    const first = await openConnectedTab(context, 'erin');
    const second = await openConnectedTab(context, 'erin');
    expect(first.clientId).toMatch(new RegExp(`^${first.sub}-[A-Za-z0-9_-]{12}$`));
    expect(second.clientId).toMatch(new RegExp(`^${first.sub}-[A-Za-z0-9_-]{12}$`));
    expect(second.clientId).not.toBe(first.clientId);
    await first.page.waitForTimeout(30_000);
    for (const tab of [first, second]) {
      await connected(tab.page);
      const info = await logTexts(tab.page, 'info');
      expect(info.filter((text) => /lost|Reconnected/.test(text)), tab.clientId).toEqual([]);
      expect(await logTexts(tab.page, 'error')).toEqual([]);
    }
    await context.close();
  }, 60_000);

  it('a reload keeps the tab\'s client ID; a copy of the tab (window.open, sessionStorage copied) gets another', async () => {
    const context = await sharedContext();
    const original = await openConnectedTab(context, 'frank');
    await original.page.reload();
    await signInOn(original.page, 'frank');
    await connect(original.page);
    expect(await clientIdOf(original.page)).toBe(original.clientId);

    const [copy] = await Promise.all([context.waitForEvent('page'), original.page.evaluate(() => void window.open(location.href))]);
    await copy.waitForLoadState();
    // The copy starts with the original's sessionStorage, suffix included.
    const copied = await copy.evaluate(() => sessionStorage.getItem('aws-signv4-mqtt:client-suffix'));
    expect(original.clientId.endsWith(`-${copied ?? ''}`)).toBe(true);
    await signInOn(copy, 'frank');
    await connect(copy);
    const copyId = await clientIdOf(copy);
    expect(copyId).not.toBe(original.clientId);
    expect(copyId.startsWith(`${original.sub}-`)).toBe(true);
    // Both stay up: nobody was knocked off.
    await copy.waitForTimeout(3_000);
    await connected(original.page);
    await connected(copy);
    expect((await logTexts(original.page, 'info')).filter((text) => /lost/.test(text))).toEqual([]);
    // And the copy keeps its own across a reload of its own.
    await copy.reload();
    await signInOn(copy, 'frank');
    await connect(copy);
    expect(await clientIdOf(copy)).toBe(copyId);
    await context.close();
  }, 60_000);
});

// After the tabs: these drop every connection of the stack.
describe('wake', () => {
  it('offline while the server drops the connection: back online, it is reconnected within 3 s', async () => {
    const { stack } = running();
    const context = await sharedContext();
    const { page } = await openConnectedTab(context, 'grace');
    await context.setOffline(true);
    // Headless Chromium keeps the socket open across setOffline: only a drop by the server closes it.
    expect(stack.dropMqttConnections()).toBe(1);
    await page.locator('[data-testid="connection-state"]:not([data-state="connected"])').waitFor();
    // Long enough for attempts and vends to fail and back off past 3 s.
    await page.waitForTimeout(12_000);
    const online = performance.now();
    await context.setOffline(false);
    await connected(page);
    const ms = Math.round(performance.now() - online);
    console.log(`[wake] Chromium: reconnected ${ms} ms after coming back online (12 s offline)`);
    expect(ms).toBeLessThan(3_000);
    await context.close();
  }, 60_000);

  it('a resumed tab receives the messages published while the server had dropped it', async () => {
    const { stack } = running();
    const context = await sharedContext();
    const { page, sub } = await openConnectedTab(context, 'heidi');
    expect(await subscribeTyped(page, `users/${sub}/#`)).toBe(`Subscribed to users/${sub}/#`);
    const heidi = await signInNode(stack.url, 'heidi');
    const vended = await vend(stack.url, heidi);
    expect(stack.dropMqttConnections()).toBe(1);
    // Published at once: the tab's first reconnect waits at least mqtt.js's 1 s.
    const publisher = await connectRecording(vended.url, vended.clientId);
    for (let n = 1; n <= 5; n++) await publisher.client.publishAsync(`users/${sub}/inbox`, `while away ${n}`, { qos: 1 });
    await end(publisher.client);
    for (let n = 1; n <= 5; n++) await received(page, `while away ${n}`);
    await connected(page);
    await context.close();
  }, 60_000);

  it('the demo\'s "Drop connection" shows the messages sent while it was down arriving after the reconnect', async () => {
    const context = await sharedContext();
    const { page, sub } = await openConnectedTab(context, 'ivan');
    expect(await subscribeTyped(page, `users/${sub}/#`)).toBe(`Subscribed to users/${sub}/#`);
    await page.getByRole('button', { name: 'Drop connection' }).click();
    for (let n = 1; n <= 3; n++) expect(await received(page, `sent while you were away (${n}/3`)).toBe(`users/${sub}/missed`);
    const info = await logTexts(page, 'info');
    expect(info.some((text) => text.startsWith('A second connection') && text.includes(`users/${sub}/missed`))).toBe(true);
    await connected(page);
    await context.close();
  }, 60_000);
});
