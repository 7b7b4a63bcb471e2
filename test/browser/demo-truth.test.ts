/**
 * The demo page tells the user what really happened, at phone (390 px) and desktop (1280 px)
 * widths, against a local stack with the demo grants started here:
 * - a refused publish names the topic and the reason and says the server closed the connection;
 * - a refused subscribe names the filter and says "not allowed by your grants" (SUBACK 0x80), or
 *   names the broken limit when the server closed the connection instead;
 * - the log stays readable on a phone (no message cell narrower than 12 characters);
 * - sign-out clears every per-user field, status and counter;
 * - a reconnect says which URL it used (the one held ready, or one vended after the drop);
 * - when the stack stops, a clear error shows within seconds, and the page reconnects by itself
 *   once the stack is back (a new vend, with a refreshed token).
 * Screenshots go to test-results/.
 */
import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subForUsername } from '../../local/cognito.js';
import { DEMO_GRANTS } from '../../local/demo-grants.js';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/dev-server.js';
import {
  connect,
  connected,
  DESKTOP,
  logTexts,
  messageCellWidthsInCharacters,
  overflowsHorizontally,
  PHONE,
  publishStatus,
  publishTo,
  received,
  signIn,
  subscribeTyped,
  type DemoUser,
} from './demo-driver.js';
import { launchChromium } from './launch-chromium.js';

const STACK: LocalStackOptions = { port: 0, quiet: true, publishTopicTemplates: DEMO_GRANTS.publish, subscribeTopicTemplates: DEMO_GRANTS.subscribe };

let stack: LocalStack | undefined;
let browser: Browser | undefined;
let missingBrowser: Error | undefined;
const users: DemoUser[] = [];

function running(): { stack: LocalStack; browser: Browser } {
  if (missingBrowser !== undefined) throw missingBrowser;
  if (stack === undefined || browser === undefined) throw new Error('beforeAll did not start the local stack and Chromium');
  return { stack, browser };
}

async function signedIn(username: string, viewport: { width: number; height: number }): Promise<DemoUser> {
  const { stack: local, browser: chromium } = running();
  const user = await signIn(chromium, local.url, username, viewport);
  users.push(user);
  return user;
}

function connectionStatus(page: Page): Promise<string> {
  return page.getByTestId('connection-status').textContent().then((text) => text ?? '');
}

beforeAll(async () => {
  try {
    ({ browser } = await launchChromium());
  } catch (error) {
    // Recorded, not thrown: a failing beforeAll marks the tests "skipped"; each must FAIL instead.
    missingBrowser = new Error(`Chromium did not start (see test/browser/launch-chromium.ts for how it is found): ${String(error)}`, { cause: error });
    return;
  }
  stack = await startLocalStack(STACK);
});

afterAll(async () => {
  for (const user of users) await user.context.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

describe('the demo page tells the truth about refusals', () => {
  // The two widths run side by side (each waits for three reconnects of a second each).
  it.concurrent.for([
    ['390', PHONE, 'bob'],
    ['1280', DESKTOP, 'erin'],
  ] as const)('at %s px, says which publish and which subscribe were refused, why, and what the server did; the log stays readable', async ([width, viewport, username], { expect }) => {
    const user = await signedIn(username, viewport);
    const { page } = user;
    await connect(page);
    const alice = subForUsername('alice');

    expect(await subscribeTyped(page, `users/${user.sub}/#`)).toBe(`Subscribed to users/${user.sub}/#`);
    await publishTo(page, `users/${user.sub}/chat`, 'hi from a phone');
    await received(page, 'hi from a phone');

    // The policy refuses a subscription with SUBACK 0x80: the connection stays up.
    expect(await subscribeTyped(page, `users/${alice}/#`)).toBe(`Subscription to users/${alice}/# refused: not allowed by your grants (SUBACK 0x80).`);
    expect(await page.getByTestId('connection-state').getAttribute('data-state')).toBe('connected');

    // The policy refuses a publish by closing the connection.
    await publishTo(page, `users/${alice}/chat`, "into alice's topic");
    const refusedPublish = `Publish to users/${alice}/chat refused: the topic is not allowed by your grants. The server closed the connection; reconnecting.`;
    await publishStatus(page, refusedPublish);
    expect(await logTexts(page, 'error')).toContain(refusedPublish);
    await connected(page);
    expect(await connectionStatus(page)).toMatch(new RegExp(`^Reconnected as ${user.sub}-[A-Za-z0-9_-]{12} after [\\d.]+ m?s with the URL vended when you connected, still usable: no new vend \\(vended at .+; valid until .+\\)$`));

    // A message-broker limit closes the connection on a SUBSCRIBE, and the page names it; mqtt.js is
    // kept from sending it again on the reconnect (the connection then stays up).
    const deep = 'lobby/1/2/3/4/5/6/7/8';
    expect(await subscribeTyped(page, deep)).toBe(`Subscription to ${deep} refused: the filter has 8 slashes (at most 7), beyond AWS IoT's limits. The server closed the connection; reconnecting.`);
    await connected(page);

    // And on a PUBLISH: 200 KB.
    await publishTo(page, 'lobby/big', 'x'.repeat(200 * 1024));
    await publishStatus(page, "Publish to lobby/big refused: the payload is 204800 bytes (at most 131072, 128 KB), beyond AWS IoT's limits. The server closed the connection; reconnecting.");
    await connected(page);
    expect(await page.getByTestId('connection-state').getAttribute('data-state')).toBe('connected');
    // Each refusal is explained once, not also as an unexplained "connection lost".
    expect(await logTexts(page, 'info')).not.toContain('Connection lost; reconnecting');
    // The 200 KB message is logged as sent, cut to a readable length.
    expect((await logTexts(page, 'sent')).at(-1)).toBe(`${'x'.repeat(500)}… (204800 characters in all)`);

    // Readable on a phone: no message cell narrower than 12 characters, nothing wider than the screen.
    const widths = await messageCellWidthsInCharacters(page);
    expect(widths.length).toBeGreaterThan(5);
    expect(Math.min(...widths)).toBeGreaterThanOrEqual(12);
    expect(await overflowsHorizontally(page)).toBe(false);
    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: `test-results/demo-refusals-${width}.png`, fullPage: true });
  });

});

