// @ts-check
/**
 * `npm run mutate`: StrykerJS on the security core (issue 14). Run from the repository root:
 *   npm run mutate                    # full run, the score that counts
 *   npm run mutate -- --incremental   # reuse reports/mutation/stryker-incremental.json
 * Writes reports/mutation/mutation.json, prints the score per file, and fails when any file of the
 * security core scores below 95% (test/mutation/check-scores.mjs). Not part of `npm test`.
 *
 * Equivalent mutants are never silent: each is excluded by a `// Stryker disable next-line <mutator>:
 * <reason>` comment beside the code it concerns.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  // The security core: the signer's validation and canonical form, the vending Lambda's identity
  // (principal IDs, the issuer pin, the bearer token it verifies itself and the groups read from it),
  // scope, grants, session and fairness rules, and the local gateway's IAM policy evaluator.
  mutate: [
    'lambda/signing/validate.ts',
    'lambda/signing/canonical.ts',
    'lambda/signing/rfc3986.ts',
    'lambda/vending/identity.ts',
    'lambda/vending/principal-id.ts',
    'lambda/vending/caller-principal.ts',
    'lambda/vending/bearer-token.ts',
    'lambda/vending/groups-claim.ts',
    'lambda/vending/token-verifier.ts',
    'lambda/vending/verified-groups.ts',
    'lambda/vending/scope.ts',
    'lambda/vending/topic-templates.ts',
    'lambda/vending/role-session-name.ts',
    'lambda/vending/credentials.ts',
    'lambda/vending/session-cache.ts',
    'lambda/vending/grant-overlap.ts',
    'lambda/vending/glob-intersection.ts',
    'lambda/vending/groups.ts',
    'lambda/vending/rate-limiter.ts',
    'local/iam-policy.ts',
    'local/iot-permissions.ts',
  ],
  // Note on the vitest runner (9.6.1): a mutant that makes a test file throw while it is being
  // collected (module-level or describe-level calls into the code under test) leaves that file with
  // no test results, which the runner does not count as a kill. The *.mutants.test.ts files therefore
  // call the security core only inside tests.
  testRunner: 'vitest',
  vitest: { configFile: 'test/mutation/vitest.config.ts', related: true },
  // Each mutant runs only the tests that executed its code in the dry run.
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // The machine is shared: be lenient before declaring a mutant timed out.
  timeoutMS: 10_000,
  timeoutFactor: 2,
  // Only what the tests load is copied into the sandboxes.
  ignorePatterns: ['cdk.out', 'dist', 'docs', 'reports', 'test-results', '.build-test-*', '.ci', '*.tsbuildinfo'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 95, low: 90, break: null },
  // Stryker rewrites the tsconfig it copies into a sandbox with TypeScript's JS API, which TypeScript 7
  // (native) no longer has. The sandboxes need no tsconfig rewriting (no `extends` or `references`
  // outside the project), so Stryker is pointed at a file that does not exist and skips that step.
  tsconfigFile: 'test/mutation/no-tsconfig-rewrite.json',
  // No TypeScript checker: TypeScript 7 is native and has no JS API for @stryker-mutator/typescript-checker.
  // A mutant that only breaks types is run and must still be killed by a test.
};
