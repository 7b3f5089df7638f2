import { defineConfig } from 'tsup';

/**
 * The build every published package shares: ESM (.mjs) and CJS (.cjs) with declarations for both
 * (`scripts/dts-to-mts.mjs` then names the ESM ones .d.mts), Node 20, source maps.
 */
export function packageBuild(entry: Record<string, string> = { index: 'src/index.ts' }) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    outExtension: ({ format }) => ({ js: format === 'cjs' ? '.cjs' : '.mjs' }),
  });
}
