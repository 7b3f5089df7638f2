#!/usr/bin/env node
// The stored results and the page made of them. Every scenario keeps its own results in
// docs/benchmarks-<scenario>.json ({ meta, results, budgets, parts }: `parts` the meta of each part
// of `results`, which may come from different runs) with its page (.md) and charts (.svg); a run
// replaces only the parts it measured. docs/benchmarks.md is composed from every stored result
// present, in a fixed order, with each section's command, date and machine; hand-written notes
// (docs/benchmarks-<section>.notes.md) follow their section. A run of one scenario never drops
// another's section.
//   node src/docs.mjs          recompose docs/benchmarks.md (and the pages of the stored JSON), run nothing
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { checkBudgets } from './budgets.mjs';
import { curveBudgets } from './curve-budgets.mjs';
import { curveCharts } from './curves-report.mjs';
import { markdown, svgChart } from './report.mjs';

const DOCS = new URL('../../../docs/', import.meta.url);
/** Which stored scenario each part of a run's `results` goes to (without `--out`). */
const PART_SCENARIO = { main: 'main', sizes: 'main', slow: 'main', churn: 'main', h2: 'http2', runtimes: 'runtimes', curves: 'curves' };

/**
 * The sections of docs/benchmarks.md, in order. `json`: a stored scenario rendered from its JSON
 * (`legacy`: the name an older run wrote it under); `md`: a page another script writes, included
 * with its headings one level down; `notes`: hand-written, included as they are.
 */
export const SECTIONS = [
  { id: 'main', json: 'benchmarks-main', legacy: 'benchmarks', title: 'Broadcast fan-out (the default run)' },
  { id: 'diag', notes: 'benchmarks-diag.notes.md' },
  { id: 'runtimes', json: 'benchmarks-runtimes', title: 'Bun and Deno', notes: 'benchmarks-runtimes.notes.md' },
  { id: 'http2', json: 'benchmarks-http2', title: 'HTTP/2 over TLS' },
  { id: 'curves', json: 'benchmarks-curves', title: 'Cost curves', notes: 'benchmarks-curves.notes.md' },
  { id: 'redis', notes: 'benchmarks-redis.notes.md', json: 'benchmarks-redis', title: 'Transports: the stored run' },
  { id: 'tokens', md: 'benchmarks-tokens.md' },
  { id: 'capacity', md: 'benchmarks-capacity.md', notes: 'benchmarks-capacity.notes.md' },
  { id: 'shards', md: 'benchmarks-shards.md' },
];

/** Reading and writing files of the docs folder `docs` (a URL ending in `/`). */
function folder(docs) {
  const file = (name) => new URL(name, docs);
  return {
    file,
    readJson: async (name) => (existsSync(file(name)) ? JSON.parse(await readFile(file(name), 'utf8')) : undefined),
    readText: async (name) => (existsSync(file(name)) ? readFile(file(name), 'utf8') : undefined),
    write: (name, text) => writeFile(file(name), text),
  };
}
/** Headings one level down (`# ` becomes `## `), outside code blocks. */
export function demote(text) {
  let fenced = false;
  return text
    .split('\n')
    .map((line) => {
      if (line.startsWith('```')) fenced = !fenced;
      return !fenced && /^#{1,5} /.test(line) ? `#${line}` : line;
    })
    .join('\n');
}

/** A stored scenario in the current shape: older files have no `parts` (every part is the file's run). */
export function normalize(stored) {
  const parts = { ...stored.parts };
  for (const key of Object.keys(stored.results ?? {})) parts[key] ??= stored.meta;
  return { meta: stored.meta, results: stored.results ?? {}, budgets: stored.budgets ?? [], parts };
}

/** `stored` with the parts of a new run's `results` in place of its own (curves: per dimension). */
export function merge(stored, results, meta) {
  const out = stored ? normalize(stored) : { meta, results: {}, budgets: [], parts: {} };
  out.meta = meta;
  for (const [key, value] of Object.entries(results)) {
    if (value === undefined || (key === 'main' && Object.keys(value).length === 0)) continue;
    out.results[key] = key === 'curves' ? { ...out.results.curves, ...value } : value;
    out.parts[key] = meta;
  }
  out.budgets = [...checkBudgets({ main: {}, ...out.results }), ...curveBudgets(out.results.curves)];
  return out;
}

/** The page (.md) and charts (.svg) of stored scenario `name`, written to docs/. Returns the file names. */
async function writePage(dir, name, stored, title) {
  const svg = `${name}.svg`;
  const curveSvg = (dimension) => `${name}-${dimension}.svg`;
  const written = [`${name}.md`];
  await dir.write(`${name}.md`, markdown(stored.results, stored.budgets, stored.meta, { title, svg, parts: stored.parts, curveSvg }));
  const bars = stored.results.main && Object.keys(stored.results.main).length > 0 ? stored.results.main : stored.results.h2;
  if (bars) {
    await dir.write(svg, svgChart(bars));
    written.push(svg);
  }
  for (const [dimension, chart] of Object.entries(curveCharts(stored.results.curves))) {
    await dir.write(curveSvg(dimension), chart);
    written.push(curveSvg(dimension));
  }
  return written;
}

