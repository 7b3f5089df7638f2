// The scenarios. Each returns plain numbers; ratios are computed by the report.
import { setTimeout as sleep } from 'node:timers/promises';
import { latencies, openClients, percentile } from './load.mjs';
import { openH2Clients } from './load-h2.mjs';

export async function waitFor(condition, what, timeout = 120_000) {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const cpuMicros = ({ user, system }) => user + system;

/**
 * Connects `count` clients (raw HTTP/1.1 sockets, or HTTP/2 streams on a few sessions for an `h2-`
 * variant) and waits until the server has admitted them all.
 */
export async function connect(server, count) {
  const clients = await (server.protocol === 'h2' ? openH2Clients : openClients)(server.port, count);
  await waitFor(async () => (await server.call('count')).count === count, `${count} clients admitted`);
  return clients;
}

/**
 * Publishes `events` events once (paced: one a turn of the server's loop; burst: all in one tick)
 * and returns the server CPU time per delivered event, in microseconds, once every client has
 * them. With `topics` (a count), each event goes to every topic `t0` … (each client is on one).
 */
export async function cpuRound(server, clients, { events, pad, mode, state, topics }) {
  const first = state.seq;
  state.seq += events;
  for (const c of clients) if (c.next === -1) c.next = first;
  const before = (await server.call('cpu')).cpu;
  await server.call('publish', { events, firstSeq: first, pad, mode, interval: 0, topics });
  await waitFor(() => clients.every((c) => c.next >= state.seq || c.closed), 'every event delivered');
  const after = (await server.call('cpu')).cpu;
  return (cpuMicros(after) - cpuMicros(before)) / (events * clients.length);
}

/** Sequence errors (lost, duplicated, reordered events) seen by `clients` so far. */
export const sequenceErrors = (clients) => clients.reduce((sum, c) => sum + c.errors, 0);

/**
 * Publishes `events` events `rounds` times (after one warm-up round) and returns the median server
 * CPU time per delivered event, in microseconds, plus the sequence errors seen (see {@link cpuRound}).
 */
export async function cpuPerDelivery(server, clients, options) {
  const samples = [];
  for (let round = 0; round <= options.rounds; round++) {
    const sample = await cpuRound(server, clients, options);
    if (round > 0) samples.push(sample);
  }
  return { usPerEvent: percentile(samples, 50), errors: sequenceErrors(clients) };
}

/**
 * Publishes at `rate` events per second for `seconds` (to each of `topics` topics when given) and
 * returns every delivery's latency (ms).
 */
export async function pacedLatencies(server, clients, { rate, seconds, pad, state, topics }) {
  latencies.length = 0;
  for (const c of clients) c.recordLatency = true;
  const events = Math.round(rate * seconds);
  const first = state.seq;
  state.seq += events;
  await server.call('publish', { events, firstSeq: first, pad, mode: 'paced', interval: 1000 / rate, topics });
  await waitFor(() => clients.every((c) => c.next >= state.seq || c.closed), 'paced events delivered');
  for (const c of clients) c.recordLatency = false;
  return [...latencies];
}

/** {@link pacedLatencies}, as the p50 and p99 (ms). */
export async function pacedLatency(server, clients, options) {
  const all = await pacedLatencies(server, clients, options);
  return { p50: percentile(all, 50), p99: percentile(all, 99) };
}

/** Heap and RSS the server holds per idle connection, after GC. */
export async function idleMemory(server, count) {
  const before = await server.call('memory');
  const clients = await connect(server, count);
  const after = await server.call('memory');
  return {
    clients,
    heapPerConnection: (after.heapUsed - before.heapUsed) / count,
    rssPerConnection: (after.rss - before.rss) / count,
  };
}
