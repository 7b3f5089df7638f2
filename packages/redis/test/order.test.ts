/**
 * Events published one after the other reach clients in that order, also right after Redis lost
 * its script cache (a restart, a failover, `SCRIPT FLUSH`): the publishes refused `NOSCRIPT` were
 * sent again with the script's text, and a publish made meanwhile ran before them, so a client
 * got 0, 1, 5, 6, …, 2, 3, 4 (the bench counted 6 sequence errors a client).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBroker } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { openSse, startRedis, waitFor } from '@ssekit/test-utils';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { createRedisTransport } from '../src/index.js';

it('events published one per loop turn arrive in publish order after the script cache is lost', async () => {
  const redis = await startRedis();
  const admin = new Redis(redis.url);
  const broker = createBroker({ heartbeatInterval: 0, transport: createRedisTransport({ redis: redis.url, streamKey: 'order' }) });
  const server = http.createServer((req, res) => void broker.stream(toStreamRequest(req), {}, () => createNodeSink(res)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const reader = await openSse(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    const ROUNDS = 5;
    const PER_ROUND = 60;
    for (let round = 0; round < ROUNDS; round++) {
      await admin.script('FLUSH'); // as after a restart or a failover
      for (let i = 0; i < PER_ROUND; i++) {
        void broker.broadcast({ data: String(round * PER_ROUND + i) });
        await new Promise((resolve) => setImmediate(resolve));
      }
      await reader.waitForEvents((round + 1) * PER_ROUND, 10_000);
    }
    const got = reader.events.map((event) => Number(event.data));
    expect(got).toEqual(Array.from({ length: ROUNDS * PER_ROUND }, (_, i) => i));
    reader.close();
  } finally {
    await broker.close();
    server.close();
    admin.disconnect();
    await redis.stop();
  }
});
