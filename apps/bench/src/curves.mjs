// The cost curves (`pnpm bench -- --curves clients,topics,size,replay`): how CPU per delivered
// event, p99 latency and memory per stream grow with the number of clients, of topics, with event
// size and with replay length, one line per variant. Every event is sequence-checked; errors are
// kept per point. Each point is bounded: past the run's deadline the remaining points are skipped
// (and say so) instead of the whole run being lost.
import { destroyAll, openClients } from './load.mjs';
import { cpuPerDelivery, pacedLatency, waitFor } from './measure.mjs';
import { setFdLimit, withServer } from './process.mjs';

export const DIMENSIONS = ['clients', 'topics', 'size', 'replay'];
/** The order dimensions run in: the cheapest first, so the time they leave goes to the heaviest. */
const RUN_ORDER = ['size', 'replay', 'topics', 'clients'];
/**
 * The default `--curve-variants`, in the order they run on each curve: when a dimension's share of
 * the time runs out, the rest are skipped, so the baseline and the adapters every curve needs come
 * first. `ssekit-koa`, `ssekit-hono` and `floor` take the variants a full run on 2 cores has no
 * time for: name them to add them (`--curve-variants baseline,ssekit-koa,ssekit-hono,floor`).
 */
export const CURVE_VARIANTS = [
  'baseline',
  'ssekit-fastify',
  'ssekit-express',
  'ssekit-node',
  'better-sse',
  'fastify-sse',
  'hono-streamsse',
];
/** Variants with no replay of their own: left out of the replay curve (the report says so). */
export const NO_REPLAY = { floor: 'no HTTP layer, no history', 'better-sse': 'keeps no history', 'hono-streamsse': 'keeps no history' };
/** Descriptors each process keeps for itself besides one per client. */
const FD_RESERVE = 1000;
const PAD_OVERHEAD = 44; // {"s":…,"t":…,"p":""} and the id:/event:/data: lines around it
/** Paced latency: events a second and seconds (each event's fan-out alone takes N x CPU per event). */
const PACE = { rate: 4, seconds: 2 };

/** The points of each dimension: the full run, or `quick` (small, for trying things). */
export function curvePlan({ quick, fdLimit }) {
  const most = Math.max(1000, fdLimit - FD_RESERVE);
  return quick
    ? {
        clients: { points: [200, 500, 1000, 2000], freshServers: true },
        topics: { clients: 1000, points: [1, 100, 1000] },
        size: { clients: 200, points: [100, 4096, 65536] },
        replay: { clients: 200, points: [10, 100, 1000] },
      }
    : {
        clients: { points: [...new Set([1000, 5000, 10000, most].filter((n) => n <= most))], freshServers: true },
        topics: { clients: 10000, points: [1, 100, 10000] },
        size: { clients: 1000, points: [100, 4096, 65536] },
        replay: { clients: 1000, points: [10, 100, 1000, 10000] },
      };
}

/** Events a round: about 100,000 deliveries (at least 5 events), fewer for big events. */
function eventsPerRound(clients, bytes = 100) {
  const byCount = Math.round(100_000 / clients);
  const byBytes = Math.floor(100e6 / (clients * bytes));
  return Math.max(5, Math.min(100, byCount, byBytes));
}

const errorsOf = (list) => list.reduce((sum, c) => sum + c.errors, 0);
const closedOf = (list) => list.reduce((sum, c) => sum + (c.closed ? 1 : 0), 0);
const short = (error) => String(error?.message ?? error).slice(0, 160);

/** Opens `count` more clients (`request(i)` their options) and waits until the server holds `total`. */
async function connectMore(server, count, total, request) {
  const list = await openClients(server.port, count, 250, request);
  await waitFor(async () => (await server.call('count')).count === total, `${total} clients admitted`, 60_000);
  return list;
}

/**
 * Runs the curves of `dimensions` for `variants` and returns `{ [dimension]: { meta, points:
 * { [variant]: [{ x, ... }] }, skipped } }`. `deadline` (ms since epoch): later points are skipped.
 * `plan` replaces {@link curvePlan}'s points (the tests use tiny ones).
 */
