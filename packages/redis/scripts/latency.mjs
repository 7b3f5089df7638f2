#!/usr/bin/env node
// Cross-node delivery latency of the Redis transport: node A publishes, node B (another process)
// streams to an SSE client (this process). Each event carries the time A called publish(); the
// client takes the time it parsed the event. All three processes share one machine clock.
//
//   node scripts/latency.mjs [--events 1000] [--rate 500] [--redis redis://host:port] [--json]
//
// Without --redis it starts its own redis-server (on PATH) on a free port in a temporary
// directory, and stops it at the end. It runs the built package: `pnpm build` first.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    events: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '500' },
    warmup: { type: 'string', default: '100' },
    redis: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const now = () => performance.timeOrigin + performance.now();

/** A broker on the Redis transport, as every node of an app would build it. */
async function brokerNode() {
  const { createBroker } = await import('@ssekit/core');
  const { createRedisTransport } = await import('../dist/index.mjs');
  const transport = createRedisTransport({ redis: process.env.REDIS_URL, streamKey: process.env.STREAM_KEY });
  return createBroker({ transport, heartbeatInterval: 0, closeTimeout: 500 });
}

/** Node B: serves `/events` to the measuring client. */
async function serverNode() {
  const { createNodeSink, toStreamRequest } = await import('@ssekit/core/node');
  const broker = await brokerNode();
  const server = http.createServer((req, res) => {
    broker.stream(toStreamRequest(req), { topics: ['latency'] }, () => createNodeSink(res)).catch(() => res.destroy());
  });
  await listen(server, broker);
}

/** Node A: `POST /run?count=&interval=` publishes that many stamped events, paced, and answers with publish() timings. */
async function publisherNode() {
  const broker = await brokerNode();
  const server = http.createServer(async (req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const count = Number(query.get('count'));
    const interval = Number(query.get('interval'));
    const publishMs = [];
    let next = now();
    for (let n = 0; n < count; n++) {
      const sentAt = now();
      await broker.publish('latency', { data: `${n} ${sentAt}` });
      publishMs.push(now() - sentAt);
      next += interval;
      const wait = next - now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ publishMs }));
  });
  await listen(server, broker);
}

async function listen(server, broker) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = async () => {
    await broker.close();
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.stdin.on('close', () => process.exit(1)); // the parent is gone
  process.stdin.resume();
  console.log(`listening ${server.address().port}`);
}

async function main() {
  const events = Number(args.events);
  const rate = Number(args.rate);
  const warmup = Number(args.warmup);
  const cleanups = [];
  try {
    let url = args.redis;
    if (!url) {
      const redis = await startRedis();
      cleanups.push(redis.stop);
      url = redis.url;
    }
    const env = { ...process.env, REDIS_URL: url, STREAM_KEY: `ssekit:latency:${process.pid}` };
    const [publisher, server] = await Promise.all([startNode('publisher', env), startNode('server', env)]);
    cleanups.push(publisher.stop, server.stop);

    const received = [];
    const reader = await subscribe(`http://127.0.0.1:${server.port}/events`, (data) => {
      const [n, sentAt] = data.split(' ').map(Number);
      received.push({ n, latency: now() - sentAt });
    });
    cleanups.push(async () => reader.destroy());

    const run = async (count) => {
      const response = await fetch(`http://127.0.0.1:${publisher.port}/run?count=${count}&interval=${rate > 0 ? 1000 / rate : 0}`, {
        method: 'POST',
      });
      return (await response.json()).publishMs;
    };
    await run(warmup);
    await until(() => received.length >= warmup);
    received.length = 0;
    const publishMs = await run(events);
    await until(() => received.length >= events);

    const latency = summarize(received.map((r) => r.latency));
    const publish = summarize(publishMs);
    const result = { events, rate, nodes: 2, deliveryMs: latency, publishMs: publish };
    if (args.json) console.log(JSON.stringify(result));
    else {
      const pace = rate > 0 ? `paced at ${rate} events/s` : 'published back to back';
      console.log(`@ssekit/redis cross-node delivery, ${events} events ${pace}, 2 nodes (publish on A, SSE client on B):`);
      console.log(
        `  delivery  p50 ${fmt(latency.p50)}  p99 ${fmt(latency.p99)}  max ${fmt(latency.max)}  (publish() call on A -> event parsed by the client of B)`,
      );
      console.log(
        `  publish() p50 ${fmt(publish.p50)}  p99 ${fmt(publish.p99)}  max ${fmt(publish.max)}  (the XADD script round trip on A)`,
      );
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(sorted.at(-1)), count: sorted.length };
}

function round(ms) {
  return Math.round(ms * 1000) / 1000;
}

function fmt(ms) {
  return `${ms.toFixed(2)} ms`;
}

async function until(condition, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for events');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A minimal SSE reader: our events are one `data:` line each. */
function subscribe(url, onData) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (data) onData(data.slice(6));
          end = buffer.indexOf('\n\n');
        }
      });
      resolve(req);
    });
    req.on('error', reject);
  });
}

function startNode(role, env) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), `--role=${role}`], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await new Promise((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening (\d+)/.exec(out);
      if (match) resolve({ port: Number(match[1]), stop });
    });
    child.once('exit', (code) => reject(new Error(`${role} node exited (${code}) before listening`)));
  });
}

async function startRedis() {
  const dir = await mkdtemp(join(tmpdir(), 'ssekit-latency-'));
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${out}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// Last, so every helper above is initialised before the top-level await runs.
if (args.role === 'publisher') await publisherNode();
else if (args.role === 'server') await serverNode();
else await main();
