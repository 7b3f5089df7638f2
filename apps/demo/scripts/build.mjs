#!/usr/bin/env node
// Builds the demo with esbuild: the page (src/web -> dist/public: app.js, app.css, index.html),
// the React page (src/web-react -> react.js, react.html)
// and the server (src/server/main.ts -> dist/server/main.mjs, with packages left to node_modules).
// Run by `pnpm demo` before it starts the server, and by the browser tests' global setup.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist`;

/** Builds everything into dist/ and resolves to the page's directory. */
export async function buildDemo() {
  await rm(dist, { recursive: true, force: true });
  await mkdir(`${dist}/public`, { recursive: true });
  await Promise.all([
    build({
      entryPoints: [
        { in: `${root}src/web/main.ts`, out: 'app' },
        { in: `${root}src/web/styles.css`, out: 'app' },
        { in: `${root}src/web-react/main.tsx`, out: 'react' },
      ],
      jsx: 'automatic',
      outdir: `${dist}/public`,
      bundle: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      minify: true,
      sourcemap: true,
      logLevel: 'warning',
    }),
    build({
      entryPoints: [`${root}src/server/main.ts`],
      outfile: `${dist}/server/main.mjs`,
      bundle: true,
      format: 'esm',
      target: 'node20',
      platform: 'node',
      packages: 'external',
      sourcemap: true,
      logLevel: 'warning',
    }),
    copyFile(`${root}src/web/index.html`, `${dist}/public/index.html`),
    copyFile(`${root}src/web-react/react.html`, `${dist}/public/react.html`),
  ]);
  return `${dist}/public`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildDemo();
