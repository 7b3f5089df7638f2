import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the page once (esbuild, well under a second) before any test opens it.
    globalSetup: ['test/helpers/build-page.ts'],
    pool: 'forks',
    // One browser and one server at a time: the machine is small and shared.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
