/** SVG path data for a sparkline: the line, the area under it, and where the last point is. */
export interface Sparkline {
  line: string;
  area: string;
  last: { x: number; y: number } | undefined;
}

/**
 * Lays `values` out over `width` × `height`, oldest on the left edge and newest on the right, from
 * 0 up to a little above the largest value, so a flat series sits low rather than in the middle.
 */
export function sparkline(values: readonly number[], width: number, height: number): Sparkline {
  if (values.length === 0) return { line: '', area: '', last: undefined };
  const top = Math.max(...values, 0) * 1.15 || 1;
  // One value has no slope yet: show it as a point on the right edge.
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const offset = values.length > 1 ? 0 : width;
  const points = values.map((value, i) => ({
    x: round(offset + i * step),
    y: round(height - (Math.max(value, 0) / top) * (height - 2) - 1),
  }));
  const line = points.map((p, i) => `${i ? 'L' : 'M'}${p.x} ${p.y}`).join(' ');
  const first = points[0] as { x: number };
  const last = points[points.length - 1] as { x: number; y: number };
  return { line, area: `${line} L${last.x} ${height} L${first.x} ${height} Z`, last };
}

const round = (n: number) => Math.round(n * 10) / 10;
