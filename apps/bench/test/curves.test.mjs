// The curves' charts, budgets and the composed docs page, on made-up results in a temporary folder
// (no servers: the curves' servers are the variants the other tests and the bench run).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { lineCharts } from '../src/chart.mjs';
import { curveBudgets } from '../src/curve-budgets.mjs';
import { anchor, composeDocs, demote, merge, storeRun, toJson } from '../src/docs.mjs';

const meta = (command) => ({
  command,
  date: '2026-12-06',
  machine: `machine of ${command}`,
  pinned: true,
  clients: 10,
  events: 1,
  eventBytes: 100,
});
const fanout = (us) => ({
  fanout: { usPerEvent: us, errors: 0 },
  burst: { usPerEvent: us / 10, errors: 0 },
  latency: { p50: 1, p99: 2 },
  memory: { heapPerConnection: 4000, rssPerConnection: 9000 },
});
const curve = (cpu) => ({
  meta: { ...meta('pnpm bench -- --curves clients'), plan: { points: [1000, 10000] } },
  points: Object.fromEntries(
    Object.entries(cpu).map(([variant, [a, b]]) => [
      variant,
      [
        { x: 1000, usPerEvent: a, p99: 1, heapPerStream: 5000, rssPerStream: 9000, errors: 0, closed: 0 },
        { x: 10000, usPerEvent: b, p99: 9, heapPerStream: 5000, rssPerStream: 9000, errors: 0, closed: 0 },
      ],
    ]),
  ),
  skipped: [],
});

describe('lineCharts', () => {
  it('draws a line per variant on a log axis, the baseline dashed and thick, one legend', () => {
    const svg = lineCharts('Clients', [
      {
        title: 'CPU',
        xLabel: 'clients',
        yLabel: 'µs',
        logX: true,
        series: [
          {
            name: 'baseline',
            points: [
              [1000, 10],
              [10000, 11],
            ],
          },
          {
            name: 'ssekit-node',
            points: [
              [1000, 8],
              [10000, 30],
            ],
          },
        ],
      },
    ]);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /stroke="#000" stroke-width="3" stroke-dasharray="7 4"\/><text[^>]*>baseline</);
    assert.match(svg, /\(log scale\)/);
    assert.equal(svg.match(/<path /g).length, 2);
    assert.match(svg, />10k</);
  });
});

describe('curveBudgets', () => {
  it('fails an ssekit curve that bends where the baseline stays flat, passes one that does not', () => {
    const rows = curveBudgets({ clients: curve({ baseline: [10, 10], 'ssekit-node': [8, 20], 'ssekit-fastify': [9, 9.5] }) });
    const row = (variant) => rows.find((r) => r.name.startsWith(`${variant}: CPU per event growth`));
    assert.equal(row('ssekit-node').pass, false);
    assert.equal(row('ssekit-node').actual, 2.5);
    assert.equal(row('ssekit-fastify').pass, true);
  });
});

