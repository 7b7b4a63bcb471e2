/**
 * The demo page in Chromium (the system's, or the one `npm ci` brought: see launch-chromium.ts;
 * driven by playwright-core, which never downloads a browser)
 * against the local stack started in-process: sign in, connect, publish and receive; a second user
 * in another browser context sees nothing of the first and is refused the first user's topic; stack
 * settings from a link are only a proposal until the user confirms them. Reconnects and the URLs they
 * vend (or not) are in demo-reconnect.test.ts.
 */
import { mkdir } from 'node:fs/promises';
import type { BrowserContext, Page, WebSocket } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { STORAGE_KEY } from '../../web/demo/settings.js';
import { useStackAndChromium } from './browser-fixture.js';
import { connect as connectPage, logTexts, newLoopbackContext, received, signIn as signInAs } from './demo-driver.js';

const SCREENSHOT = 'test-results/demo.png';

/** One signed-in user's page, with what it asked the API and which WebSockets it opened. */
interface DemoUser {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly sub: string;
  /** The MQTT client ID: `<sub>-<this tab's own suffix>`, as the page shows it once connected. */
  clientId: string;
  /** Bodies of the successful `GET /mqtt-url` answers, in order. */
  readonly vended: Array<{ readonly url: string; readonly clientId: string }>;
  /** The page's WebSockets, in order. */
  readonly sockets: WebSocket[];
}

const { running, track } = useStackAndChromium();

/** A fresh loopback-only browser context, closed after the file's tests. */
async function newContext(): Promise<BrowserContext> {
  return track(await newLoopbackContext(running().browser));
}

/** Opens the demo page in a new browser context, signs `username` in, and records its vends and sockets. */
async function signIn(username: string): Promise<DemoUser> {
  const { stack: local, browser } = running();
  const { context, page, sub } = await signInAs(browser, local.url, username);
  track(context);
  const vended: Array<{ url: string; clientId: string }> = [];
  const sockets: WebSocket[] = [];
  // Vends and sockets happen on Connect, after sign-in: listening from here misses none.
  page.on('websocket', (socket) => sockets.push(socket));
  page.on('response', (response) => {
    if (new URL(response.url()).pathname === '/mqtt-url' && response.status() === 200) {
      void response.json().then((body: { url: string; clientId: string }) => vended.push(body));
    }
  });
  // No suffix typed: connectMqtt's default, the tab's own.
  expect(await page.getByLabel('Client ID suffix (optional)').inputValue()).toBe('');
  return { context, page, sub, clientId: '', vended, sockets };
}

async function connect(user: DemoUser): Promise<void> {
  await connectPage(user.page);
  user.clientId = (await user.page.getByTestId('client-id').textContent()) ?? '';
  expect(user.clientId).toMatch(new RegExp(`^${user.sub}-[A-Za-z0-9_-]{12}$`));
}

async function subscribe(page: Page, topic?: string): Promise<string> {
  if (topic !== undefined) await page.getByLabel('Topic filter').fill(topic);
  await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
  const status = page.getByTestId('subscribe-status').filter({ hasText: /^(Subscribed to|Subscription to .* refused)/ });
  await status.waitFor();
  return (await status.textContent()) ?? '';
}

async function publish(page: Page, message: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(message);
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
}

