// Prints the plain `N passed, N failed[, N skipped]` line CI reads, from vitest's JSON report plus the
// typecheck. A run that crashed before writing a report counts as one failure, never as "0 failed".
// Every skipped test is named above that line: only optional cross-checks may skip, each saying why
// in its name, and nothing skips silently.
import { readFileSync } from 'node:fs';

const [reportPath, typecheckFailed, vitestStatus] = process.argv.slice(2);
let passed = typecheckFailed === '1' ? 0 : 1;
let failed = typecheckFailed === '1' ? 1 : 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // Suites that failed to load have no tests counted; count each as a failure.
  failed += report.testResults.filter((suite) => suite.status === 'failed' && suite.assertionResults.length === 0).length;
  for (const suite of report.testResults) {
    for (const test of suite.assertionResults) {
      if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo') {
        console.log(`skipped: ${test.fullName} [${suite.name.replace(`${process.cwd()}/`, '')}]`);
      }
    }
  }
} catch {
  failed += 1;
}
if (vitestStatus !== '0' && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
