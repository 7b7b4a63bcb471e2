/**
 * The demo page's assets: `web/demo/index.html` read per request (edits show on reload) and
 * `web/demo/main.ts` bundled once, in memory, at start-up. Either may be missing while the page is
 * being written; the stack then answers 503 with a clear text and keeps serving everything else.
 */
import { readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

/** A servable asset, or why it is unavailable. */
export type DemoAsset = { readonly ok: true; readonly body: Buffer; readonly contentType: string } | { readonly ok: false; readonly reason: string };

/** The demo page's entry points, relative to the repository root. */
export const DEMO_HTML = 'web/demo/index.html';
/** The demo page's script entry, bundled to `/app.js`. */
export const DEMO_SCRIPT = 'web/demo/main.ts';

/** Reads the demo page. */
export async function readDemoPage(root: string): Promise<DemoAsset> {
  try {
    return { ok: true, body: await readFile(join(root, DEMO_HTML)), contentType: 'text/html; charset=utf-8' };
  } catch {
    return { ok: false, reason: `The demo page is not available: ${DEMO_HTML} does not exist yet.` };
  }
}

/**
 * Bundles the demo script for the browser (ESM, one file, inline source map). Build errors are
 * returned, not thrown, so the rest of the stack still starts.
 */
export async function bundleDemoScript(root: string): Promise<DemoAsset> {
  const entry = join(root, DEMO_SCRIPT);
  try {
    await access(entry);
  } catch {
    return { ok: false, reason: `The demo script is not available: ${DEMO_SCRIPT} does not exist yet.` };
  }
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      sourcemap: 'inline',
      absWorkingDir: root,
      logLevel: 'silent',
    });
    const output = result.outputFiles[0];
    if (output === undefined) return { ok: false, reason: `esbuild produced no output for ${DEMO_SCRIPT}.` };
    return { ok: true, body: Buffer.from(output.contents), contentType: 'text/javascript; charset=utf-8' };
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
    const details = errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`).join('\n');
    return { ok: false, reason: `${DEMO_SCRIPT} failed to bundle:\n${details || String(error)}` };
  }
}
