#!/usr/bin/env node
// The capacity run: as many concurrent streams as the machine holds, over several server
// processes sharing one redis-server (Redis Streams transport), with the load in processes of
// its own. Not part of `pnpm bench`.
//   node src/capacity.mjs --streams 2000 --servers 2 --loaders 2 --seconds 10 --no-write   (a quick look)
//   node src/capacity.mjs --streams 50000 --servers 4 --loaders 4 --seconds 60              (the full run, quiet machine)
// Ramps up in batches and stops at the first failure (EMFILE, ports, HTTP 503, timeouts, a server
// gone, memory running out), then publishes one event per second for --seconds to every stream
// reached and reports lost events, latency, memory per stream and the ceiling with its reason.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createBroker } from '@ssekit/core';
import { createRedisTransport } from '@ssekit/redis';
import { cpuMicros, fdLimits, startChild } from './capacity-process.mjs';
import { capacityMarkdown, explainFailures } from './capacity-report.mjs';
import { composeDocs, toJson } from './docs.mjs';
import { startRedis } from './redis-server.mjs';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '2000' },
    servers: { type: 'string', default: '2' },
    loaders: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '10' },
    batch: { type: 'string', default: '250' },
    heartbeat: { type: 'string', default: '15000' },
    'fd-limit': { type: 'string', default: '20000' },
    'connect-timeout': { type: 'string', default: '20000' },
    'min-free-memory': { type: 'string', default: '1024' },
    note: { type: 'string' },
    out: { type: 'string', default: 'benchmarks-capacity' },
    'no-write': { type: 'boolean', default: false },
    'time-limit': { type: 'string', default: '900' },
  },
});
const target = Number(values.streams);
const serverCount = Number(values.servers);
const loaderCount = Number(values.loaders);
const seconds = Number(values.seconds);
const batch = Number(values.batch);
const TOPIC = 'capacity';
/** Descriptors a server keeps for itself (Redis connections, stdio, epoll, /proc reads). */
const FD_RESERVE = 64;
const log = (message) => console.error(`[capacity] ${message}`);
const timeLimit = setTimeout(() => {
  console.error(`capacity run exceeded its ${values['time-limit']} s limit`);
  process.exit(2);
}, Number(values['time-limit']) * 1000);
timeLimit.unref();

/** The children still running (a server that died is reported, not called). */
const live = (list) => list.filter((c) => c.alive());
/** `call` on each child, undefined for one that died, so figures stay aligned with their process. */
const callEach = (list, type) => Promise.all(list.map((c) => (c.alive() ? c.call(type).catch(() => undefined) : undefined)));

async function waitFor(condition, what, timeout) {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      log(`timed out after ${timeout / 1000} s waiting for: ${what}`);
      return false;
    }
    await sleep(100);
  }
  log(`${what}`);
  return true;
}

// --- The plan: what each process and each source address must hold. --------------------------
const limits = fdLimits();
const fdLimit = Math.min(Number(values['fd-limit']), limits.hard);
const [portLow, portHigh] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
const portsPerAddress = portHigh - portLow + 1;
const perLoader = Math.ceil(target / loaderCount);
const addressesPerLoader = Math.ceil(perLoader / (portsPerAddress - 1000)); // a margin for other users of the loopback
const addresses = Array.from({ length: loaderCount }, (_, l) =>
  Array.from(
    { length: addressesPerLoader },
    (_, a) => `127.0.${Math.floor((2 + l * addressesPerLoader + a) / 256)}.${(2 + l * addressesPerLoader + a) % 256}`,
  ),
);
const plan = {
  target,
  servers: serverCount,
  loaders: loaderCount,
  seconds,
  batch,
  heartbeat: Number(values.heartbeat),
  fdLimit,
  fdLimitBefore: limits,
  serverMaxConnections: fdLimit - FD_RESERVE,
  portsPerAddress,
  addressesPerLoader,
  perServer: Math.ceil(target / serverCount),
  perLoader,
};
log(`plan: ${JSON.stringify(plan)}`);
if (plan.perServer + 64 > fdLimit)
  log(`warning: ${plan.perServer} streams per server against an fd limit of ${fdLimit}: expect EMFILE; add --servers`);
if (plan.perLoader + 64 > fdLimit)
  log(`warning: ${plan.perLoader} streams per loader against an fd limit of ${fdLimit}: expect EMFILE; add --loaders`);

