/**
 * `transport.stats()` (and `broker.stats().transport`): the read loop's lag behind the stream,
 * its reconnects and the lost-history notices it reported, against a real redis-server.
 */
import { execFileSync } from 'node:child_process';
import { createBroker, type TransportGap, type TransportMessage, type TransportStats } from '@ssekit/core';
import { startRedis } from '@ssekit/test-utils';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { createRedisTransport } from '../src/index.js';
import { useRedisServer } from './helpers/redis-fixture.js';

const redis = useRedisServer();
const { clients, transports } = redis;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function connect(url: string): Redis {
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => 50 });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

async function until(condition: () => boolean, what: string, timeout = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeout; !condition(); await sleep(10)) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
  }
}

/** Blocks this process (its read loop too) for `ms`, as a busy event loop would. */
const block = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

it('reports the lag of a read loop that fell behind a burst, then zero once it caught up', async () => {
  const streamKey = 'lag';
  const transport = createRedisTransport({ redis: connect(redis.server.url), streamKey, readCount: 5 });
  transports.push(transport);
  const seen: TransportStats[] = [];
  let received = 0;
  transport.subscribe({
    gap: () => {},
    message: (message: TransportMessage) => {
      received++;
      seen.push(transport.stats?.() as TransportStats);
      if (message.frame !== 'data: 0\n\n') return;
      // While this process is blocked, another appends 20 entries in two bursts 50 ms apart.
      const burst = (from: number) =>
        Array.from({ length: 10 }, (_, i) => `XADD ${streamKey} * c "[\\"#a\\"]" f "data: ${from + i}\\n\\n"`).join('\n');
      execFileSync('redis-cli', ['-p', String(redis.server.port)], { input: `${burst(1)}\n` });
      block(50);
      execFileSync('redis-cli', ['-p', String(redis.server.port)], { input: `${burst(11)}\n` });
    },
  });
  await transport.ready?.();
  expect(transport.stats?.()).toEqual({ lagEntries: 0, lagMs: 0, reconnects: 0, gapsReported: 0 });
  await transport.publish(['#a'], 'data: 0\n\n');
  await until(() => received === 21, 'every entry');

  const worst = seen.reduce((a, b) => (b.lagEntries > a.lagEntries ? b : a));
  // Read 5 at a time: while the first read of the burst is delivered, at least 15 are still unread.
  expect(worst.lagEntries).toBeGreaterThanOrEqual(15);
  expect(Math.max(...seen.map((s) => s.lagMs))).toBeGreaterThanOrEqual(40);
  await until(() => transport.stats?.().lagEntries === 0, 'caught up');
  expect(transport.stats?.()).toEqual({ lagEntries: 0, lagMs: 0, reconnects: 0, gapsReported: 0 });
});

it('counts reconnects and the gap reported when Redis restarts without its data, in broker.stats().transport', async () => {
  const own = await startRedis();
  try {
    const transport = createRedisTransport({ redis: connect(own.url), streamKey: 'restart', timeout: 500 });
    const broker = createBroker({ transport, heartbeatInterval: 0 });
    const log: Array<TransportMessage | TransportGap> = [];
    transport.subscribe({ message: (m) => log.push(m), gap: (g) => log.push(g) });
    await transport.ready?.();
    await broker.publish('a', { data: 'before' });
    await until(() => log.length === 1, 'the first event');
    expect(broker.stats().transport).toEqual({ lagEntries: 0, lagMs: 0, reconnects: 0, gapsReported: 0 });

    await own.kill();
    await own.restart(); // no persistence: the stream is gone
    await until(() => log.length === 2, 'the gap notice');
    expect(log[1]).toHaveProperty('detail');
    await until(() => (broker.stats().transport?.reconnects ?? 0) >= 1, 'a reconnect counted');
    expect(broker.stats().transport).toMatchObject({ gapsReported: 1, lagEntries: 0 });
    await broker.close();
  } finally {
    await own.stop();
  }
});
