/**
 * Finds and launches the Chromium the browser tests drive, without ever downloading one:
 *
 * 1. `CHROMIUM_PATH`, when set (it must name an executable file: a typo is an error, not a fallback);
 * 2. the system's Chromium, when the machine has one (`/usr/bin/chromium`, Debian's package);
 * 3. otherwise the Chromium that `npm ci` brought: `@sparticuz/chromium`, a headless build shipped
 *    brotli-compressed inside the npm package and unpacked to the temporary folder on first use.
 *
 * Why `@sparticuz/chromium` 143.x: its package declares Node >= 20.11 (later lines require Node 22),
 * it carries the browser inside the registry tarball (no post-install download, so `npm ci` works
 * where only the npm registry is reachable), and it launches headless under `playwright-core` on
 * Debian. `playwright`'s own browsers and `puppeteer` download theirs at install time, which a
 * closed network refuses.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, used when present. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for a headless Chromium on a closed network: no sandbox (tests run as root), no GPU, and no
 * background connections to Google's services (each would be refused by the network, many at once).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/** Which Chromium a run uses, and why. */
export interface ChromiumChoice {
  readonly executablePath: string;
  readonly source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
}

/** Picks the Chromium to launch, in the order the module comment gives. */
export async function chooseChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumChoice> {
  const named = env['CHROMIUM_PATH'];
  if (named !== undefined && named !== '') {
    try {
      accessSync(named, constants.X_OK);
    } catch (cause) {
      throw new Error(`CHROMIUM_PATH=${named} is not an executable file; unset it to use the system or the bundled Chromium`, { cause });
    }
    return { executablePath: named, source: 'CHROMIUM_PATH' };
  }
  if (existsSync(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, source: 'system' };
  const { default: bundled } = await import('@sparticuz/chromium');
  return { executablePath: await bundled.executablePath(), source: '@sparticuz/chromium' };
}

/** Launches the chosen Chromium headless with {@link CHROMIUM_ARGS}. */
export async function launchChromium(): Promise<{ browser: Browser; choice: ChromiumChoice }> {
  const choice = await chooseChromium();
  const browser = await chromium.launch({ executablePath: choice.executablePath, args: [...CHROMIUM_ARGS] });
  return { browser, choice };
}
