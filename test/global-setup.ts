/**
 * Runs once before the suite: `npm run build`, exactly as `npm pack` runs it, so the CDK template
 * tests synthesize the very handler bundle a user deploys (`dist/handler/index.mjs`) and the package
 * tests pack the very files a user installs. Tests read `dist/`; none rebuilds it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export default async function setup(): Promise<void> {
  await run('npm', ['run', 'build', '--silent'], { cwd: new URL('..', import.meta.url).pathname, maxBuffer: 16 * 1024 * 1024 });
}