export async function runCurves({
  dimensions,
  variants,
  quick,
  pinned,
  rounds,
  deadline,
  fdLimit,
  log,
  meta,
  plan = curvePlan({ quick, fdLimit }),
}) {
  setFdLimit(process.pid, fdLimit); // the load generator runs in this process: one descriptor per client
  const server = (brokerOptions) => ({ pinned, fdLimit, brokerOptions: { ids: true, ...brokerOptions } });
  const out = {};
  const scenarios = { clients: clientsCurve, topics: topicsCurve, size: sizeCurve, replay: replayCurve };
  for (const dimension of dimensions)
    if (!scenarios[dimension]) throw new Error(`--curves takes ${DIMENSIONS.join(', ')}, not ${dimension}`);
  const ordered = RUN_ORDER.filter((d) => dimensions.includes(d));
  for (const [i, dimension] of ordered.entries()) {
    const run = scenarios[dimension];
    // Each dimension gets an even share of the time left, so a slow one cannot starve the others.
    const share = Date.now() + (deadline - Date.now()) / (ordered.length - i);
    const late = () => Date.now() > share;
    const started = Date.now();
    const curve = { meta: { ...meta, plan: plan[dimension] }, points: {}, skipped: [] };
    out[dimension] = curve;
    for (const variant of variants) {
      if (dimension === 'replay' && NO_REPLAY[variant]) continue;
      if (late()) {
        curve.skipped.push(variant);
        continue;
      }
      log(`${variant}: ${dimension} curve (${plan[dimension].points.join(', ')})`);
      curve.points[variant] = await run(variant, plan[dimension], { server, late, rounds }).catch((error) => [{ error: short(error) }]);
    }
    curve.meta.seconds = Math.round((Date.now() - started) / 1000);
  }
  return out;
}

/**
 * One topic, N clients, a fresh server per point (clients added to one long-lived server made its
 * later points dearer for reasons of that server's history, not of N): CPU per event, paced p99,
 * heap and RSS per idle stream. Past the first failed point the larger ones are not tried.
 */
async function clientsCurve(variant, plan, { server, late, rounds }) {
  const points = [];
  for (const n of plan.points) {
    if (late()) {
      points.push({ x: n, skipped: true });
      continue;
    }
    const point = await withServer(variant, server(), async (s) => {
      const before = await s.call('memory');
      let list = [];
      try {
        list = await connectMore(s, n, n);
        const memory = await s.call('memory');
        const state = { seq: 0 };
        const cpu = await cpuPerDelivery(s, list, { events: eventsPerRound(n), rounds, pad: 56, mode: 'paced', state });
        const latency = await pacedLatency(s, list, { ...PACE, pad: 56, state });
        return {
          x: n,
          usPerEvent: cpu.usPerEvent,
          p50: latency.p50,
          p99: latency.p99,
          heapPerStream: (memory.heapUsed - before.heapUsed) / n,
          rssPerStream: (memory.rss - before.rss) / n,
          errors: errorsOf(list),
          closed: closedOf(list),
        };
      } catch (error) {
        return { x: n, error: short(error), closed: closedOf(list) };
      } finally {
        destroyAll(list);
      }
    });
    points.push(point);
    if (point.error) break;
  }
  return points;
}

/** The same clients spread evenly over 1 … T topics; each round sends one event to every topic. */
async function topicsCurve(variant, plan, { server, late, rounds }) {
  const points = [];
  const clients = plan.clients;
  for (const topics of plan.points) {
    if (late()) {
      points.push({ x: topics, skipped: true });
      continue;
    }
    points.push(
      await withServer(variant, server(), async (s) => {
        const before = await s.call('memory');
        let list = [];
        try {
          list = await connectMore(s, clients, clients, (i) => ({ path: `/?topic=t${i % topics}` }));
          const memory = await s.call('memory');
          const state = { seq: 0 };
          const cpu = await cpuPerDelivery(s, list, { events: eventsPerRound(clients), rounds, pad: 56, mode: 'paced', state, topics });
          const latency = await pacedLatency(s, list, { ...PACE, pad: 56, state, topics });
          const kept = await s.call('memory');
          return {
            x: topics,
            usPerEvent: cpu.usPerEvent,
            p50: latency.p50,
            p99: latency.p99,
            heapPerStream: (memory.heapUsed - before.heapUsed) / clients,
            // What the events left behind (ssekit: its replay history, per topic), per stream.
            heapAfterPerStream: (kept.heapUsed - before.heapUsed) / clients,
            eventsSent: state.seq,
            errors: errorsOf(list),
            closed: closedOf(list),
          };
        } catch (error) {
          return { x: topics, error: short(error), closed: closedOf(list) };
        } finally {
          destroyAll(list);
        }
      }),
    );
  }
  return points;
}

