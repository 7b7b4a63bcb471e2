/**
 * The vitest configuration `npm run mutate` hands StrykerJS: the test folders that exercise the
 * security core, run in-process, without the suite's global setup (the package build and handler
 * bundle that only the CDK and package tests need). Kept apart from the top-level `vitest.config.ts`,
 * which `npm test` uses unchanged.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // This file lives in test/mutation/; tests and sources are resolved from the repository root (in
  // Stryker's sandbox, the sandbox's root).
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/signer/**/*.test.ts', 'test/vending/**/*.test.ts', 'test/local/iam-policy.test.ts', 'test/local/*.mutants.test.ts'],
    exclude: [
      // Both spawn child processes (the CLI through tsx, a compiled copy; moto_server), where no
      // mutant is ever active: they would only cost time. The CLI's in-process tests cover what they could kill.
      'test/signer/cli.test.ts',
      'test/vending/moto.test.ts',
    ],
    environment: 'node',
    setupFiles: ['test/setup-env.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
