/**
 * The lifecycle every browser test file shares: Chromium (see launch-chromium.ts) and a local stack
 * started once for the file, every browser context closed and both stopped after it. A Chromium that
 * does not start is recorded, not thrown: a failing `beforeAll` would mark the tests skipped, and each
 * must fail instead, saying why.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/dev-server.js';
import { launchChromium } from './launch-chromium.js';

/** What a test file uses of the shared lifecycle. */
export interface BrowserFixture {
  /** The running stack and browser; throws, saying why, when they did not start. */
  running(): { stack: LocalStack; browser: Browser };
  /** Closes `context` after the file's tests; returns it. */
  track(context: BrowserContext): BrowserContext;
}

/**
 * Registers the file's `beforeAll`/`afterAll`.
 * @param stackOptions the local stack's options, read when the stack starts
 */
export function useStackAndChromium(stackOptions: () => LocalStackOptions = () => ({})): BrowserFixture {
  let stack: LocalStack | undefined;
  let browser: Browser | undefined;
  let missingBrowser: Error | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    try {
      ({ browser } = await launchChromium());
    } catch (error) {
      missingBrowser = new Error(`Chromium did not start (see test/browser/launch-chromium.ts for how it is found): ${String(error)}`, { cause: error });
      return;
    }
    stack = await startLocalStack({ port: 0, quiet: true, ...stackOptions() });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
  });

  return {
    running() {
      if (missingBrowser !== undefined) throw missingBrowser;
      if (stack === undefined || browser === undefined) throw new Error('beforeAll did not start the local stack and Chromium');
      return { stack, browser };
    },
    track(context) {
      contexts.push(context);
      return context;
    },
  };
}
