/**
 * What the consumer-app tests share: the package as `npm pack` makes it, and fresh apps that install
 * it from that tarball as a user would, with npm's own cache (`--prefer-offline`: what `npm ci` or
 * an earlier run fetched is not fetched again) and no audit, fund or update notices.
 *
 * The build `prepack` runs (`npm run build`) already ran in the suite's global setup, so the pack
 * skips scripts rather than rebuilding `dist/` under the other tests' feet.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);

/** The repository root, with its trailing slash. */
export const root = new URL('../../', import.meta.url).pathname;

/** npm's environment for the tests: quiet, and never asking anything. */
export const npmEnv: NodeJS.ProcessEnv = {
  ...process.env,
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  npm_config_loglevel: 'error',
};

/**
 * Packs the working tree's package into `directory`.
 * @returns the tarball's path
 */
export async function packTarball(directory: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', directory], { cwd: root, env: npmEnv, maxBuffer: 16 * 1024 * 1024 });
  const [report] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string }>;
  if (report === undefined) throw new Error(`npm pack reported nothing: ${stdout}`);
  return join(directory, report.filename);
}

/** The version of `name` this repository's lockfile installs (what its own tests ran against). */
export function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (version === undefined) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

/** `npm install` in `cwd` from npm's cache where it can, without install scripts. */
export async function npmInstall(cwd: string, args: readonly string[] = []): Promise<void> {
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...args], { cwd, env: npmEnv, maxBuffer: 16 * 1024 * 1024 });
}
