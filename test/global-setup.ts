/**
 * Runs once before the suite: the package build (`tsc -p tsconfig.build.json`, then the handler
 * bundle and the CommonJS copy), as `npm run build` makes it for `npm pack`, so the CDK template
 * tests synthesize the very handler bundle a user deploys (`dist/handler/index.mjs`) and the package
 * tests pack the very files a user installs. Unlike `npm run build` it does not empty `dist/` first, so a second test run
 * started meanwhile never finds the bundle missing. Tests read `dist/`; none rebuilds it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildCommonJs } from '../bin/build-cjs.js';
import { buildHandlerBundle } from '../bin/build-handler.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

export default async function setup(): Promise<void> {
  await run(`${root}node_modules/.bin/tsc`, ['-p', 'tsconfig.build.json'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  await Promise.all([buildHandlerBundle(root), buildCommonJs(root)]);
}