/** The same clients, events of ~100 B, 4 KB, 64 KB: CPU per event and per KB, paced p99. */
async function sizeCurve(variant, plan, { server, late, rounds }) {
  return withServer(variant, server(), async (s) => {
    const points = [];
    let list = [];
    const state = { seq: 0 };
    try {
      list = await connectMore(s, plan.clients, plan.clients);
    } catch (error) {
      return [{ error: short(error) }];
    }
    for (const bytes of plan.points) {
      if (late()) {
        points.push({ x: bytes, skipped: true });
        continue;
      }
      try {
        const pad = bytes - PAD_OVERHEAD;
        const errorsBefore = errorsOf(list);
        const cpu = await cpuPerDelivery(s, list, { events: eventsPerRound(plan.clients, bytes), rounds, pad, mode: 'paced', state });
        const latency = await pacedLatency(s, list, { ...PACE, pad, state });
        points.push({
          x: bytes,
          usPerEvent: cpu.usPerEvent,
          usPerKB: cpu.usPerEvent / (bytes / 1024),
          p50: latency.p50,
          p99: latency.p99,
          errors: errorsOf(list) - errorsBefore,
          closed: closedOf(list),
        });
      } catch (error) {
        points.push({ x: bytes, error: short(error), closed: closedOf(list) });
        break;
      }
    }
    destroyAll(list);
    return points;
  });
}

/**
 * Clients reconnecting all at once with a `Last-Event-ID` N events back, N = 10 … 10,000, on a
 * server whose history holds them (no live events meanwhile). CPU per replayed event is the CPU of
 * connecting and catching up, less that of the same clients connecting with nothing to replay;
 * `catchUpMs` runs from the first connect until every client has every event; `peakRssMB` is the
 * server's peak RSS above its RSS before they connected.
 */
async function replayCurve(variant, plan, { server, late }) {
  const longest = Math.max(...plan.points);
  const last = longest + 10; // seq of the newest event: history holds 0 … last
  return withServer(variant, server({ history: { historySize: last + 1, historyMaxAge: 3_600_000 } }), async (s) => {
    await s.call('publish', { events: last + 1, firstSeq: 0, pad: 56, mode: 'burst', interval: 0 });
    const reconnect = async (n) => {
      const from = last - n;
      const rssBefore = (await s.call('memory')).rss;
      await s.call('peak-rss-reset');
      const cpuBefore = (await s.call('cpu')).cpu;
      const started = performance.now();
      const list = await openClients(s.port, plan.clients, 250, () => ({ lastEventId: String(from), next: from + 1 }));
      try {
        await waitFor(() => list.every((c) => c.next > last || c.closed), `${plan.clients} clients caught up from ${n} back`, 120_000);
        const catchUpMs = performance.now() - started;
        const cpuAfter = (await s.call('cpu')).cpu;
        const { peakRss } = await s.call('peak-rss');
        const cpu = cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system;
        return { cpu, catchUpMs, peakRssMB: (peakRss - rssBefore) / 2 ** 20, errors: errorsOf(list), closed: closedOf(list) };
      } finally {
        destroyAll(list);
        await waitFor(async () => (await s.call('count')).count === 0, 'replaying clients gone', 60_000);
      }
    };
    const points = [];
    let reference;
    try {
      await reconnect(0); // warm-up: the first connections of a fresh process cost more
      const [a, b] = [await reconnect(0), await reconnect(0)];
      reference = { cpu: (a.cpu + b.cpu) / 2 };
    } catch (error) {
      return [{ error: short(error) }];
    }
    for (const n of plan.points) {
      if (late()) {
        points.push({ x: n, skipped: true });
        continue;
      }
      try {
        const r = await reconnect(n);
        points.push({
          x: n,
          usPerReplayed: Math.max(0, r.cpu - reference.cpu) / (plan.clients * n),
          catchUpMs: r.catchUpMs,
          peakRssMB: r.peakRssMB,
          errors: r.errors,
          closed: r.closed,
        });
      } catch (error) {
        points.push({ x: n, error: short(error) });
        break;
      }
    }
    return points;
  });
}
