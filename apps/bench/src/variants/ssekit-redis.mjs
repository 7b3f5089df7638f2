// ssekit core on node:http with the Redis Streams transport: every event goes through XADD and
// comes back through the node's one XREAD loop before fan-out. Starts its own redis-server.
import http from 'node:http';
import { createBroker } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { createRedisTransport } from '@ssekit/redis';
import { Redis } from 'ioredis';
import { startRedis } from '../redis-server.mjs';
import { EVENT_TYPE } from './event.mjs';

export async function create() {
  const { port } = await startRedis();
  const transport = createRedisTransport({ redis: new Redis(port, '127.0.0.1') });
  const broker = createBroker({ heartbeatInterval: 0, transport });
  const server = http.createServer((req, res) => {
    broker.stream(toStreamRequest(req), {}, () => createNodeSink(res)).catch(() => res.destroy());
  });
  return { server, count: () => broker.stats().connections, publish: (data) => void broker.broadcast({ event: EVENT_TYPE, data }) };
}
