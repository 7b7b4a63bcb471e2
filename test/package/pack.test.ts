/**
 * The package as `npm pack` makes it (the `prepack` build included): what a user installs. The
 * tarball is unpacked and read, not the working tree, so a file that is built but not shipped, or
 * shipped but pointing at something absent, shows here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

let work: string;
/** The unpacked tarball (`package/` inside it). */
let unpacked: string;
let shipped: string[];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'aws-signv4-mqtt-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: root,
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const [report] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string }>;
  if (report === undefined) throw new Error(`npm pack reported nothing: ${stdout}`);
  await run('tar', ['-xzf', join(work, report.filename), '-C', work]);
  unpacked = join(work, 'package');
  shipped = walk(unpacked).map((file) => relative(unpacked, file));
}, 120_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the MIT-0 LICENSE, the README and the built entry points', () => {
    expect(shipped).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/lambda/sigv4.js', 'dist/web/connect-mqtt.js', 'dist/bin/aws-signv4-mqtt.js']));
    expect(readFileSync(join(unpacked, 'LICENSE'), 'utf8')).toMatch(/^MIT No Attribution\n/);
    const pkg = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as { license: string; engines: { node: string }; type: string };
    expect(pkg.license).toBe('MIT-0');
    // require() of ES modules works from Node 20.19 on: the package is ESM-only.
    expect(pkg.type).toBe('module');
    expect(pkg.engines.node).toBe('>=20.19');
  });

  it('ships no TypeScript sources and no test files', () => {
    expect(shipped.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(shipped.filter((file) => /(^|\/)test\//.test(file))).toEqual([]);
  });

  it('every source map embeds the sources it names, so none points at a file missing from the package', () => {
    const maps = shipped.filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const parsed = JSON.parse(readFileSync(join(unpacked, map), 'utf8')) as { sources: string[]; sourcesContent?: Array<string | null> };
      expect(parsed.sourcesContent, map).toHaveLength(parsed.sources.length);
      for (const content of parsed.sourcesContent ?? []) expect(typeof content, map).toBe('string');
    }
  });
});
