#!/usr/bin/env node
// The benchmark: every variant measured in one run, written to docs/benchmarks.md and .svg.
//   pnpm bench                      budgets profile: N = 5,000, slow clients, churn
//   pnpm bench -- --check           exit non-zero when a budget is missed
//   pnpm bench -- --sizes 1000,5000,10000   add the fan-out sweep
//   pnpm bench -- --quick           small and fast (N = 500), for trying things out
//   pnpm bench -- --no-main --no-churn --no-write   the slow-client scenario alone
//   pnpm bench -- --runtimes bun,deno --no-main --no-slow --no-churn   Bun and Deno alone
//   pnpm bench -- --protocol h2 --no-slow --no-churn --out benchmarks-http2   HTTP/2 fan-out alone
//   pnpm bench -- --curves clients,topics,size,replay --no-main --no-slow --no-churn   the cost curves
//   pnpm bench -- --compose-only    rebuild docs/benchmarks.md from the stored results, run nothing
// Each scenario stores its results in docs/benchmarks-<scenario>.json (+ .md, .svg); every write
// recomposes docs/benchmarks.md from all the stored results (src/docs.mjs).
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { checkBudgets } from './budgets.mjs';
import { fdLimits } from './capacity-process.mjs';
import { curveBudgets } from './curve-budgets.mjs';
import { CURVE_VARIANTS, DIMENSIONS, runCurves } from './curves.mjs';
import { composeDocs, storeRun } from './docs.mjs';
import { destroyAll, openClient } from './load.mjs';
import { STREAMS_PER_SESSION } from './load-h2.mjs';
import { runMain } from './main-scenario.mjs';
import { connect, cpuPerDelivery, waitFor } from './measure.mjs';
import { pin, withServer } from './process.mjs';
import { machineLine, markdown } from './report.mjs';
import { SLOW, slowScenario } from './slow-clients.mjs';
import { certificate } from './tls.mjs';

const ALL_VARIANTS = [
  'baseline',
  'floor',
  'ssekit-node',
  'ssekit-fastify',
  'ssekit-express',
  'plain-express',
  'ssekit-koa',
  'ssekit-hono',
  'better-sse',
  'fastify-sse',
  'hono-streamsse',
];
/** Run on each runtime of `--runtimes`, each measured against that runtime's own `baseline`. */
const WEB_VARIANTS = ['baseline', 'ssekit-hono', 'hono-streamsse'];
/** Run with `--protocol h2`: HTTP/2 over TLS, measured against `h2-baseline`. */
const H2_VARIANTS = ['h2-baseline', 'h2-compat', 'h2-ssekit-node', 'h2-ssekit-fastify'];
const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    clients: { type: 'string' },
    sizes: { type: 'string' },
    variants: { type: 'string', default: ALL_VARIANTS.join(',') },
    runtimes: { type: 'string' },
    'runtime-variants': { type: 'string', default: WEB_VARIANTS.join(',') },
    protocol: { type: 'string', default: 'h1' },
    'h2-variants': { type: 'string', default: H2_VARIANTS.join(',') },
    note: { type: 'string' },
    rounds: { type: 'string', default: '6' },
    'peer-rounds': { type: 'string', default: '2' },
    'no-main': { type: 'boolean', default: false },
    'no-slow': { type: 'boolean', default: false },
    'no-churn': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    out: { type: 'string' },
    curves: { type: 'string' },
    'curve-variants': { type: 'string', default: CURVE_VARIANTS.join(',') },
    'curve-rounds': { type: 'string', default: '1' },
    'fd-limit': { type: 'string', default: '20000' },
    'compose-only': { type: 'boolean', default: false },
    'time-limit': { type: 'string' },
  },
});
if (values['compose-only']) {
  const written = await composeDocs();
  console.error(`[bench] composed ${written} from the stored results`);
  process.exit();
}
const clients = Number(values.clients ?? (values.quick ? 500 : 5000));
const rounds = Number(values.rounds);
/**
 * The peers are not held to budgets and are the slowest (Hono's streamSSE alone took about half of
 * the default run at 3 rounds): their fan-out is the median of `--peer-rounds` rounds after the
 * warm-up, which keeps the default run under 10 minutes. So is `plain-express`'s (held to nothing
 * but as the heap reference of `ssekit-express`).
 */
