#!/usr/bin/env node
// Sums vitest's per-package "Tests  N passed | M failed (T)" lines from a turbo log into one
// closing line, `Tests: N passed, M failed, K skipped`, so CI reports one total.
import { readFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';

const text = stripVTControlCharacters(readFileSync(process.argv[2] ?? 0, 'utf8'));
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const line of text.split('\n')) {
  const match = /\bTests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (!match) continue;
  for (const [, count, kind] of (match[1] ?? '').matchAll(/(\d+) (passed|failed|skipped)/g)) totals[kind] += Number(count);
}
console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
