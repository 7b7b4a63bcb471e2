/**
 * Builds the vending Lambda into ONE minified ESM file, `dist/handler/index.mjs`: the asset the
 * `MqttUrlVending` construct deploys, in this repository and in the published package alike, so a
 * consumer's `cdk synth` needs no esbuild, tsx or Docker. `npm run build` (and so `npm pack`) runs it;
 * so does `bin/app.ts` before every synth, so the deployed code is always the code in the tree.
 *
 * Run directly: `npx tsx bin/build-handler.ts`.
 */
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { HANDLER_BUNDLE_FILE } from '../lib/handler-asset.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the bundle is written, relative to the repository root. */
export const HANDLER_BUNDLE_DIR = 'dist/handler';

/**
 * Bundles `lambda/handler.ts` with every dependency (the AWS SDK included: the function runs the
 * SDK versions the tests ran, not the runtime's copy) for the newest Node.js runtime on arm64.
 *
 * @param root the repository root
 * @returns the bundle's path
 */
export async function buildHandlerBundle(root: string = ROOT): Promise<string> {
  const outDir = join(root, HANDLER_BUNDLE_DIR);
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, HANDLER_BUNDLE_FILE);
  // Written beside, then renamed: a synth reading the bundle meanwhile sees the old file or the new
  // one, never half of one.
  const partial = `${outfile}.${process.pid}.partial`;
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'lambda/handler.ts')],
    outfile: partial,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: false,
    mainFields: ['module', 'main'],
    legalComments: 'none',
    logLevel: 'error',
    // ESM output: bundled CommonJS dependencies still call require().
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  await rename(partial, outfile);
  return outfile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = await buildHandlerBundle();
  console.log(`handler bundle: ${file}`);
}
