// The main scenario: fan-out, burst, paced latency and idle memory of every variant, each measured
// in rounds interleaved with the references' (the hand-written baseline and the raw-socket floor).
//
// The references' servers stay up for the whole scenario, each with its own clients, and every
// round of a variant sits between rounds of theirs, in an order that turns each round. A ratio is
// the median of the ratios of rounds measured side by side: on a 2-core machine the CPU cost of a
// round moves by ±10% from one round to the next and more from one minute to the next (most of it
// the kernel's loopback work, which depends on what the load generator is doing), and ratios of
// figures taken minutes apart moved by as much as the budgets they were held to.
import { destroyAll, percentile } from './load.mjs';
import { cpuRound, idleMemory, pacedLatencies, sequenceErrors } from './measure.mjs';
import { startServer } from './process.mjs';

/**
 * Runs the scenario. `references[0]` is the base every variant is paired with for fan-out, burst
 * and latency; the other references (the floor) are paired with on fan-out only, and measured on
 * their own for the rest. Returns `{ [variant]: { fanout, burst, latency, memory } }`, references
 * first, where a paired figure carries `vs: { [reference]: median ratio }`.
 *
 * @param {object} options
 * @param {string[]} options.variants every variant, references included (those not listed are skipped)
 * @param {string[]} options.references the references, base first
 * @param {number} options.clients clients per server
 * @param {(variant: string) => number} options.roundsOf fan-out rounds of a variant (after its warm-up)
 * @param {number} options.burstRounds burst rounds of each variant
 * @param {(variant: string) => boolean} [options.isPeer] a variant held to no budget: one burst, no burst warm-up
 * @param {number} options.events events of a fan-out round
 * @param {number} options.burstEvents events of a burst (one tick)
 * @param {number} options.pad payload padding
 * @param {{ rate: number, seconds: number } | undefined} options.latency paced rate and seconds per variant (none: no latency)
 * @param {(server: object) => Promise<object>} [options.info] what to add to a variant's result from its server (a version)
 * @param {boolean} options.pinned servers pinned to core 0
 * @param {(message: string) => void} options.log
 */
export async function runMain(options) {
  const { variants, clients, pad, log } = options;
  const references = options.references.filter((r) => variants.includes(r));
  const fanout = { events: options.events, pad, mode: 'paced' };
  const burst = { events: options.burstEvents, pad, mode: 'burst' };
  const isPeer = options.isPeer ?? (() => false);
  const open = async (variant) => {
    const server = await startServer(variant, { pinned: options.pinned });
    try {
      const info = options.info ? await options.info(server) : {};
      const memory = await idleMemory(server, clients);
      const side = { variant, server, info, clients: memory.clients, state: { seq: 0 }, fanout: [], burst: [], latencies: [] };
      side.memory = { heapPerConnection: memory.heapPerConnection, rssPerConnection: memory.rssPerConnection };
      // Warm-up rounds, not counted. A peer's burst is not warmed up: Hono's streamSSE takes 30 s
      // for one at N = 5,000, and no budget reads it.
      await cpuRound(server, side.clients, { ...fanout, state: side.state });
      if (!isPeer(variant)) await cpuRound(server, side.clients, { ...burst, state: side.state });
      return side;
    } catch (error) {
      server.stop();
      throw error;
    }
  };
  const sample = async (side, kind) => {
    const value = await cpuRound(side.server, side.clients, { ...(kind === 'fanout' ? fanout : burst), state: side.state });
    side[kind].push(value);
    return value;
  };
  const window = async (side, seconds) => {
    const lats = await pacedLatencies(side.server, side.clients, { ...options.latency, seconds, pad, state: side.state });
    append(side.latencies, lats);
    return lats;
  };
  const close = (side) => {
    destroyAll(side.clients);
    side.server.stop();
  };

  const refs = [];
  const results = {};
  try {
    for (const variant of references) {
      log(`${variant}: reference, up for the whole scenario (N = ${clients})`);
      refs.push(await open(variant));
    }
    const [base, ...others] = refs;
    // What the references are not paired on: measured on their own.
    for (const ref of others) {
      for (let r = 0; r < options.burstRounds; r++) await sample(ref, 'burst');
      if (options.latency) await window(ref, options.latency.seconds);
    }
    const measured = variants.filter((v) => !references.includes(v));
    if (measured.length === 0) {
      for (const ref of refs) for (let r = 0; r < options.roundsOf(ref.variant); r++) await sample(ref, 'fanout');
      if (base) {
        for (let r = 0; r < options.burstRounds; r++) await sample(base, 'burst');
        if (options.latency) await window(base, options.latency.seconds);
      }
    }
    const paired = {};
    for (const variant of measured) {
      log(`${variant}: fan-out, burst, latency and idle memory at N = ${clients}, rounds beside ${references.join(', ')}`);
      const side = await open(variant);
      try {
        const burstRounds = isPeer(variant) ? 1 : options.burstRounds;
        paired[variant] = {
          ...side.info,
          ...(await measurePaired(side, refs, { ...options, burstRounds, sample, window })),
          memory: side.memory,
        };
      } finally {
        close(side);
      }
    }
    for (const ref of refs) {
      results[ref.variant] = {
        ...ref.info,
        fanout: { usPerEvent: percentile(ref.fanout, 50), errors: sequenceErrors(ref.clients) },
        burst: { usPerEvent: percentile(ref.burst, 50), errors: 0 },
        latency: options.latency ? { p50: percentile(ref.latencies, 50), p99: percentile(ref.latencies, 99) } : undefined,
        memory: ref.memory,
      };
    }
    Object.assign(results, paired);
    return results;
  } finally {
    for (const ref of refs) close(ref);
  }
}

