// SVG line charts of the cost curves, no dependencies: panels side by side, x the dimension (log
// scale when it spans decades), y the metric as measured, one line per variant, the baseline
// drawn distinctly (black, thick, dashed), one legend for all panels.

const PANEL = { width: 360, height: 250, left: 58, right: 14, top: 30, bottom: 44 };
const COLUMNS = 2;
/** Colours by variant: ssekit in blues and greens, the peers in warm colours, references in greys. */
const COLOURS = {
  baseline: '#000',
  floor: '#888',
  'ssekit-node': '#1f4fd1',
  'ssekit-fastify': '#2f9fdd',
  'ssekit-express': '#18a058',
  'ssekit-koa': '#7a3fd1',
  'ssekit-hono': '#0aa3a3',
  'better-sse': '#d08a2e',
  'fastify-sse': '#d1452f',
  'hono-streamsse': '#b5369b',
};
const FALLBACK = ['#555', '#a0522d', '#6b8e23', '#4682b4'];

const esc = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v) => (Number.isFinite(v) ? Number(v.toFixed(1)) : 0);

/** A short label for an axis tick: 1k, 10k, 64K for bytes, 0.5, 12. */
export function tickLabel(value, unit) {
  if (unit === 'bytes') return value >= 1024 ? `${Math.round(value / 1024)} KB` : `${value} B`;
  if (value >= 1000 && value % 1000 === 0) return `${value / 1000}k`;
  if (value >= 1000) return `${(value / 1000).toFixed(1)}k`;
  if (value >= 100 || Number.isInteger(value)) return String(Math.round(value));
  return value >= 10 ? value.toFixed(0) : value.toFixed(value >= 1 ? 1 : 2);
}

/** Evenly spaced round ticks from 0 to at least `max`. */
function linearTicks(max) {
  if (!(max > 0)) return [0, 1];
  const step = 10 ** Math.floor(Math.log10(max / 4));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * step).find((s) => max / s <= 5) ?? step * 10;
  const ticks = [];
  for (let t = 0; t <= max + nice * 0.001; t += nice) ticks.push(Number(t.toPrecision(6)));
  if (ticks.at(-1) < max) ticks.push(Number((ticks.at(-1) + nice).toPrecision(6)));
  return ticks;
}

/** Powers of ten covering [min, max] (with the ends themselves when they fall between). */
function logTicks(min, max) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) ticks.push(10 ** e);
  return ticks;
}

/**
 * One panel: `{ title, xLabel, yLabel, xUnit, logX, logY, series: [{ name, points: [[x, y]] }] }`.
 * Returns its SVG elements, placed at (`ox`, `oy`).
 */
function panel(p, ox, oy) {
  const { width, height, left, right, top, bottom } = PANEL;
  const all = p.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const xTicks = p.logX ? [...new Set(xs)].sort((a, b) => a - b) : linearTicks(Math.max(...xs, 1));
  const xMin = p.logX ? Math.min(...xTicks) : 0;
  const xMax = Math.max(...xTicks);
  const yPositive = ys.filter((y) => y > 0);
  const yTicks =
    p.logY && yPositive.length > 0 ? logTicks(Math.min(...yPositive), Math.max(...yPositive)) : linearTicks(Math.max(...ys, 0) * 1.05);
  const yMin = p.logY ? yTicks[0] : 0;
  const yMax = yTicks.at(-1);
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const scale = (v, lo, hi, log) => {
    if (hi === lo) return 0.5;
    return log ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
  };
  const px = (x) => ox + left + scale(x, xMin, xMax, p.logX) * plotW;
  const py = (y) => oy + top + plotH - scale(y, yMin, yMax, p.logY) * plotH;
  const out = [
    `<text x="${ox + left}" y="${oy + 18}" font-weight="600">${esc(p.title)}</text>`,
    `<rect x="${ox + left}" y="${oy + top}" width="${plotW}" height="${plotH}" fill="none" stroke="#ccc"/>`,
  ];
  for (const t of yTicks) {
    const y = num(py(t));
    out.push(
      `<line x1="${ox + left}" y1="${y}" x2="${ox + left + plotW}" y2="${y}" stroke="#eee"/>`,
      `<text x="${ox + left - 5}" y="${y + 4}" text-anchor="end" font-size="10">${esc(tickLabel(t))}</text>`,
    );
  }
  for (const t of xTicks) {
    const x = num(px(t));
    out.push(
      `<line x1="${x}" y1="${oy + top}" x2="${x}" y2="${oy + top + plotH}" stroke="#eee"/>`,
      `<text x="${x}" y="${oy + top + plotH + 14}" text-anchor="middle" font-size="10">${esc(tickLabel(t, p.xUnit))}</text>`,
    );
  }
  out.push(
    `<text x="${ox + left + plotW / 2}" y="${oy + height - 8}" text-anchor="middle" font-size="11">${esc(p.xLabel)}${p.logX ? ' (log scale)' : ''}</text>`,
    `<text transform="translate(${ox + 13} ${oy + top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="11">${esc(p.yLabel)}${p.logY ? ' (log)' : ''}</text>`,
  );
  // The baseline last, on top of the others.
  const ordered = [...p.series].sort((a, b) => (a.name === 'baseline') - (b.name === 'baseline'));
  for (const s of ordered) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length === 0) continue;
    const { colour, dash, widthPx } = style(s.name, p.series);
    const path = pts.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${num(px(x))} ${num(py(y))}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="${widthPx}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    for (const [x, y] of pts) out.push(`<circle cx="${num(px(x))}" cy="${num(py(y))}" r="2.5" fill="${colour}"/>`);
  }
  return out;
}

function style(name, series) {
  const colour = COLOURS[name] ?? FALLBACK[series.findIndex((s) => s.name === name) % FALLBACK.length];
  if (name === 'baseline') return { colour, dash: '7 4', widthPx: 3 };
  if (name === 'floor') return { colour, dash: '2 3', widthPx: 1.5 };
  return { colour, dash: /^ssekit/.test(name) ? undefined : '5 2', widthPx: 1.8 };
}

/** Panels in a grid of two columns under one title and one legend of every variant in them. */
export function lineCharts(title, panels) {
  const names = [...new Set(panels.flatMap((p) => p.series.map((s) => s.name)))];
  const legendRows = Math.ceil(names.length / 4);
  const legendTop = 30;
  const gridTop = legendTop + legendRows * 18 + 8;
  const rows = Math.ceil(panels.length / COLUMNS);
  const width = PANEL.width * Math.min(COLUMNS, panels.length);
  const height = gridTop + rows * PANEL.height;
  const legend = names.map((name, i) => {
    const x = 12 + (i % 4) * 175;
    const y = legendTop + Math.floor(i / 4) * 18;
    const { colour, dash, widthPx } = style(
      name,
      names.map((n) => ({ name: n })),
    );
    return `<line x1="${x}" y1="${y}" x2="${x + 26}" y2="${y}" stroke="${colour}" stroke-width="${widthPx}"${dash ? ` stroke-dasharray="${dash}"` : ''}/><text x="${x + 32}" y="${y + 4}">${esc(name)}</text>`;
  });
  const body = panels.flatMap((p, i) => panel(p, (i % COLUMNS) * PANEL.width, gridTop + Math.floor(i / COLUMNS) * PANEL.height));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">
  <rect width="100%" height="100%" fill="#fff"/>
  <text x="12" y="18" font-weight="700" font-size="13">${esc(title)}</text>
  ${legend.join('\n  ')}
  ${body.join('\n  ')}
</svg>
`;
}
