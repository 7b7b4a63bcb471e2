import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Nothing may fall back to the instance metadata address; see test/setup-env.ts.
    setupFiles: ['test/setup-env.ts'],
    // The handler bundle the CDK construct deploys, built once for every test that synthesizes.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time on a 2-core machine (vitest's default leaves one core free, so one file at
    // a time): many files mostly wait (browser tabs held open for 30 s, reconnect jitter, synth
    // children), and their waits overlap instead of adding up.
    maxWorkers: 2,
  },
});