// --- Start everything. -------------------------------------------------------------------------
const redis = await startRedis();
const children = [];
process.on('exit', () => {
  for (const child of children) child.stop();
});
const servers = await Promise.all(
  Array.from({ length: serverCount }, () =>
    startChild('./capacity-server.mjs', [String(redis.port), TOPIC, values.heartbeat, String(plan.serverMaxConnections)], { fdLimit }),
  ),
);
children.push(...servers);
const ports = servers.map((s) => s.ready.port);
const loaders = await Promise.all(
  addresses.map((list) =>
    startChild('./capacity-load.mjs', [JSON.stringify({ ports, addresses: list, connectTimeout: Number(values['connect-timeout']) })], {
      fdLimit,
    }),
  ),
);
children.push(...loaders);
log(`redis-server :${redis.port}, servers :${ports.join(', :')}, loaders from ${addresses.map((a) => a.join('+')).join(', ')}`);
const memoryBefore = await Promise.all(servers.map((s) => s.call('memory')));

// --- Ramp up in batches; the first failure is the ceiling. ---------------------------------------
const ramp = { started: performance.now(), failures: {}, stoppedBy: undefined };
const quota = loaders.map((_, l) => Math.floor(target / loaderCount) + (l < target % loaderCount ? 1 : 0));
const openedBy = loaders.map(() => 0);
let opened = 0;
while (opened < target) {
  const round = loaders.map((loader, l) => loader.call('open', { count: Math.min(batch, quota[l] - openedBy[l]) }));
  let results;
  try {
    results = await Promise.all(round);
  } catch (error) {
    ramp.stoppedBy = { kind: 'process', detail: error.message };
    break;
  }
  const before = opened;
  results.forEach((r, l) => {
    openedBy[l] = r.opened;
  });
  opened = openedBy.reduce((n, o) => n + o, 0);
  for (const r of results) for (const [code, n] of Object.entries(r.failures)) ramp.failures[code] = (ramp.failures[code] ?? 0) + n;
  const serverGone = servers.find((s) => !s.alive());
  const dropped = (await Promise.all(live(servers).map((s) => s.call('count')))).reduce((n, c) => n + c.dropped, 0);
  if (serverGone) ramp.stoppedBy = { kind: 'process', detail: `a server exited (${JSON.stringify(serverGone.exit)})` };
  else if (dropped > 0) ramp.stoppedBy = { kind: 'server-fds', detail: { dropped, failures: ramp.failures } };
  else if (Object.keys(ramp.failures).length > 0) ramp.stoppedBy = { kind: 'connect', detail: ramp.failures };
  else if (os.freemem() / 2 ** 20 < Number(values['min-free-memory'])) {
    ramp.stoppedBy = { kind: 'memory', detail: `free memory under ${values['min-free-memory']} MB` };
  } else if (opened === before) ramp.stoppedBy = { kind: 'stall', detail: 'a round opened nothing' };
  if (ramp.stoppedBy) break;
  if (Math.floor(opened / 5000) > Math.floor(before / 5000)) log(`${opened} streams open`);
}
ramp.seconds = (performance.now() - ramp.started) / 1000;
log(`ramp: ${opened} streams in ${ramp.seconds.toFixed(1)} s${ramp.stoppedBy ? `, stopped: ${JSON.stringify(ramp.stoppedBy)}` : ''}`);

const admitted = async () => (await Promise.all(live(servers).map((s) => s.call('count')))).reduce((n, r) => n + r.count, 0);
await waitFor(async () => (await admitted()) >= opened, `${opened} streams admitted by the servers`, 60_000);
const serverStats = await callEach(servers, 'count');
const memoryAfter = await callEach(servers, 'memory');

// --- Publish one event per second; every stream must get every one, in order. ---------------------
const publisher = createBroker({ transport: createRedisTransport({ redis: `redis://127.0.0.1:${redis.port}` }), heartbeatInterval: 0 });
await Promise.all(loaders.map((l) => l.call('expect', { events: seconds })));
const cpuBefore = await callEach(servers, 'cpu');
const loaderCpuBefore = await callEach(loaders, 'cpu');
const loadStart = os.loadavg()[0];
const publishStart = performance.now();
const publishErrors = [];
for (let seq = 0; seq < seconds; seq++) {
  const due = publishStart + seq * 1000 - performance.now();
  if (due > 0) await sleep(due); // the publishing schedule itself, not synchronisation
  const data = `{"s":${seq},"t":${(performance.timeOrigin + performance.now()).toFixed(3)}}`;
  publisher.publish(TOPIC, { data }).catch((error) => publishErrors.push(error.message));
}
const progress = async () => (await Promise.all(loaders.map((l) => l.call('progress')))).reduce((n, p) => n + p.complete, 0);
const delivered = await waitFor(async () => (await progress()) >= opened, 'every event delivered', 30_000);
const window = (performance.now() - publishStart) / 1000;
const cpuAfter = await callEach(servers, 'cpu');
const loaderCpuAfter = await callEach(loaders, 'cpu');
const results = await Promise.all(loaders.map((l) => l.call('result')));
await publisher.close();

