#!/usr/bin/env node
// `pnpm resilience`: runs the resilience suite at full size (SIZE=full) and prints the figures as
// the Markdown table docs/reliability.md carries.
//
//   node scripts/resilience.mjs                  every file, full size, then the table
//   node scripts/resilience.mjs test/soak.test.ts   one file (its figures are replaced, others kept)
//   node scripts/resilience.mjs --print [--size ci] only print the table from the last run
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const printOnly = args.includes('--print');
const sizeAt = args.indexOf('--size');
const size = sizeAt === -1 ? 'full' : args[sizeAt + 1];
const files = args.filter((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--size');
const resultsDir = join(appDir, '.results', size);

if (!printOnly) {
  // A run of everything starts from a clean slate; a run of some files replaces only theirs.
  if (files.length === 0) rmSync(resultsDir, { recursive: true, force: true });
  for (const file of files) rmSync(join(resultsDir, `${basename(file).replace(/\.test\.ts$/, '')}.json`), { force: true });
  const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
  const run = spawnSync(process.execPath, [vitest, 'run', ...files], {
    cwd: appDir,
    stdio: 'inherit',
    env: { ...process.env, SIZE: size },
  });
  if (run.status !== 0) {
    console.error(`\nThe ${size}-size run failed (exit ${run.status}); figures below are from the tests that passed.`);
    process.exitCode = run.status ?? 1;
  }
}

const ORDER = [
  'Encoder fuzzing',
  'Hostile requests',
  'Slowloris',
  'Abrupt disconnects',
  'Soak',
  'Reconnect storm',
  'Graceful shutdown',
  'Security defaults',
  'Delivery edges',
];
const figures = existsSync(resultsDir)
  ? readdirSync(resultsDir)
      .filter((name) => name.endsWith('.json'))
      .flatMap((name) => JSON.parse(readFileSync(join(resultsDir, name), 'utf8')))
  : [];
figures.sort((a, b) => ORDER.indexOf(a.section) - ORDER.indexOf(b.section));
const cell = (text) => String(text).replaceAll('|', '\\|');
const lines = [
  `Figures (${size} size, ${new Date().toISOString().slice(0, 10)}, Node ${process.versions.node}, ${process.platform}):`,
  '',
  '| Area | What | Result | Reproduce |',
  '| --- | --- | --- | --- |',
  ...figures.map((f) => `| ${cell(f.section)} | ${cell(f.name)} | ${cell(f.value)} | \`${cell(f.command)}\` |`),
];
// Also in a file: turbo prefixes every printed line with the task name.
mkdirSync(resultsDir, { recursive: true });
const tablePath = join(resultsDir, 'figures.md');
writeFileSync(tablePath, `${lines.join('\n')}\n`);
console.log(`\n${lines.join('\n')}\n\n(also written to ${tablePath})`);
