#!/usr/bin/env node
// Sharded streams of @ssekit/redis on a local Redis Cluster (3 masters, 3 replicas, started here):
// for S = 1, 3, 6 shards, publish throughput and per-node read cost, as ratios to S = 1.
// Not part of `pnpm bench`.
//   node src/shards.mjs --seconds 2 --no-write      (a quick look)
//   node src/shards.mjs --seconds 15                (the full run, quiet machine; writes docs/benchmarks-shards.{md,json})
//   node src/shards.mjs --single --seconds 2 --no-write   (one redis-server instead of the cluster)
//
// Each S uses its own stream key and these processes, all on the one cluster:
// - `--publishers` publisher processes, each keeping `--window` publishes in flight for `--seconds`,
//   round-robin over `--topics` topics spread evenly over the shards (topic i on shard i mod S);
// - two reader nodes (a transport each, the part of a node that sharding changes): one subscribed
//   to ONE topic, one to all of them. Each reports the CPU time its process used from the start of
//   the publishing until it has read every event of its topics, divided by the events it delivered.
// With S = 1 every node reads every event; with S shards the one-topic node reads shard 0 and its
// topic's shard only.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRedisTransport } from '@ssekit/redis';
import { freePort, startRedis } from './redis-server.mjs';

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    url: { type: 'string' },
    shards: { type: 'string', default: '1,3,6' },
    seconds: { type: 'string', default: '10' },
    publishers: { type: 'string', default: '3' },
    window: { type: 'string', default: '32' },
    topics: { type: 'string', default: '12' },
    subscribe: { type: 'string', default: 'one' },
    key: { type: 'string', default: 'bench:shards' },
    out: { type: 'string', default: 'benchmarks-shards' },
    note: { type: 'string' },
    single: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});
const topicCount = Number(values.topics);
const topics = Array.from({ length: topicCount }, (_, i) => `t${i}`);
const self = fileURLToPath(import.meta.url);

/** The transport of S shards, topic `t<i>` on shard i mod S. */
function transportFor(shards) {
  return createRedisTransport({
    redis: values.url,
    streamKey: `${values.key}:${shards}`,
    shards,
    shardOf: (topic) => Number(topic.slice(1)) % shards,
    maxLength: 100_000,
    timeout: 10_000,
  });
}

// ---------------------------------------------------------------- child roles

