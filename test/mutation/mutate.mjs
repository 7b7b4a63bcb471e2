#!/usr/bin/env node
/**
 * `npm run mutate [-- <stryker options>]`: runs StrykerJS with test/mutation/stryker.config.mjs (extra
 * options such as `--incremental` are passed on), then prints the mutation score of every file of the
 * security core from reports/mutation/mutation.json and exits non-zero when one is below 95%.
 *
 * Score per file, as Stryker counts it: (killed + timeout) / (killed + timeout + survived + no
 * coverage). Mutants disabled by a `// Stryker disable` comment (status Ignored) are left out; every
 * such comment states why its mutant is equivalent.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MIN_SCORE = 95;
const root = fileURLToPath(new URL('../..', import.meta.url));
const stryker = fileURLToPath(new URL('../../node_modules/@stryker-mutator/core/bin/stryker.js', import.meta.url));
const started = Date.now();
const run = spawnSync(process.execPath, [stryker, 'run', 'test/mutation/stryker.config.mjs', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);

const report = JSON.parse(readFileSync(new URL('../../reports/mutation/mutation.json', import.meta.url), 'utf8'));
const detected = new Set(['Killed', 'Timeout']);
const undetected = new Set(['Survived', 'NoCoverage']);
const rows = Object.entries(report.files).map(([file, { mutants }]) => {
  const count = (statuses) => mutants.filter((m) => statuses.has(m.status)).length;
  const killed = count(detected);
  const missed = count(undetected);
  const ignored = count(new Set(['Ignored']));
  const errors = count(new Set(['CompileError', 'RuntimeError']));
  const valid = killed + missed;
  return { file, score: valid === 0 ? 100 : (100 * killed) / valid, killed, missed, ignored, errors };
});
rows.sort((a, b) => a.file.localeCompare(b.file));
const width = Math.max(...rows.map((r) => r.file.length));
console.log(`\nMutation score per file (minimum ${MIN_SCORE}%), ${((Date.now() - started) / 1000).toFixed(0)} s:`);
console.log(`${'file'.padEnd(width)}   score  killed  survived  ignored  errors`);
for (const r of rows) {
  console.log(`${r.file.padEnd(width)}  ${r.score.toFixed(1).padStart(5)}%  ${String(r.killed).padStart(6)}  ${String(r.missed).padStart(8)}  ${String(r.ignored).padStart(7)}  ${String(r.errors).padStart(6)}`);
}
const failing = rows.filter((r) => r.score < MIN_SCORE);
if (failing.length > 0) {
  console.error(`\n${failing.length} file(s) below ${MIN_SCORE}%: ${failing.map((r) => r.file).join(', ')}`);
  process.exit(1);
}
console.log(`\nEvery file of the security core scores at least ${MIN_SCORE}%.`);
