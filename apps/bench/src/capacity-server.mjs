// One server process of the capacity run: @ssekit/core on node:http with the Redis Streams
// transport, every stream subscribed to one topic. Driven over IPC by capacity.mjs.
//   node capacity-server.mjs <redis port> <topic> <heartbeat ms> <max connections>
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBroker } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { createRedisTransport } from '@ssekit/redis';

const [redisPort, topic, heartbeat, maxConnections] = process.argv.slice(2);
const transport = createRedisTransport({ redis: `redis://127.0.0.1:${redisPort}` });
const broker = createBroker({ transport, heartbeatInterval: Number(heartbeat) });
const errors = {};
const server = http.createServer((req, res) => {
  broker.stream(toStreamRequest(req), { topics: [topic] }, () => createNodeSink(res)).catch(() => res.destroy());
});
// Below the fd limit, with room for Redis, stdio and reading memory figures: past it Node closes
// new connections at once ('drop') instead of the process failing on EMFILE.
server.maxConnections = Number(maxConnections);
let dropped = 0;
server.on('drop', () => {
  dropped++;
});
// EMFILE on accept and the like: counted and reported, where the default would crash the process.
server.on('error', (error) => {
  errors[error.code ?? error.message] = (errors[error.code ?? error.message] ?? 0) + 1;
});
await new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

const handlers = {
  count: () => ({ count: broker.stats().connections, dropped, errors }),
  cpu: () => ({ cpu: process.cpuUsage(), loopDelayP99: loopDelay.percentile(99) / 1e6, reset: loopDelay.reset() }),
  async memory() {
    for (let i = 0; i < 4; i++) {
      globalThis.gc?.();
      await sleep(30); // lets V8 finish sweeping between collections
    }
    const { heapUsed, rss } = process.memoryUsage();
    return { heapUsed, rss };
  },
  exit: () => process.exit(0),
};

process.on('message', async ({ id, type, ...args }) => {
  const result = await handlers[type](args);
  process.send({ id, ...result });
});
process.send({ id: 0, port: server.address().port });