async function publisher() {
  const shards = Number(values.shards);
  const transport = transportFor(shards);
  const window = Number(values.window);
  let stop = false;
  let accepted = 0;
  let failed = 0;
  const perTopic = new Array(topicCount).fill(0);
  let next = Math.floor(Math.random() * topicCount);
  const frame = `data: ${JSON.stringify({ n: 0, text: 'x'.repeat(80) })}\n\n`;
  process.on('message', (message) => {
    if (message === 'stop') stop = true;
  });
  process.send?.('ready');
  await new Promise((resolve) => process.once('message', resolve)); // 'go'
  const started = performance.now();
  const lane = async () => {
    while (!stop) {
      const index = next++ % topicCount;
      try {
        await transport.publish([`#${topics[index]}`], frame);
        accepted++;
        perTopic[index]++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  process.send?.({ accepted, failed, perTopic, ms: performance.now() - started });
  await transport.close();
  process.exit(0);
}

async function reader() {
  const shards = Number(values.shards);
  const transport = transportFor(shards);
  const mine = values.subscribe === 'all' ? topics : [topics[1]];
  const channels = new Set(mine.map((topic) => `#${topic}`));
  let delivered = 0;
  let cpuStart;
  transport.subscribe({
    message(message) {
      if (message.channels.some((channel) => channels.has(channel))) delivered++;
    },
    gap() {},
  });
  // What a broker does for a stream on these topics.
  const needed = ['*', '@bench', ...channels];
  await transport.ready?.(needed);
  for (const channel of needed) transport.watch?.(channel);
  process.on('message', async (message) => {
    if (message === 'go') cpuStart = process.cpuUsage();
    if (message?.expect !== undefined) {
      while (delivered < message.expect) await sleep(20);
      const cpu = process.cpuUsage(cpuStart);
      process.send?.({ delivered, cpuUs: cpu.user + cpu.system, shardsRead: transport.stats?.().shardsRead ?? [0] });
      await transport.close();
      process.exit(0);
    }
  });
  process.send?.('ready');
}

// ---------------------------------------------------------------- the cluster

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}`))));
  });
}

async function until(check, what, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Six cluster-enabled redis-servers (no persistence) joined with one replica per master. */
async function startCluster() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssekit-shards-'));
  const nodes = [];
  const stop = () => {
    for (const node of nodes) node.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  for (let i = 0; i < 6; i++) {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        path.join(dir, `nodes-${port}.conf`),
        '--cluster-port',
        String(await freePort()),
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    nodes.push({ port, child });
  }
  for (const node of nodes)
    await until(() => run('redis-cli', ['-p', String(node.port), 'PING']).then((out) => out.includes('PONG')), 'redis-server');
  await run('redis-cli', [
    '--cluster',
    'create',
    ...nodes.map((node) => `127.0.0.1:${node.port}`),
    '--cluster-replicas',
    '1',
    '--cluster-yes',
  ]);
  for (const node of nodes) {
    await until(
      () => run('redis-cli', ['-p', String(node.port), 'CLUSTER', 'INFO']).then((out) => out.includes('cluster_state:ok')),
      'cluster ok',
    );
  }
  return { url: `redis+cluster://${nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`, stop };
}

// ---------------------------------------------------------------- main

function child(args) {
  const proc = fork(self, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages = [];
  const waiters = [];
  proc.on('message', (message) => {
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else messages.push(message);
  });
  return {
    proc,
    next: () => (messages.length > 0 ? Promise.resolve(messages.shift()) : new Promise((resolve) => waiters.push(resolve))),
  };
}

async function measure(url, shards) {
  const common = ['--url', url, '--shards', String(shards), '--topics', String(topicCount), '--key', values.key];
  const readers = ['one', 'all'].map((subscribe) => child(['--role', 'reader', '--subscribe', subscribe, ...common]));
  for (const node of readers) await node.next();
  const publishers = Array.from({ length: Number(values.publishers) }, () =>
    child(['--role', 'publish', '--window', values.window, ...common]),
  );
  for (const node of publishers) await node.next();
  for (const node of [...readers, ...publishers]) node.proc.send('go');
  await sleep(Number(values.seconds) * 1_000);
  for (const node of publishers) node.proc.send('stop');
  const results = [];
  for (const node of publishers) results.push(await node.next());
  const accepted = results.reduce((sum, result) => sum + result.accepted, 0);
  const failed = results.reduce((sum, result) => sum + result.failed, 0);
  const ms = Math.max(...results.map((result) => result.ms));
  const topicOne = results.reduce((sum, result) => sum + result.perTopic[1], 0);
  // Each reader reports once it has every event of its topics (topic t1 for the one-topic node).
  const [one, all] = await Promise.all(
    readers.map((node, i) => {
      node.proc.send({ expect: i === 1 ? accepted : topicOne });
      return node.next();
    }),
  );
  return {
    shards,
    publishedPerSecond: Math.round((accepted / ms) * 1000),
    failed,
    oneTopic: { cpuUsPerEvent: one.cpuUs / one.delivered, delivered: one.delivered, shardsRead: one.shardsRead },
    allTopics: { cpuUsPerEvent: all.cpuUs / all.delivered, delivered: all.delivered, shardsRead: all.shardsRead },
  };
}

async function main() {
  // --single: one redis-server instead of the cluster (where shards share one server's CPU).
  const cluster = values.single
    ? await startRedis().then((server) => ({ url: `redis://127.0.0.1:${server.port}`, stop: server.stop }))
    : await startCluster();
  const rows = [];
  try {
    for (const shards of values.shards.split(',').map(Number)) {
      const row = await measure(cluster.url, shards);
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  } finally {
    cluster.stop();
  }
  const base = rows.find((row) => row.shards === 1) ?? rows[0];
  const ratio = (value, of) => `${(value / of).toFixed(2)}x`;
  const command = `node apps/bench/src/shards.mjs${values.single ? ' --single' : ''} --seconds ${values.seconds} --publishers ${values.publishers} --window ${values.window} --topics ${topicCount}`;
  const lines = [
    '# Sharded Redis streams',
    '',
    `Generated by \`${command}\` on ${new Date().toISOString().slice(0, 10)}.`,
    '',
    ...(values.note ? [`> ${values.note}`, ''] : []),
    `Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores; ${values.single ? 'one local redis-server' : 'a local Redis Cluster of 3 masters and 3 replicas'} (no persistence), ${values.publishers} publisher processes with ${values.window} publishes in flight each over ${topicCount} topics spread evenly over the shards, for ${values.seconds} s per S. Read cost: CPU µs of a reader node's process per event it delivered, from the start of publishing until it had its topics' events; "one topic" is a node subscribed to one topic, "all topics" to every one. Ratios are to S = 1; publish: higher is better, read cost: lower is better.`,
    '',
    '| S | publish events/s | ratio | one topic: CPU µs / event | ratio | shards read | all topics: CPU µs / event | ratio | failed publishes |',
    '| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
    ...rows.map(
      (row) =>
        `| ${row.shards} | ${row.publishedPerSecond} | ${ratio(row.publishedPerSecond, base.publishedPerSecond)} | ${row.oneTopic.cpuUsPerEvent.toFixed(2)} | ${ratio(row.oneTopic.cpuUsPerEvent, base.oneTopic.cpuUsPerEvent)} | ${row.oneTopic.shardsRead.join(', ')} | ${row.allTopics.cpuUsPerEvent.toFixed(2)} | ${ratio(row.allTopics.cpuUsPerEvent, base.allTopics.cpuUsPerEvent)} | ${row.failed} |`,
    ),
    '',
  ];
  console.log(lines.join('\n'));
  if (!values['no-write']) {
    const docs = path.resolve(path.dirname(self), '../../../docs');
    writeFileSync(path.join(docs, `${values.out}.md`), lines.join('\n'));
    // Shard lists as text: JSON.stringify's one-number-a-line arrays are not what Biome checks in.
    const json = rows.map((row) => ({
      ...row,
      oneTopic: { ...row.oneTopic, shardsRead: row.oneTopic.shardsRead.join(',') },
      allTopics: { ...row.allTopics, shardsRead: row.allTopics.shardsRead.join(',') },
    }));
    writeFileSync(
      path.join(docs, `${values.out}.json`),
      `${JSON.stringify({ command, date: new Date().toISOString(), rows: json }, null, 2)}\n`,
    );
  }
}

if (values.role === 'publish') await publisher();
else if (values.role === 'reader') await reader();
else await main();