describe('the demo page tells the truth about sessions and outages', () => {
  it('sign-out clears every per-user field, status, counter and message', async () => {
    const carol = await signedIn('carol', PHONE);
    const { page } = carol;
    await connect(page);
    expect(await subscribeTyped(page, `users/${carol.sub}/#`)).toBe(`Subscribed to users/${carol.sub}/#`);
    await publishTo(page, `users/${carol.sub}/chat`, 'private note');
    await received(page, 'private note');
    await page.getByRole('button', { name: 'Subscribe to telemetry/#' }).click();
    expect(await page.getByTestId('vend-count').textContent()).toBe('1');

    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.locator('[data-testid="connection-state"][data-state="disconnected"]').waitFor();
    // The subscriptions ended with the (clean) session: the page no longer claims them.
    expect(await page.getByTestId('subscribe-status').textContent()).toBe('');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('[data-testid="connection-state"][data-state="signed-out"]').waitFor();

    const state = await page.evaluate(() => {
      const value = (id: string): string => (document.getElementById(id) as HTMLInputElement).value;
      const text = (id: string): string => document.getElementById(id)?.textContent ?? '';
      return {
        fields: ['username', 'password', 'subscribe-topic', 'publish-topic', 'publish-message'].map(value),
        retain: (document.getElementById('publish-retain') as HTMLInputElement).checked,
        statuses: ['subscribe-status', 'publish-status', 'connection-status'].map(text),
        details: ['client-id', 'publish-topics', 'subscribe-topics', 'endpoint', 'current-url'].map(text),
        vendCount: text('vend-count'),
        logEntries: document.querySelectorAll('#message-log li').length,
        feedEntries: document.querySelectorAll('#feed li').length,
        grants: text('grant-list'),
        auth: text('auth-status'),
      };
    });
    expect(state).toEqual({
      fields: ['', '', '', '', ''],
      retain: false,
      statuses: ['', '', ''],
      details: ['–', '–', '–', '–', '–'],
      vendCount: '0',
      logEntries: 0,
      feedEntries: 0,
      grants: 'Connect to see what your URL grants.',
      auth: 'Signed out',
    });
    await page.screenshot({ path: 'test-results/demo-signed-out-390.png', fullPage: true });
  });

  it('after the stack stops, shows a clear error within seconds, and reconnects with a newly vended URL when it is back', async () => {
    const dave = await signedIn('dave', DESKTOP);
    const { page } = dave;
    await connect(page);
    const { stack: local } = running();
    const port = local.port;

    const stoppedAt = Date.now();
    await local.stop();
    stack = undefined;
    await page.locator('[data-testid="connection-state"][data-state="error"]').waitFor({ timeout: 10_000 });
    expect(Date.now() - stoppedAt).toBeLessThan(8_000);
    expect(await connectionStatus(page)).toMatch(
      new RegExp(`^No connection since .+: 127\\.0\\.0\\.1:${port} cannot be reached or refuses the connection\\. Is the local stack \\(npm run dev\\) still running\\? Still retrying, less often as the outage goes on\\.$`),
    );

    // The stack comes back on the same port, with new keys and no memory of the old session.
    stack = await startLocalStack({ ...STACK, port });
    await connected(page);
    expect(await connectionStatus(page)).toMatch(/^Reconnected as .+ after [\d.]+ m?s with a newly vended URL, as the one held was no longer usable \(vended at .+ in \d+ ms; valid until .+\)$/);
    expect(Number(await page.getByTestId('vend-count').textContent())).toBeGreaterThanOrEqual(2);
    // It works again: a message goes round.
    expect(await subscribeTyped(page, `users/${dave.sub}/#`)).toBe(`Subscribed to users/${dave.sub}/#`);
    await publishTo(page, `users/${dave.sub}/chat`, 'back again');
    await received(page, 'back again');
  }, 45_000);
});
