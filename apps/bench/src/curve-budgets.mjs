// The budgets `--check` holds the cost curves to: ssekit's curves keep the baseline's shape, and
// no event goes missing at any point. Growth is a curve's last point over its first.
const SSEKIT = /^ssekit-/;
/** How much steeper than the baseline's an ssekit curve may grow, end to end. */
export const GROWTH_LIMIT = 1.25;
/** CPU per replayed event at the longest replay over that at 100 events: a replay costs per event. */
export const REPLAY_GROWTH_LIMIT = 2;

/** The metric's last measured value over its first, or NaN. */
export function growth(points, metric) {
  const measured = (points ?? []).filter((p) => Number.isFinite(p[metric]) && p[metric] > 0);
  return measured.length < 2 ? Number.NaN : measured.at(-1)[metric] / measured[0][metric];
}

/** Returns `{ name, limit, actual, pass }` rows for the curves of a run (none without curves). */
export function curveBudgets(curves) {
  const rows = [];
  if (!curves) return rows;
  const add = (name, actual, limit) => rows.push({ name, actual, limit, pass: Number.isFinite(actual) && actual <= limit });
  for (const [dimension, metric] of [
    ['clients', 'usPerEvent'],
    ['topics', 'usPerEvent'],
  ]) {
    const curve = curves[dimension];
    const base = growth(curve?.points.baseline, metric);
    if (!curve || !Number.isFinite(base)) continue;
    for (const [variant, points] of Object.entries(curve.points)) {
      if (!SSEKIT.test(variant)) continue;
      add(`${variant}: CPU per event growth over the ${dimension} curve / baseline's growth`, growth(points, metric) / base, GROWTH_LIMIT);
    }
  }
  const replay = curves.replay;
  for (const [variant, points] of Object.entries(replay?.points ?? {})) {
    if (!SSEKIT.test(variant)) continue;
    const from = points.filter((p) => p.x >= 100 && Number.isFinite(p.usPerReplayed));
    if (from.length >= 2)
      add(`${variant}: CPU per replayed event, longest replay / 100 back`, growth(from, 'usPerReplayed'), REPLAY_GROWTH_LIMIT);
  }
  for (const [dimension, curve] of Object.entries(curves)) {
    for (const [variant, points] of Object.entries(curve.points)) {
      if (!SSEKIT.test(variant)) continue;
      const lost = points.reduce((sum, p) => sum + (p.errors ?? 0) + (p.closed ?? 0) + (p.error ? 1 : 0), 0);
      add(`${variant}: sequence errors, closed streams and failed points on the ${dimension} curve`, lost, 0);
    }
  }
  return rows;
}
