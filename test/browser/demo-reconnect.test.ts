/**
 * Issue 13 on the demo page in Chromium, against a local stack with `URL_TTL_SECONDS=10`: the page
 * vends one URL to connect and none while connected (35 s, three and a half URL lifetimes, moved on
 * Playwright's page clock and the stack's clock rather than waited for); "Drop connection" with the
 * URL still usable reconnects without a vend; after the URL expired it reconnects with a newly
 * vended URL (the old one is refused by then), one vend more. "URLs vended" matches what the stack
 * answered. The reconnect times and the vend's round trip are printed, for docs/browser-client.md.
 */
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { handshake } from '../local/mqtt-helpers.js';
import { connect, connected, DESKTOP } from './demo-driver.js';
import { useStackAndChromium } from './browser-fixture.js';

/** The stack's clock runs this far ahead of the real one (the page's clock is moved alongside). */
let stackAheadMs = 0;

const { running, track } = useStackAndChromium(() => ({ urlTtlSeconds: 10, now: () => new Date(Date.now() + stackAheadMs) }));

async function text(page: Page, testId: string): Promise<string> {
  return (await page.getByTestId(testId).textContent()) ?? '';
}

/** Presses "Drop connection" and waits for the page to say it reconnected; returns the status and its figures. */
async function dropAndReconnect(page: Page): Promise<{ status: string; reconnectMs: number; vendMs: string }> {
  const status = page.getByTestId('connection-status');
  await page.getByRole('button', { name: 'Drop connection' }).click();
  await page.locator('[data-testid="connection-state"]:not([data-state="connected"])').waitFor();
  await connected(page);
  await status.filter({ hasText: /^Reconnected as / }).waitFor();
  return {
    status: (await status.textContent()) ?? '',
    reconnectMs: Number(await status.getAttribute('data-reconnect-ms')),
    vendMs: (await status.getAttribute('data-vend-ms')) ?? '',
  };
}

describe('the demo page vends on reconnect, not on a timer (URL_TTL_SECONDS=10)', () => {
  it('one vend in 35 s of connected time; Drop connection vends only once the URL held is no longer usable', async () => {
    const { stack: local, browser: chromium } = running();
    const context = track(await chromium.newContext({ viewport: DESKTOP }));
    context.setDefaultTimeout(15_000);
    await context.route((target) => target.hostname !== '127.0.0.1', (route) => route.abort('blockedbyclient'));
    await context.clock.install();
    // No herd jitter on the reconnects (it draws from Math.random): this test compares the reconnect
    // that reuses its URL with the one that vends, and a random 0–2 s on each would drown that.
    await context.addInitScript(() => {
      Math.random = () => 0;
    });
    const page = await context.newPage();
    const vendedUrls: string[] = [];
    const socketUrls: string[] = [];
    page.on('websocket', (socket) => socketUrls.push(socket.url()));
    page.on('response', (response) => {
      if (new URL(response.url()).pathname === '/mqtt-url' && response.status() === 200) {
        void response.json().then((body: { url: string }) => vendedUrls.push(body.url));
      }
    });
    await page.goto(local.url);
    await page.getByTestId('mode-banner').filter({ hasText: 'Local stack' }).waitFor();
    await page.getByLabel('Username').fill('dave');
    await page.getByLabel('Password').fill('local-dev');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('auth-status').filter({ hasText: 'Signed in as dave' }).waitFor();
    // Vends are counted here: without Resume, "Drop connection" sends nothing while away (a second
    // connection, and its vend).
    await page.getByLabel('Resume: receive what was sent while away').uncheck();
    const before = local.vends.vended;

    await connect(page);
    expect(await text(page, 'vend-count')).toBe('1');
    expect(await text(page, 'current-url')).toMatch(/^vended when you connected at .+ in \d+ ms; valid until .+$/);

    // A drop while the URL is usable: back on the same URL, no vend. (The stack's clock moves past
    // AWS IoT's one CONNECT per second per client ID first.)
    stackAheadMs += 1_100;
    const reused = await dropAndReconnect(page);
    expect(reused.status).toMatch(/^Reconnected as .+ after [\d.]+ (s|ms) with the URL vended when you connected, still usable: no new vend \(vended at .+; valid until .+\)$/);
    expect(reused.vendMs).toBe('');
    expect(await text(page, 'vend-count')).toBe('1');

    // 35 s of connected time for the page and the stack alike: no request.
    await page.clock.fastForward(35_000);
    stackAheadMs += 35_000;
    await page.waitForTimeout(300);
    expect(await page.getByTestId('connection-state').getAttribute('data-state')).toBe('connected');
    expect(await text(page, 'vend-count')).toBe('1');
    expect(local.vends.vended - before).toBe(1);
    expect(vendedUrls).toHaveLength(1);
    // The URL the page holds has expired: the gateway refuses it now.
    expect(await handshake(vendedUrls[0] ?? '')).toEqual({ status: 403, body: 'Forbidden: url-expired\n' });

    const renewed = await dropAndReconnect(page);
    expect(renewed.status).toMatch(/^Reconnected as .+ after [\d.]+ (s|ms) with a newly vended URL, as the one held was no longer usable \(vended at .+ in \d+ ms; valid until .+\)$/);
    expect(await text(page, 'vend-count')).toBe('2');
    expect(local.vends.vended - before).toBe(2);
    expect(vendedUrls).toHaveLength(2);
    // Compared, never printed: the URLs are bearer secrets.
    expect(vendedUrls[1] !== vendedUrls[0], 'a new URL was vended').toBe(true);
    expect(socketUrls.at(-1) === vendedUrls[1], 'the reconnect used it').toBe(true);
    expect(await text(page, 'current-url')).toMatch(/^vended for a reconnect at .+ in \d+ ms; valid until .+$/);
    // Each drop said beforehand whether the reconnect would need a vend.
    expect((await page.locator('[data-testid="log-entry"][data-kind="info"] .text').allTextContents()).filter((line) => line.startsWith('Dropped the connection'))).toEqual([
      expect.stringMatching(/^Dropped the connection \(the URL held is usable until .+: the reconnect needs no vend\)$/),
      expect.stringMatching(/^Dropped the connection \(the URL held was usable until .+: the reconnect needs a new one\)$/),
    ]);

    const vendMs = Number(renewed.vendMs);
    console.log(
      `[demo-reconnect] Chromium, local stack: reconnect with the URL held ${reused.reconnectMs} ms; ` +
        `with a new vend ${renewed.reconnectMs} ms (vend round trip ${vendMs} ms, run during mqtt.js's 1 s reconnectPeriod); ` +
        `added by the vend: ${renewed.reconnectMs - reused.reconnectMs} ms`,
    );
    expect(vendMs).toBeGreaterThanOrEqual(0);
    expect(renewed.reconnectMs).toBeLessThan(reused.reconnectMs + 1_000);

    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/demo-reconnect-vend.png', fullPage: true });
  }, 60_000);
});
