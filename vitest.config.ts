import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // e2e tests spawn the built daemon; keep the 2-core machine from oversubscribing.
    maxWorkers: 2,
    // CI asks for a JSON report too, to print one plain "N passed, N failed" line.
    ...(process.env.JARVIS_TEST_REPORT
      ? { reporters: ['default', 'json'], outputFile: { json: process.env.JARVIS_TEST_REPORT } }
      : {}),
  },
});