describe('docs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssekit-bench-docs-'));
  const docs = pathToFileURL(`${dir}/`);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('demotes headings outside code blocks and makes GitHub anchors', () => {
    assert.equal(demote('# A\n```sh\n# not a heading\n```\n## B'), '## A\n```sh\n# not a heading\n```\n### B');
    assert.equal(anchor('HTTP/2 over TLS'), 'http2-over-tls');
  });

  it('writes JSON as the formatter wants it: short arrays of numbers on one line, long ones not', () => {
    const long = Array.from({ length: 40 }, (_, i) => 1_000_000 + i);
    assert.equal(toJson({ a: { points: [1, 100], n: 'x' }, long }).split('\n')[2], '    "points": [1, 100],');
    assert.equal(toJson({ long }).split('\n').length, 45); // {, "long": [, 40 numbers, ], }, and the final newline
  });

  it('merges a run into the stored parts: the others stay, with their own meta', () => {
    const stored = { meta: meta('old'), results: { main: { baseline: fanout(10) }, slow: {} } };
    const merged = merge(stored, { curves: { clients: curve({ baseline: [1, 1] }) } }, meta('new'));
    assert.deepEqual(Object.keys(merged.results).sort(), ['curves', 'main', 'slow']);
    assert.equal(merged.parts.main.command, 'old');
    assert.equal(merged.parts.curves.command, 'new');
    const again = merge(merged, { curves: { topics: curve({ baseline: [1, 1] }) } }, meta('newer'));
    assert.deepEqual(Object.keys(again.results.curves).sort(), ['clients', 'topics']);
  });

  it('keeps every section when one scenario is stored: a legacy main file, pages of other scripts, notes', async () => {
    const legacy = {
      meta: meta('pnpm bench -- --check'),
      results: { main: { baseline: fanout(10), 'ssekit-node': fanout(8) } },
      budgets: [],
    };
    writeFileSync(join(dir, 'benchmarks.json'), JSON.stringify(legacy));
    writeFileSync(join(dir, 'benchmarks-tokens.md'), '# Streamed answers\n\ntokens table\n');
    writeFileSync(join(dir, 'benchmarks-shards.md'), '# Sharding\n\nshards table\n');
    writeFileSync(join(dir, 'benchmarks-diag.notes.md'), '## Metrics with a listener\n\nhand-written\n');
    await composeDocs({ docs });
    await storeRun({
      results: { main: {}, curves: { clients: curve({ baseline: [10, 11], 'ssekit-node': [8, 9] }) } },
      meta: meta('curves run'),
      docs,
    });
    const page = readFileSync(join(dir, 'benchmarks.md'), 'utf8');
    const order = [
      '### Broadcast fan-out',
      '## Metrics with a listener',
      '## Cost curves',
      '### Clients on one topic',
      '## Streamed answers',
      '## Sharding',
    ];
    const at = order.map((heading) => page.indexOf(heading));
    assert.ok(
      at.every((i) => i >= 0),
      `every section present: ${order.filter((_, i) => at[i] < 0)}`,
    );
    assert.deepEqual(
      [...at].sort((a, b) => a - b),
      at,
      'in order',
    );
    assert.match(page, /Generated by `pnpm bench -- --check` on 2026-12-06\.\n\nmachine of pnpm bench -- --check/);
    assert.match(page, /!\[Clients on one topic\]\(benchmarks-curves-clients\.svg\)/);
    assert.match(readFileSync(join(dir, 'benchmarks-curves-clients.svg'), 'utf8'), /ssekit-node/);
  });
});

describe('runCurves against real servers', () => {
  it('topics and replay: every client gets its topic’s events, and its missed ones, once and in order', async () => {
    const { runCurves } = await import('../src/curves.mjs');
    const curves = await runCurves({
      dimensions: ['topics', 'replay'],
      variants: ['baseline', 'ssekit-fastify'],
      pinned: false,
      rounds: 1,
      deadline: Date.now() + 120_000,
      fdLimit: 4096,
      log: () => {},
      meta: meta('test'),
      plan: { topics: { clients: 20, points: [1, 5] }, replay: { clients: 10, points: [10, 50] } },
    });
    for (const [dimension, c] of Object.entries(curves)) {
      for (const [variant, points] of Object.entries(c.points)) {
        assert.equal(points.length, 2, `${variant} ${dimension}: ${JSON.stringify(points)}`);
        for (const p of points) {
          assert.equal(p.error, undefined, `${variant} ${dimension}: ${p.error}`);
          assert.equal(p.errors, 0, `${variant} ${dimension} at ${p.x}: sequence errors`);
          assert.equal(p.closed, 0);
        }
      }
    }
    assert.ok(curves.topics.points['ssekit-fastify'][1].usPerEvent > 0);
    assert.ok(curves.replay.points['ssekit-fastify'].every((p) => p.catchUpMs > 0));
  });
});