const PEERS = new Set(['better-sse', 'fastify-sse', 'hono-streamsse', 'plain-express']);
const isPeer = (variant) => PEERS.has(variant.replace(/^\w+:/, ''));
const roundsOf = (variant) => (isPeer(variant) ? Math.min(rounds, Number(values['peer-rounds'])) : rounds);
const variants = values.variants.split(',');
const protocols = values.protocol.split(',');
for (const p of protocols) if (p !== 'h1' && p !== 'h2') throw new Error(`--protocol takes h1, h2 or h1,h2, not ${p}`);
/** Events of a fan-out round: short rounds, more of them, interleaved with the references'. */
const EVENTS = 25;
/** Events of a burst (published in one tick), and burst rounds per variant. */
const BURST_EVENTS = 100;
const BURST_ROUNDS = 3;
/** Paced latency: 20 events a second, 3 s per variant (two windows of 1.5 s beside two of the baseline). */
const LATENCY = { rate: 20, seconds: 3 };
const startedAt = Date.now();
const PAD = 56; // {"s":…,"t":…,"p":"…"} comes to ~100 bytes with the SSE framing
// A run with curves only is bounded at 15 minutes unless told otherwise; any other at 25.
const curvesOnly = values.curves && values['no-main'] && values['no-slow'] && values['no-churn'] && !values.runtimes && !values.sizes;
const timeLimitSeconds = Number(values['time-limit'] ?? (curvesOnly ? 900 : 1500));
const timeLimit = setTimeout(() => {
  console.error(`benchmark exceeded its ${timeLimitSeconds} s limit`);
  process.exit(2);
}, timeLimitSeconds * 1000);
timeLimit.unref();

