import type { Metrics } from '../shared/events.js';
import { byId, h } from './dom.js';
import { sparkline } from './sparkline.js';

const SERIES = [
  { key: 'eventsPerSecond', label: 'Events delivered', unit: '/s' },
  { key: 'connections', label: 'Open streams', unit: '' },
  { key: 'loopDelayMs', label: 'Event-loop delay p99', unit: 'ms' },
  { key: 'heapUsedMb', label: 'Heap used', unit: 'MB' },
] as const satisfies ReadonlyArray<{ key: keyof Metrics; label: string; unit: string }>;

/** Half a minute of samples at one per second. */
const CAPACITY = 30;
const WIDTH = 240;
const HEIGHT = 64;
const SVG = 'http://www.w3.org/2000/svg';

/** A card per metric: the latest value and an SVG sparkline of the last minute. */
export function createMetricsPanel() {
  const container = byId('charts');
  const charts = SERIES.map((series) => {
    const value = h('strong', {}, '–');
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    const area = document.createElementNS(SVG, 'path');
    area.setAttribute('class', 'area');
    const line = document.createElementNS(SVG, 'path');
    line.setAttribute('class', 'line');
    svg.append(area, line);
    // The dot is HTML over the stretched SVG, so it stays round at any card width.
    const dot = h('span', { class: 'dot', hidden: true });
    container.append(
      h(
        'figure',
        { class: 'metric', 'data-metric': series.key },
        h('figcaption', {}, series.label),
        h('div', { class: 'value' }, value, h('small', {}, series.unit)),
        h('div', { class: 'plot' }, svg, dot),
      ),
    );
    return { series, values: [] as number[], value, area, line, dot };
  });

  return {
    update(metrics: Metrics): void {
      for (const chart of charts) {
        const current = metrics[chart.series.key];
        chart.values.push(current);
        if (chart.values.length > CAPACITY) chart.values.shift();
        chart.value.textContent = String(current);
        const shape = sparkline(chart.values, WIDTH, HEIGHT);
        chart.line.setAttribute('d', shape.line);
        chart.area.setAttribute('d', shape.area);
        if (shape.last) {
          chart.dot.hidden = false;
          chart.dot.style.left = `${(shape.last.x / WIDTH) * 100}%`;
          chart.dot.style.top = `${(shape.last.y / HEIGHT) * 100}%`;
        }
      }
    },
  };
}