// --- Report. ---------------------------------------------------------------------------------------
const buckets = new Map();
for (const r of results) for (const [i, n] of r.buckets) buckets.set(i, (buckets.get(i) ?? 0) + n);
const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
const samples = sorted.reduce((n, [, c]) => n + c, 0);
const quantile = (q) => {
  let seen = 0;
  for (const [i, n] of sorted) {
    seen += n;
    if (seen >= q * samples) return i * results[0].bucketMs;
  }
  return Number.NaN;
};
const streams = results.reduce((n, r) => n + r.streams, 0);
const sum = (list, f) => list.reduce((n, x) => n + f(x), 0);
/** Bytes per stream the servers that are still up gained while their streams opened, after GC. */
const perStream = (field) => {
  const up = servers.map((_, i) => i).filter((i) => memoryAfter[i] && memoryBefore[i]);
  const gained = sum(up, (i) => memoryAfter[i][field] - memoryBefore[i][field]);
  return gained / sum(up, (i) => serverStats[i]?.count ?? 0);
};
const result = {
  date: new Date().toISOString().slice(0, 10),
  machine: `Node ${process.version}, ${os.cpus()[0]?.model.split(' ').slice(0, 2).join(' ')}, ${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
  note: values.note,
  plan,
  streams,
  rampSeconds: ramp.seconds,
  stoppedBy: ramp.stoppedBy,
  explanation: explainFailures(ramp.stoppedBy, plan, { delivered, lost: sum(results, (r) => r.lost) }),
  events: seconds,
  delivered,
  lost: sum(results, (r) => r.lost),
  orderErrors: sum(results, (r) => r.errors),
  closedStreams: sum(results, (r) => r.closed),
  publishErrors: publishErrors.length,
  p50: quantile(0.5),
  p99: quantile(0.99),
  max: sorted.length ? sorted[sorted.length - 1][0] * results[0].bucketMs : Number.NaN,
  heapPerStream: perStream('heapUsed'),
  rssPerStream: perStream('rss'),
  serverRss: memoryAfter.map((m) => m?.rss ?? Number.NaN),
  loaderRss: results.map((r) => r.rss),
  perServer: serverStats.map((s) => s?.count ?? 0),
  serverErrors: Object.assign({}, ...serverStats.map((s) => s?.errors)),
  // Share of one core each server used while publishing (until every event was delivered).
  serverCpu: cpuAfter.map((after, i) => (after ? (cpuMicros(after.cpu) - cpuMicros(cpuBefore[i].cpu)) / 1e6 / window : Number.NaN)),
  // CPU µs per delivered event, all servers together: the figure to scale to other stream counts.
  cpuPerDelivery:
    sum(
      cpuAfter.map((after, i) => (after ? cpuMicros(after.cpu) - cpuMicros(cpuBefore[i].cpu) : 0)),
      (x) => x,
    ) / Math.max(1, streams * seconds),
  loaderCpuPerDelivery:
    sum(
      loaderCpuAfter.map((after, i) => (after ? cpuMicros(after.cpu) - cpuMicros(loaderCpuBefore[i].cpu) : 0)),
      (x) => x,
    ) / Math.max(1, streams * seconds),
  streamsPerAddress: Math.max(...results.map((r) => r.streams)) / plan.addressesPerLoader,
  serverLoopDelayP99: cpuAfter.map((c) => c?.loopDelayP99 ?? Number.NaN),
  loadAverage: [loadStart, os.loadavg()[0]],
};
const rounded = (_key, value) => (typeof value === 'number' && !Number.isInteger(value) ? Number(value.toFixed(3)) : value);
console.log(JSON.stringify(result, rounded, 2));
if (!values['no-write']) {
  const docs = new URL('../../../docs/', import.meta.url);
  writeFileSync(new URL(`${values.out}.json`, docs), toJson(JSON.parse(JSON.stringify(result, rounded))));
  writeFileSync(new URL(`${values.out}.md`, docs), capacityMarkdown(result));
  await composeDocs();
  log(`wrote docs/${values.out}.md and .json, and docs/benchmarks.md`);
}
for (const child of children) await child.call('exit').catch(() => {});
redis.stop();
const failed = result.lost > 0 || result.orderErrors > 0 || !delivered;
process.exit(failed ? 1 : 0);
