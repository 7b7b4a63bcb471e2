/**
 * Drives the demo page in a browser context the way a user does (sign in, connect, subscribe,
 * publish) and reads what it shows. Each context can reach nothing but 127.0.0.1.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 960 } as const;

/** A signed-in page. */
export interface DemoUser {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly sub: string;
}

/** A fresh context (own storage, own cookies) of `viewport` that can reach nothing but 127.0.0.1. */
export async function newLoopbackContext(browser: Browser, viewport: { width: number; height: number } = DESKTOP): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(15_000);
  // Tests never reach AWS or any other host, whatever the page tries.
  await context.route((target) => target.hostname !== '127.0.0.1', (route) => route.abort('blockedbyclient'));
  return context;
}

/** Opens the page at `url` in a new context of `viewport`, and signs `username` in. */
export async function signIn(browser: Browser, url: string, username: string, viewport: { width: number; height: number } = DESKTOP): Promise<DemoUser> {
  const context = await newLoopbackContext(browser, viewport);
  const page = await context.newPage();
  await page.goto(url);
  await page.getByTestId('mode-banner').filter({ hasText: 'Local stack' }).waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill('local-dev');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const status = page.getByTestId('auth-status').filter({ hasText: `Signed in as ${username}` });
  await status.waitFor();
  const sub = /\(sub ([^)]+)\)/.exec((await status.textContent()) ?? '')?.[1];
  if (sub === undefined) throw new Error(`no sub shown for ${username}`);
  return { context, page, sub };
}

/** Presses Connect and waits until connected. */
export async function connect(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await connected(page);
}

export function connected(page: Page): Promise<void> {
  return page.locator('[data-testid="connection-state"][data-state="connected"]').waitFor();
}

/** Subscribes through the filter field and returns the status line once it is final. */
export async function subscribeTyped(page: Page, filter: string): Promise<string> {
  await page.getByLabel('Topic filter').fill(filter);
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  const status = page.getByTestId('subscribe-status').filter({ hasText: /^(Subscribed to|Subscription to .* refused)/ });
  await status.waitFor();
  return (await status.textContent()) ?? '';
}

export async function publishTo(page: Page, topic: string, message: string): Promise<void> {
  await page.getByLabel('Topic', { exact: true }).fill(topic);
  await page.getByLabel('Message', { exact: true }).fill(message);
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
}

/** Waits for the publish status to read exactly `text`. */
export async function publishStatus(page: Page, text: string): Promise<void> {
  await page.getByTestId('publish-status').filter({ hasText: text }).waitFor();
}

/** The texts of the log's entries of one kind. */
export function logTexts(page: Page, kind: 'received' | 'sent' | 'info' | 'error'): Promise<string[]> {
  return page.locator(`[data-testid="log-entry"][data-kind="${kind}"] .text`).allTextContents();
}

/** Waits for a received message with this text and returns its topic. */
export async function received(page: Page, text: string): Promise<string> {
  const entry = page.locator('[data-testid="log-entry"][data-kind="received"]').filter({ hasText: text });
  await entry.waitFor();
  return (await entry.locator('.topic').textContent()) ?? '';
}

/**
 * For each log entry's message cell: its width divided by the width of one character ("0") in its
 * own font, i.e. how many characters fit on one of its lines.
 */
export function messageCellWidthsInCharacters(page: Page): Promise<number[]> {
  return page.locator('#message-log .text').evaluateAll((cells) =>
    cells.map((cell) => {
      const probe = document.createElement('span');
      probe.textContent = '0'.repeat(100);
      probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap';
      cell.append(probe);
      const characterWidth = probe.getBoundingClientRect().width / 100;
      probe.remove();
      return cell.getBoundingClientRect().width / characterWidth;
    }),
  );
}

/** Whether the page is wider than its viewport (a phone would scroll sideways). */
export function overflowsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}
