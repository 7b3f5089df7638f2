// The cost curves as Markdown (a section per dimension: what was measured, the chart, a table per
// metric, each curve's growth) and as SVG charts (src/chart.mjs), from `results.curves`.
import { lineCharts, tickLabel } from './chart.mjs';
import { growth } from './curve-budgets.mjs';
import { NO_REPLAY } from './curves.mjs';

const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/** What each dimension measures: its x axis and its metrics (`scale` turns the stored unit into the shown one). */
export const DIMENSION_INFO = {
  clients: {
    title: 'Clients on one topic',
    xLabel: 'clients',
    describe: (plan) =>
      `${plan.points.map((n) => n.toLocaleString('en-US')).join(', ')} clients on the broadcast stream, ${plan.freshServers ? 'a fresh server process per point' : 'added to one server process point after point (older runs)'} (the last point is what one process holds under its file-descriptor limit; the load generator is one process too). At each point: CPU per delivered event (paced fan-out, about 100,000 deliveries a round), p99 of publish-to-delivery latency with 4 events a second for 2 s (one event's fan-out alone takes N x the CPU per event), heap and RSS per idle stream after GC.`,
    metrics: [
      { key: 'usPerEvent', label: 'CPU µs / delivered event' },
      { key: 'p99', label: 'paced p99 latency, ms' },
      { key: 'heapPerStream', label: 'heap KB / idle stream', scale: 1 / 1024, digits: 1 },
      { key: 'rssPerStream', label: 'RSS KB / idle stream', scale: 1 / 1024, digits: 1 },
    ],
  },
  topics: {
    title: 'Topics, the same total subscribers',
    xLabel: 'topics',
    describe: (plan) =>
      `${plan.clients.toLocaleString('en-US')} clients spread evenly over ${plan.points.map((n) => n.toLocaleString('en-US')).join(', ')} topics (client i on topic i mod T, a fresh server per point); each published event goes to every topic, one publish per topic, so every client gets each one once. ssekit subscribes with \`topics\`, the hand-written servers and the peers keep a \`Map\` of sets (better-sse a channel per topic). CPU per delivered event, paced p99 (4 events a second for 2 s), heap per idle stream, and heap per stream once the events went out (after GC: what they left behind, such as a replay history per topic: every event of the point, warm-up included, went to every topic).`,
    metrics: [
      { key: 'usPerEvent', label: 'CPU µs / delivered event' },
      { key: 'p99', label: 'paced p99 latency, ms' },
      { key: 'heapPerStream', label: 'heap KB / idle stream', scale: 1 / 1024, digits: 1 },
      { key: 'heapAfterPerStream', label: 'heap KB / stream after the events', scale: 1 / 1024, digits: 1 },
    ],
  },
  size: {
    title: 'Event size',
    xLabel: 'event size (SSE block)',
    xUnit: 'bytes',
    describe: (plan) =>
      `${plan.clients.toLocaleString('en-US')} clients (fewer than the other curves: at 64 KB a round is already ${Math.round((plan.clients * 65536 * 5) / 2 ** 20)} MB or more through loopback, and the load generator parses every byte), events of about ${plan.points.map((b) => tickLabel(b, 'bytes')).join(', ')} (the whole SSE block). CPU per delivered event and per delivered KB, paced p99 (4 events a second for 2 s).`,
    metrics: [
      { key: 'usPerEvent', label: 'CPU µs / delivered event' },
      { key: 'usPerKB', label: 'CPU µs / delivered KB', digits: 3, logY: true },
      { key: 'p99', label: 'paced p99 latency, ms' },
    ],
  },
  replay: {
    title: 'Replay length',
    xLabel: 'events replayed per client',
    describe: (plan) =>
      `${plan.clients.toLocaleString('en-US')} clients reconnecting at once with a \`Last-Event-ID\` N events back (N = ${plan.points.map((n) => n.toLocaleString('en-US')).join(', ')}), on a server whose history holds them (ssekit: \`history: { historySize }\` of the in-memory transport), no live events meanwhile. CPU per replayed event is the server's CPU from the first connect until every client has every event, less that of the same clients reconnecting with nothing to replay; catch-up time runs from the first connect to the last event in; peak RSS is above the server's RSS before they connected (sampled every 20 ms). The baseline keeps the last events' Buffers in an array and writes a client's missed events in one \`res.write\` of their concatenation (a copy per client, no pacing); \`fastify-sse\` keeps the history in the app and sends it with \`reply.sse.replay\`, one awaited \`send\` per event, as its README shows. ${Object.entries(
        NO_REPLAY,
      )
        .map(([variant]) => `\`${variant}\``)
        .join(', ')} have no replay (${Object.entries(NO_REPLAY)
        .map(([variant, why]) => `${variant}: ${why}`)
        .join('; ')}).`,
    metrics: [
      { key: 'usPerReplayed', label: 'CPU µs / replayed event', digits: 3 },
      { key: 'catchUpMs', label: 'time until all caught up, ms', logY: true, digits: 0 },
      { key: 'peakRssMB', label: 'server peak RSS above idle, MB', digits: 1 },
    ],
  },
};

const value = (point, metric) => (Number.isFinite(point?.[metric.key]) ? point[metric.key] * (metric.scale ?? 1) : Number.NaN);
const spansDecades = (xs) => xs.length > 1 && Math.max(...xs) / Math.min(...xs) >= 10;

/** One SVG per dimension: a panel per metric, a line per variant. */
export function curveCharts(curves) {
  const charts = {};
  for (const [dimension, info] of Object.entries(DIMENSION_INFO)) {
    const curve = curves?.[dimension];
    if (!curve) continue;
    const xs = curve.meta.plan?.points ?? [];
    const panels = info.metrics.map((metric) => ({
      title: metric.label,
      xLabel: info.xLabel,
      yLabel: metric.label,
      xUnit: info.xUnit,
      logX: spansDecades(xs),
      logY: metric.logY,
      series: Object.entries(curve.points).map(([name, points]) => ({
        name,
        points: points.filter((p) => Number.isFinite(p.x)).map((p) => [p.x, value(p, metric)]),
      })),
    }));
    charts[dimension] = lineCharts(`${info.title}: lower is better`, panels);
  }
  return charts;
}

/** Markdown lines of the curves, `## ` per dimension; `svg(dimension)` is the chart's file name. */
export function curvesSection(curves, svg) {
  const lines = [];
  for (const [dimension, info] of Object.entries(DIMENSION_INFO)) {
    const curve = curves?.[dimension];
    if (!curve) continue;
    const xs = curve.meta.plan?.points ?? [];
    lines.push(`## ${info.title}`, '');
    lines.push(
      `Measured by \`${curve.meta.command ?? 'pnpm bench -- --curves'}\` on ${curve.meta.date ?? 'an unrecorded date'}. ${curve.meta.machine ?? ''}`,
      '',
    );
    if (curve.meta.note) lines.push(`**${curve.meta.note}**`, '');
    lines.push(info.describe(curve.meta.plan ?? { points: xs, clients: 0 }), '');
    lines.push(`![${info.title}](${svg(dimension)})`, '');
    const head = `| variant | ${xs.map((x) => tickLabel(x, info.xUnit)).join(' | ')} |`;
    const rule = `| --- |${xs.map(() => ' ---: |').join('')}`;
    for (const metric of info.metrics) {
      lines.push(`**${metric.label}** (ratio to baseline at the same point)`, '', head, rule);
      for (const [variant, points] of Object.entries(curve.points)) {
        const cells = xs.map((x) => {
          const p = points.find((q) => q.x === x);
          if (!p) return '–';
          if (p.skipped) return 'skipped';
          if (p.error) return 'failed';
          const v = value(p, metric);
          const b = value(
            curve.points.baseline?.find((q) => q.x === x),
            metric,
          );
          return variant !== 'baseline' && Number.isFinite(b) && b > 0 && Number.isFinite(v)
            ? `${fmt(v, metric.digits)} (${fmt(v / b)}x)`
            : fmt(v, metric.digits);
        });
        lines.push(`| ${variant} | ${cells.join(' | ')} |`);
      }
      lines.push('');
    }
    lines.push(...shape(curve, info), '');
  }
  return lines;
}