describe('demo page in Chromium against the local stack', () => {
  let alice: DemoUser | undefined;

  /** Alice, signed in and connected (by the first test, or now when it runs alone). */
  async function connectedAlice(): Promise<DemoUser> {
    if (alice === undefined) {
      alice = await signIn('alice');
      await connect(alice);
    }
    return alice;
  }

  it('signs in, shows the vended client ID and topics, connects, publishes and sees the message', async () => {
    const { page, sub, clientId, vended } = await connectedAlice();

    expect(await page.getByTestId('client-id').textContent()).toBe(clientId);
    expect(await page.getByTestId('publish-topics').textContent()).toBe(`users/${sub}/*`);
    expect(await page.getByTestId('subscribe-topics').textContent()).toBe(`users/${sub}/*`);
    expect(vended.map((v) => v.clientId)).toEqual([clientId]);

    expect(await subscribe(page)).toBe(`Subscribed to users/${sub}/#`);
    const text = 'hello from alice <img src=x onerror="window.__xss=1">';
    await publish(page, text);
    expect(await received(page, text)).toBe(`users/${sub}/chat`);
    // The payload was shown as text: no element was created from it.
    expect(await page.locator('#message-log img').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();

    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it("a second tab of the same user gets its own client ID and receives the first tab's chat", async () => {
    const alice = await connectedAlice();
    const secondTab = await signIn('alice');
    await connect(secondTab);
    expect(secondTab.sub).toBe(alice.sub);
    expect(secondTab.clientId).not.toBe(alice.clientId);
    expect(await subscribe(secondTab.page)).toBe(`Subscribed to users/${alice.sub}/#`);

    await publish(alice.page, 'hi from tab one');
    expect(await received(secondTab.page, 'hi from tab one')).toBe(`users/${alice.sub}/chat`);
    // Neither tab took the other's client ID over: each still has its first and only socket.
    expect(alice.sockets).toHaveLength(1);
    expect(secondTab.sockets).toHaveLength(1);
    await secondTab.context.close();
  });

  it("a second user sees nothing of the first and is refused the first user's topic", async () => {
    const alice = await connectedAlice();
    const bob = await signIn('bob');
    await connect(bob);
    expect(bob.sub).not.toBe(alice.sub);
    expect(await bob.page.getByTestId('client-id').textContent()).toBe(bob.clientId);

    const refusal = await subscribe(bob.page, `users/${alice.sub}/#`);
    expect(refusal).toMatch(new RegExp(`^Subscription to users/${alice.sub}/# refused`));
    expect(await subscribe(bob.page, `users/${bob.sub}/#`)).toBe(`Subscribed to users/${bob.sub}/#`);

    expect(await subscribe(alice.page, `users/${alice.sub}/#`)).toBe(`Subscribed to users/${alice.sub}/#`);
    await publish(alice.page, 'second secret from alice');
    await received(alice.page, 'second secret from alice');
    // Bob's own message arriving after Alice's proves his connection delivers; hers never came.
    await publish(bob.page, 'bob only');
    await received(bob.page, 'bob only');
    expect(await logTexts(bob.page, 'received')).toEqual(['bob only']);
    expect(await logTexts(alice.page, 'received')).not.toContain('bob only');
    await bob.context.close();
  });

  it("only pre-fills a link's stack settings: nothing is used or saved until the user confirms", async () => {
    const context = await newContext();
    const page = await context.newPage();
    const { stack: local } = running();
    const offLoopback: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).hostname !== '127.0.0.1') offLoopback.push(new URL(request.url()).host);
    });
    const storedStack = (): Promise<string | null> => page.evaluate((key) => localStorage.getItem(key), STORAGE_KEY);

    await page.goto(`${local.url}/?apiUrl=${encodeURIComponent('https://abc123.execute-api.eu-west-1.amazonaws.com/')}&clientId=2abc3def&region=eu-west-1`);
    // The page stays on the stack that served it; the proposal is shown, with where secrets would go.
    await page.getByTestId('mode-banner').filter({ hasText: 'Local stack' }).waitFor();
    expect(new URL(page.url()).search).toBe('');
    expect(await page.getByTestId('settings-proposal').isVisible()).toBe(true);
    expect(await page.getByTestId('settings-proposal-api-host').textContent()).toBe('abc123.execute-api.eu-west-1.amazonaws.com');
    expect(await page.getByTestId('settings-proposal-cognito-host').textContent()).toBe('cognito-idp.eu-west-1.amazonaws.com (app client 2abc3def)');
    expect(await page.getByLabel(/^API URL/).inputValue()).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/');
    expect(await page.getByLabel(/User pool client id/).inputValue()).toBe('2abc3def');
    expect(await storedStack()).toBeNull();

    // Signing in now goes to the local stack: the password never leaves for the proposed pool.
    await page.getByLabel('Username').fill('dave');
    await page.getByLabel('Password').fill('local-dev');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('auth-status').filter({ hasText: 'Signed in as dave' }).waitFor();
    expect(offLoopback).toEqual([]);
    expect(await storedStack()).toBeNull();

    // Editing the proposal updates the hosts shown; an invalid value hides them.
    await page.getByLabel(/^API URL/).fill('https://other.example.com/prod');
    await page.getByTestId('settings-proposal-api-host').filter({ hasText: /^other\.example\.com$/ }).waitFor();
    await page.getByLabel(/^API URL/).fill('http://other.example.com/prod');
    await page.getByTestId('settings-proposal').waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Use this stack' }).click();
    await page.locator('#settings-status').filter({ hasText: /^API URL must use https: plain http is allowed only for loopback hosts/ }).waitFor();
    expect(await storedStack()).toBeNull();

    // The click is the confirmation: now the stack is used, and kept across reloads.
    await page.getByLabel(/^API URL/).fill('https://abc123.execute-api.eu-west-1.amazonaws.com/');
    await page.getByRole('button', { name: 'Use this stack' }).click();
    await page.getByTestId('mode-banner').filter({ hasText: 'Deployed stack · abc123.execute-api.eu-west-1.amazonaws.com · eu-west-1' }).waitFor();
    expect(JSON.parse((await storedStack()) ?? 'null')).toEqual({
      apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/',
      userPoolClientId: '2abc3def',
      region: 'eu-west-1',
    });
    await page.reload();
    await page.getByTestId('mode-banner').filter({ hasText: 'Deployed stack' }).waitFor();
    expect(await page.getByLabel(/User pool client id/).inputValue()).toBe('2abc3def');
    expect(await page.getByTestId('settings-proposal').isHidden()).toBe(true);
    expect(await page.locator('#password-hint').isHidden()).toBe(true);

    await page.getByText('Use a deployed stack').click();
    await page.getByLabel(/^Region/).fill('not a region');
    await page.getByRole('button', { name: 'Use this stack' }).click();
    await page.locator('#settings-status').filter({ hasText: 'Region must look like eu-west-1 (received "not a region")' }).waitFor();

    await page.getByRole('button', { name: 'Back to the local stack' }).click();
    await page.getByTestId('mode-banner').filter({ hasText: 'Local stack' }).waitFor();
    await context.close();
  });
});
