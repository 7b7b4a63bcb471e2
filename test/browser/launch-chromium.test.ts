/** How the browser tests find their Chromium: a named one must exist; nothing is ever downloaded. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseChromium, SYSTEM_CHROMIUM } from './launch-chromium.js';

describe('chooseChromium', () => {
  it('uses CHROMIUM_PATH when it names an executable', async () => {
    expect(await chooseChromium({ CHROMIUM_PATH: process.execPath })).toEqual({ executablePath: process.execPath, source: 'CHROMIUM_PATH' });
  });

  it('refuses a CHROMIUM_PATH that is not an executable file, naming it, instead of falling back', async () => {
    await expect(chooseChromium({ CHROMIUM_PATH: '/nonexistent/chromium' })).rejects.toThrow(/CHROMIUM_PATH=\/nonexistent\/chromium is not an executable file/);
  });

  it("without CHROMIUM_PATH: the system's Chromium when present, else the one npm ci unpacked", async () => {
    const choice = await chooseChromium({});
    if (existsSync(SYSTEM_CHROMIUM)) {
      expect(choice).toEqual({ executablePath: SYSTEM_CHROMIUM, source: 'system' });
    } else {
      expect(choice.source).toBe('@sparticuz/chromium');
      expect(existsSync(choice.executablePath)).toBe(true);
    }
  });
});
