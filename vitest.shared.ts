import { defineConfig } from 'vitest/config';

type TestOptions = NonNullable<Parameters<typeof defineConfig>[0] extends infer C ? (C extends { test?: infer T } ? T : never) : never>;

/**
 * The test setup every package shares: files under test/, each in its own process (servers and
 * sockets are real), generous timeouts for a small machine. `overrides` adds what one package needs.
 */
export function packageTests(overrides: TestOptions = {}) {
  return defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      pool: 'forks',
      testTimeout: 30_000,
      hookTimeout: 30_000,
      ...overrides,
    },
  });
}