const pinned = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return os.availableParallelism() > 1;
  } catch {
    return false;
  }
})();
pin(process.pid, 1, pinned); // load generator on core 1, servers on core 0
const log = (message) => {
  const seconds = Math.round((Date.now() - startedAt) / 1000);
  console.error(`[bench +${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s] ${message}`);
};
/** A command-line argument as the shell needs it to come back the same. */
const quoted = (arg) => (/[\s"'$`\\]/.test(arg) ? `'${arg.replaceAll("'", `'\\''`)}'` : arg);
/** The command that made this run, as the docs show it. */
function commandLine() {
  return `pnpm bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).map(quoted).join(' ')}` : ''}`;
}

async function fanoutAt(variant, count) {
  return withServer(variant, { pinned }, async (server) => {
    const list = await connect(server, count);
    const result = await cpuPerDelivery(server, list, { events: EVENTS, rounds, pad: PAD, mode: 'paced', state: { seq: 0 } });
    destroyAll(list);
    return result;
  });
}

const CHURN = { clients: 1000, churners: 100, events: 300 };

async function churnScenario(variant) {
  return withServer(variant, { pinned }, async (server) => {
    const steady = await connect(server, CHURN.clients - CHURN.churners);
    let reconnects = 0;
    let churnDeliveries = 0;
    let running = true;
    const churner = async () => {
      while (running) {
        const c = await openClient(server.port);
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
        churnDeliveries += c.received;
        c.socket.destroy();
        reconnects++;
      }
    };
    const loops = Array.from({ length: CHURN.churners }, churner);
    const state = { seq: 0 };
    for (const c of steady) c.next = 0;
    const before = (await server.call('cpu')).cpu;
    const events = CHURN.events;
    await server.call('publish', { events, firstSeq: 0, pad: PAD, mode: 'paced', interval: 2 });
    state.seq = events;
    await waitFor(() => steady.every((c) => c.next >= state.seq), 'steady clients received every event');
    const after = (await server.call('cpu')).cpu;
    running = false;
    await Promise.all(loops);
    const micros = after.user + after.system - before.user - before.system;
    destroyAll(steady);
    return {
      usPerEvent: micros / (events * steady.length + churnDeliveries),
      reconnects,
      errors: steady.reduce((sum, c) => sum + c.errors, 0),
    };
  });
}

/** The main scenario's settings (see `main-scenario.mjs`): references up throughout, rounds interleaved. */
const mainOptions = {
  clients,
  pinned,
  roundsOf,
  isPeer,
  burstRounds: BURST_ROUNDS,
  events: EVENTS,
  burstEvents: BURST_EVENTS,
  pad: PAD,
  latency: LATENCY,
  log,
};
const results = { main: {} };
if (!values['no-main'] && protocols.includes('h1')) {
  results.main = await runMain({ ...mainOptions, variants, references: ['baseline', 'floor'] });
}
if (protocols.includes('h2')) {
  certificate(); // once, before the servers start: they read it from the environment
  results.h2 = await runMain({ ...mainOptions, variants: values['h2-variants'].split(','), references: ['h2-baseline'] });
}
if (values.runtimes) {
  results.runtimes = {};
  for (const runtime of values.runtimes.split(',')) {
    // Fan-out and burst, each runtime's variants in rounds beside that runtime's own baseline.
    const measured = await runMain({
      ...mainOptions,
      variants: values['runtime-variants'].split(',').map((variant) => `${runtime}:${variant}`),
      references: [`${runtime}:baseline`],
      latency: undefined,
      info: async (server) => ({ version: (await server.call('version')).version }),
    });
    results.runtimes[runtime] = Object.fromEntries(Object.entries(measured).map(([name, r]) => [name.slice(runtime.length + 1), r]));
  }
}
if (values.sizes) {
  results.sizes = {};
  for (const variant of variants) {
    results.sizes[variant] = {};
    for (const n of values.sizes.split(',').map(Number)) {
      log(`${variant}: fan-out at N = ${n}`);
      results.sizes[variant][n] = await fanoutAt(variant, n);
    }
  }
}
if (values.curves) {
  const dimensions = values.curves === 'all' ? DIMENSIONS : values.curves.split(',');
  // Points stop 2 minutes before the time limit (a point at 19,000 clients of a slow peer takes
  // about a minute), so what was measured is still written.
  const deadline = startedAt + timeLimitSeconds * 1000 - 120_000;
  const fdLimit = Math.min(Number(values['fd-limit']), fdLimits().hard);
  results.curves = await runCurves({
    dimensions,
    variants: values['curve-variants'].split(','),
    quick: values.quick,
    pinned,
    rounds: Number(values['curve-rounds']),
    deadline,
    fdLimit,
    log,
    meta: { command: commandLine(), date: new Date().toISOString().slice(0, 10), machine: machineLine(pinned), fdLimit, note: values.note },
  });
}
if (!values['no-slow']) {
  results.slow = {};
  for (const variant of ['baseline', 'ssekit-fastify'].filter((v) => variants.includes(v))) {
    log(`${variant}: slow clients`);
    results.slow[variant] = await slowScenario(variant, { pinned });
  }
}
if (!values['no-churn']) {
  results.churn = {};
  for (const variant of ['baseline', 'ssekit-fastify'].filter((v) => variants.includes(v))) {
    log(`${variant}: connection churn`);
    results.churn[variant] = await churnScenario(variant);
  }
}

const budgets = [...checkBudgets(results), ...curveBudgets(results.curves)];
const meta = {
  command: commandLine(),
  machine: machineLine(pinned),
  date: new Date().toISOString().slice(0, 10),
  pinned,
  clients,
  rounds,
  peerRounds: Math.min(rounds, Number(values['peer-rounds'])),
  note: values.note,
  streamsPerSession: STREAMS_PER_SESSION,
  events: EVENTS,
  burstEvents: BURST_EVENTS,
  burstRounds: BURST_ROUNDS,
  eventBytes: 100,
  slow: SLOW,
  churn: CHURN,
  out: values.out,
};
const report = markdown(results, budgets, meta);
console.log(`\n${machineLine(pinned)}\n`);
console.log(report);
if (!values['no-write']) {
  const files = await storeRun({ results, budgets, meta, out: values.out });
  log(`wrote ${files.join(', ')}`);
}
const failed = budgets.filter((b) => !b.pass);
if (values.check && failed.length > 0) {
  console.error(
    `\n${failed.length} budget(s) missed:\n${failed.map((b) => `  ${b.name}: ${b.actual.toFixed(2)} > ${b.limit}`).join('\n')}`,
  );
  process.exitCode = 1;
}
process.exit();
