/**
 * Builds the CommonJS copy of the package, `dist/cjs/`, beside the ES modules `tsc` writes to
 * `dist/` (run it after `tsc -p tsconfig.build.json`). Most CDK apps and their jest tests are
 * CommonJS, and jest's module system cannot `require()` an ES module, whatever the Node version.
 *
 * - One CommonJS file per ES module, same layout, transpiled from the same TypeScript sources by
 *   esbuild (not bundled: `require('./errors.js')` finds the CommonJS copy next to it). Every file
 *   `tsc` emitted is copied, except `bin/` (the CLI stays an ES module: it is only ever executed,
 *   and its top-level await has no CommonJS form).
 * - `dist/cjs/package.json` says `{"type":"commonjs"}`, so Node and TypeScript read the `.js` and
 *   `.d.ts` files below it as CommonJS (the same as `.cjs` and `.d.cts` names, without renaming
 *   every relative import).
 * - The declarations are `tsc`'s, copied: the same types for `require` as for `import`.
 * - `import.meta.url` (only `lib/handler-asset.ts` uses it) becomes the CommonJS file's own URL.
 * - The handler bundle is not copied: both copies deploy the one `dist/handler/index.mjs`.
 *
 * Run directly: `npx tsx bin/build-cjs.ts` (after `tsc -p tsconfig.build.json`).
 */
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The CommonJS copy's directory, relative to the repository root. */
export const CJS_DIR = 'dist/cjs';

/** The directories of `dist/` that hold the entry points' modules (`bin/` and `handler/` do not). */
const COPIED = ['lambda', 'lib', 'web'];

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(entries.map((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : Promise.resolve([join(dir, entry.name)]))));
  return nested.flat();
}

/**
 * Writes `dist/cjs/` from the TypeScript sources of the modules `tsc` emitted to `dist/`.
 *
 * @param root the repository root
 * @returns the number of CommonJS modules written
 */
export async function buildCommonJs(root: string = ROOT): Promise<number> {
  const dist = join(root, 'dist');
  const out = join(root, CJS_DIR);
  const emitted = (await Promise.all(COPIED.map((dir) => walk(join(dist, dir))))).flat();
  const modules = emitted.filter((file) => file.endsWith('.js')).map((file) => relative(dist, file).replace(/\.js$/, ''));
  const declarations = emitted.filter((file) => file.endsWith('.d.ts'));
  if (modules.length === 0) throw new Error(`No ES modules in ${dist}: run \`tsc -p tsconfig.build.json\` first.`);

  // Overwritten in place, not emptied first, so a test run reading it meanwhile never finds it gone
  // (`npm run build` empties `dist/` as a whole).
  await mkdir(out, { recursive: true });
  const sources = modules.map((module) => join(root, `${module}.ts`));
  const usesImportMeta = await Promise.all(sources.map(async (source) => (await readFile(source, 'utf8')).includes('import.meta')));
  const common = {
    absWorkingDir: root,
    outdir: out,
    outbase: root,
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    sourcesContent: true,
    logLevel: 'error',
  } as const;
  await build({ ...common, entryPoints: sources.filter((_, index) => usesImportMeta[index] !== true) });
  const withImportMeta = sources.filter((_, index) => usesImportMeta[index] === true);
  if (withImportMeta.length > 0) {
    await build({
      ...common,
      entryPoints: withImportMeta,
      define: { 'import.meta.url': '__importMetaUrl' },
      // The directive first, or the file would not be strict.
      banner: { js: '"use strict";\nconst __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    });
  }
  await Promise.all(
    declarations.map(async (file) => {
      const target = join(out, relative(dist, file));
      await mkdir(dirname(target), { recursive: true });
      await copyFile(file, target);
    }),
  );
  await writeFile(join(out, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  return modules.length;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const count = await buildCommonJs();
  console.log(`CommonJS copy: ${count} modules in ${CJS_DIR}`);
}