/** Each variant's growth end to end (the first metric), the errors, the skipped and failed points. */
function shape(curve, info) {
  const lines = [];
  const metric = info.metrics[0];
  const base = growth(curve.points.baseline, metric.key);
  const growths = Object.entries(curve.points)
    .map(([variant, points]) => [variant, growth(points, metric.key)])
    .filter(([, g]) => Number.isFinite(g));
  if (growths.length > 0) {
    lines.push(
      `Growth of ${metric.label.replace(/^CPU/, 'CPU')} from the first point to the last: ${growths.map(([variant, g]) => `${variant} ${fmt(g)}x${variant !== 'baseline' && Number.isFinite(base) ? ` (${fmt(g / base)} of the baseline's)` : ''}`).join(', ')}.`,
      '',
    );
  }
  const problems = [];
  for (const [variant, points] of Object.entries(curve.points)) {
    for (const p of points) {
      if (p.error) problems.push(`${variant}${p.x === undefined ? '' : ` at ${tickLabel(p.x, info.xUnit)}`}: failed (${p.error})`);
      else if (p.errors || p.closed)
        problems.push(`${variant} at ${tickLabel(p.x, info.xUnit)}: ${p.errors} sequence errors, ${p.closed} streams closed`);
    }
  }
  lines.push(
    problems.length === 0
      ? 'Every event arrived once and in order at every point (0 sequence errors, 0 streams closed).'
      : `Errors: ${problems.join('; ')}.`,
  );
  if (curve.skipped?.length) lines.push('', `Skipped (time limit): ${curve.skipped.join(', ')}.`);
  return lines;
}
