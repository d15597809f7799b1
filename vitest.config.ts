import { defineConfig } from 'vitest/config';

/**
 * Tests in tiers: `unit` (pure code, no sockets), `integration` (real servers on 127.0.0.1, real
 * clients, CLI processes), `browser` (headless Chromium). `npm test` runs them all; `dist/` is
 * built once before the forks start (test/setup/build-once.ts).
 */
export default defineConfig({
  test: {
    globalSetup: ['test/setup/build-once.ts'],
    testTimeout: 30_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'] } },
    ],
  },
});