/** Each list of ratios of `byReference`, rounded to 4 decimals. */
function fourDecimals(byReference) {
  return Object.fromEntries(Object.entries(byReference).map(([name, list]) => [name, list.map((v) => Math.round(v * 1e4) / 1e4)]));
}

/** Appends `values` to `list` (a window holds 150,000 latencies: too many to spread as arguments). */
function append(list, values) {
  for (const value of values) list.push(value);
}

/** A variant's rounds, each beside the references' (fan-out) or the base's (burst, latency). */
async function measurePaired(side, refs, { roundsOf, burstRounds, latency, sample, window }) {
  const [base] = refs;
  const ratios = Object.fromEntries(refs.map((ref) => [ref.variant, []]));
  const group = [...refs, side];
  for (let r = 0; r < roundsOf(side.variant); r++) {
    const order = [...group.slice(r % group.length), ...group.slice(0, r % group.length)];
    const round = new Map();
    for (const s of order) round.set(s, await sample(s, 'fanout'));
    for (const ref of refs) ratios[ref.variant].push(round.get(side) / round.get(ref));
  }
  const burstRatios = [];
  for (let r = 0; r < burstRounds; r++) {
    const pair = r % 2 === 0 ? [base, side] : [side, base];
    const round = new Map();
    for (const s of pair) round.set(s, await sample(s, 'burst'));
    burstRatios.push(round.get(side) / round.get(base));
  }
  // Latency in windows A B B A (base, variant, variant, base): the same time of the run for both.
  const mine = [];
  const theirs = [];
  if (latency) for (const s of [base, side, side, base]) append(s === side ? mine : theirs, await window(s, latency.seconds / 2));
  const vs = (values) => Object.fromEntries(Object.entries(values).map(([name, list]) => [name, percentile(list, 50)]));
  return {
    // `rounds`: every paired ratio (4 decimals: a stored list then fits one line), for the spread behind the median.
    fanout: { usPerEvent: percentile(side.fanout, 50), errors: sequenceErrors(side.clients), vs: vs(ratios), rounds: fourDecimals(ratios) },
    burst: { usPerEvent: percentile(side.burst, 50), errors: 0, vs: { [base.variant]: percentile(burstRatios, 50) } },
    latency: latency
      ? { p50: percentile(mine, 50), p99: percentile(mine, 99), vs: { [base.variant]: percentile(mine, 99) / percentile(theirs, 99) } }
      : undefined,
  };
}
