/**
 * Figures the suite measures, kept per test file in `.results/<size>/` so `pnpm resilience` can
 * print them as one Markdown table after the run (scripts/resilience.mjs).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIZE } from './size.js';

/** One measured figure. */
export interface Figure {
  /** Section of docs/reliability.md, e.g. `Soak`. */
  section: string;
  /** What was measured, e.g. `heap after 10,000 cycles vs baseline`. */
  name: string;
  /** The value as printed (counts, ratios, latencies with units). */
  value: string;
  /** The command that reproduces it. */
  command: string;
}

/** Where result files go: apps/resilience/.results/<size>. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '.results', SIZE);

/** The command that reruns one test file at this size. */
export function commandFor(testFile: string): string {
  const size = SIZE === 'full' ? 'resilience' : 'test';
  return `pnpm --filter @ssekit/resilience ${size} ${testFile}`;
}

/**
 * Records a figure for `file` (a test file name without directory), merging with what earlier
 * tests of the same file recorded; a figure with the same section and name is replaced.
 */
export function recordFigure(file: string, figure: Omit<Figure, 'command'> & { command?: string }): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${file}.json`);
  let figures: Figure[] = [];
  try {
    figures = JSON.parse(readFileSync(path, 'utf8')) as Figure[];
  } catch {
    // first figure of this file
  }
  const full: Figure = { command: commandFor(`test/${file}.test.ts`), ...figure };
  figures = figures.filter((f) => !(f.section === full.section && f.name === full.name));
  figures.push(full);
  writeFileSync(path, `${JSON.stringify(figures, null, 2)}\n`);
}

/** A recorder bound to one test file and section. */
export function figures(file: string, section: string): (name: string, value: string | number) => void {
  return (name, value) => recordFigure(file, { section, name, value: String(value) });
}

/**
 * Figures with one value per adapter: `note` each adapter's value as the tests run, then `flush`
 * (in `afterAll`) records one row per figure, condensed by {@link perAdapter}.
 */
export function adapterFigures(file: string, section: string, adapters: readonly string[]) {
  const record = figures(file, section);
  const values: Record<string, Record<string, string>> = {};
  return {
    record,
    note(what: string, adapter: string, value: string): void {
      values[what] ??= {};
      (values[what] as Record<string, string>)[adapter] = value;
    },
    flush(): void {
      for (const [what, byAdapter] of Object.entries(values)) record(what, perAdapter(byAdapter, adapters));
    },
  };
}

/** Formats a number with thousands separators. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Formats bytes as MiB with one decimal (signed when asked). */
export function mib(bytes: number, signed = false): string {
  const value = (bytes / 1024 / 1024).toFixed(1);
  return `${signed && bytes >= 0 ? '+' : ''}${value} MiB`;
}

/** Formats milliseconds. */
export function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}

/**
 * One value per adapter as a figure: `all four: X` when they agree, else `fastify X, express Y, …`
 * in the order given.
 */
export function perAdapter(values: Record<string, string>, order: readonly string[]): string {
  const present = order.filter((name) => values[name] !== undefined);
  const distinct = new Set(present.map((name) => values[name]));
  if (present.length === order.length && distinct.size === 1)
    return `all ${order.length === 4 ? 'four' : order.length}: ${values[present[0] as string]}`;
  return present.map((name) => `${name} ${values[name]}`).join(', ');
}