const titleOf = (name) => SECTIONS.find((s) => s.json === name)?.title ?? name.replace(/^benchmarks-?/, '') ?? 'Benchmarks';

/**
 * Stores a run: each part of `results` goes to its scenario's JSON (or all to `out`, e.g.
 * `benchmarks-redis`), merged into what is there, with the scenario's page and charts; then
 * recomposes docs/benchmarks.md. `docs`: the folder (a URL), docs/ unless testing. Returns the
 * files written.
 */
export async function storeRun({ results, meta, out, docs = DOCS }) {
  const dir = folder(docs);
  const groups = new Map();
  for (const [key, value] of Object.entries(results)) {
    if (value === undefined || (key === 'main' && Object.keys(value).length === 0)) continue;
    const name = out && out !== 'benchmarks' ? out : `benchmarks-${PART_SCENARIO[key] ?? key}`;
    groups.set(name, { ...groups.get(name), [key]: value });
  }
  const written = [];
  for (const [name, parts] of groups) {
    const legacy = SECTIONS.find((s) => s.json === name)?.legacy;
    const stored = (await dir.readJson(`${name}.json`)) ?? (legacy ? await dir.readJson(`${legacy}.json`) : undefined);
    const merged = merge(stored, parts, meta);
    await dir.write(`${name}.json`, toJson(merged));
    written.push(`${name}.json`, ...(await writePage(dir, name, merged, titleOf(name))));
  }
  written.push(await composeDocs({ docs }));
  return written;
}

/**
 * Writes docs/benchmarks.md from every stored result present (and the pages and charts of the
 * stored JSON scenarios again, so they follow the code). Returns the file name.
 */
export async function composeDocs({ docs = DOCS } = {}) {
  const dir = folder(docs);
  const lines = [
    '# Benchmarks',
    '',
    'Composed by `node apps/bench/src/docs.mjs` (run by every `pnpm bench` that writes) from the results each scenario stores in `docs/benchmarks-<scenario>.json` or `.md`; each section says the command that made it, its date and the machine. How to run them: [apps/bench/README.md](../apps/bench/README.md).',
    '',
  ];
  const contents = [];
  const body = [];
  // Scenarios stored under a name of their own (`--out benchmarks-x`): after the known ones.
  const known = new Set(SECTIONS.flatMap((s) => [s.json, s.legacy, s.md?.replace(/\.md$/, '')]));
  const extra = (await readdir(docs))
    .map((name) => /^(benchmarks-[\w.-]+)\.json$/.exec(name)?.[1])
    .filter((name) => name && !known.has(name))
    .sort()
    .map((name) => ({ id: name, json: name, title: name.replace(/^benchmarks-/, 'Stored run: ') }));
  const sections = [...SECTIONS];
  sections.splice(
    sections.findIndex((s) => s.id === 'tokens'),
    0,
    ...extra,
  );
  for (const section of sections) {
    const parts = [];
    let stored = section.json ? await dir.readJson(`${section.json}.json`) : undefined;
    let name = section.json;
    if (!stored && section.legacy) {
      stored = await dir.readJson(`${section.legacy}.json`);
      name = stored ? section.json : name;
    }
    const notes = section.notes ? await dir.readText(section.notes) : undefined;
    // Transports: the hand-written notes (newer, quiet) come before the stored run.
    if (notes && section.id === 'redis') parts.push(notes.trim());
    if (stored) {
      const normal = normalize(stored);
      await writePage(dir, name, normal, section.title);
      parts.push(demote((await dir.readText(`${name}.md`)).trim()));
    }
    if (section.md) {
      const page = await dir.readText(section.md);
      if (page) parts.push(demote(page.trim()));
    }
    if (notes && section.id !== 'redis') parts.push(notes.trim());
    if (parts.length === 0) continue;
    const heading = /^## (.+)$/m.exec(parts[0])?.[1];
    if (heading) contents.push(`- [${heading}](#${anchor(heading)})`);
    body.push(...parts.map((p) => `${p}\n`));
  }
  lines.push(...contents, '', ...body);
  await dir.write('benchmarks.md', `${lines.join('\n').trimEnd()}\n`);
  return 'benchmarks.md';
}

/** `value` as JSON the way the repository's formatter (Biome, 140 columns) prints it: short arrays of numbers and strings on one line. */
export function toJson(value) {
  const text = JSON.stringify(value, null, 2).replace(
    /^( *)("(?:[^"\\]|\\.)*": )?\[\n([^[\]{}]*?)\n\1\]/gm,
    (whole, indent, key = '', items) => {
      const line = `${indent}${key}[${items
        .split('\n')
        .map((item) => item.trim().replace(/,$/, ''))
        .join(', ')}],`;
      return line.length <= 140 ? line.slice(0, -1) : whole;
    },
  );
  return `${text}\n`;
}

/** GitHub's anchor for a heading. */
export function anchor(heading) {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.error(`[docs] composed docs/${await composeDocs()}`);
}
