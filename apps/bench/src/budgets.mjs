// The budgets `pnpm bench --check` enforces, as ratios to the baseline measured in the same run
// (paired ratios where the run measured them side by side: see paired.mjs).
import { ratioTo } from './paired.mjs';

const ADAPTERS = ['ssekit-fastify', 'ssekit-express', 'ssekit-koa'];
const ALL = [...ADAPTERS, 'ssekit-hono'];
/**
 * The idle-heap budget's reference per variant: `baseline` (raw `node:http`) unless named here.
 * Express 5 itself costs most of `ssekit-express`'s heap (plain Express pays the same; see the
 * README), so that row is held against `plain-express`; core keeps its own row against `baseline`.
 */
const HEAP_REFERENCE = { 'ssekit-express': 'plain-express' };

/** Returns `{ name, limit, actual, pass }` rows from the run's results. */
export function checkBudgets(results) {
  const rows = [];
  const base = results.main.baseline;
  const add = (name, actual, limit) => rows.push({ name, actual, limit, pass: Number.isFinite(actual) && actual <= limit });
  const core = results.main['ssekit-node'];
  if (core && base) {
    add('ssekit-node: heap per idle connection / baseline', core.memory.heapPerConnection / base.memory.heapPerConnection, 1.3);
  }
  // Node's floor: raw socket writes of pre-framed chunks. Core within 1.05x of it, every Node
  // adapter within 1.10x (events carry `id:` and `event:` lines, one event per turn of the loop).
  const floor = results.main.floor;
  if (floor) {
    for (const variant of ['ssekit-node', ...ALL]) {
      const r = results.main[variant];
      if (r)
        add(`${variant}: CPU per delivered event / floor`, ratioTo(r, 'fanout', 'floor', floor), variant === 'ssekit-node' ? 1.05 : 1.1);
    }
  }
  // Paced latency (5,000 clients, 20 events/s): every adapter's p99 within 1.10x of the baseline's.
  if (base) {
    for (const variant of ['ssekit-node', ...ALL]) {
      const r = results.main[variant];
      if (r) add(`${variant}: paced p99 latency / baseline`, ratioTo(r, 'latency', 'baseline', base), 1.1);
    }
  }
  for (const variant of ALL) {
    const r = results.main[variant];
    if (!r || !base) continue;
    add(`${variant}: CPU per delivered event / baseline`, ratioTo(r, 'fanout', 'baseline', base), variant === 'ssekit-hono' ? 1.25 : 1.1);
    add(`${variant}: burst CPU per delivered event / baseline burst`, ratioTo(r, 'burst', 'baseline', base), 0.5);
    const reference = HEAP_REFERENCE[variant] ?? 'baseline';
    const heapBase = results.main[reference];
    if (heapBase) {
      add(`${variant}: heap per idle connection / ${reference}`, r.memory.heapPerConnection / heapBase.memory.heapPerConnection, 1.3);
    }
    add(`${variant}: sequence errors`, r.fanout.errors + r.burst.errors, 0);
  }
  for (const [runtime, variants] of Object.entries(results.runtimes ?? {})) {
    const r = variants['ssekit-hono'];
    const runtimeBase = variants.baseline;
    if (!r || !runtimeBase) continue;
    const baseName = `${runtime}:baseline`;
    add(`ssekit-hono on ${runtime}: CPU per delivered event / ${runtime} baseline`, ratioTo(r, 'fanout', baseName, runtimeBase), 1);
    add(
      `ssekit-hono on ${runtime}: burst CPU per delivered event / ${runtime} baseline burst`,
      ratioTo(r, 'burst', baseName, runtimeBase),
      1,
    );
    add(`ssekit-hono on ${runtime}: sequence errors`, r.fanout.errors + r.burst.errors, 0);
  }
  for (const [variant, r] of Object.entries(results.h2 ?? {})) {
    add(`${variant} (HTTP/2): sequence errors`, r.fanout.errors + r.burst.errors, 0);
  }
  const slow = results.slow?.['ssekit-fastify'];
  if (slow) {
    add('slow clients: extra peak RSS / (byte cap x slow clients)', slow.extraPeakRss / (slow.cap * slow.slowClients), 1);
    add("slow clients: others' p99 / p99 without slow clients", slow.withSlow.p99 / slow.without.p99, 1.5);
    add('slow clients: events lost by the others', slow.othersErrors, 0);
  }
  return rows;
}
