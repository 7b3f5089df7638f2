/**
 * History lost behind the read loop's cursor is reported through the listeners' `gap()`, at the
 * place it was lost, and the loop reads on without delivering anything twice: Redis restarting
 * without persistence while a node had not read everything, and trimming overtaking a reader.
 */
import { execFileSync } from 'node:child_process';
import type { TransportGap, TransportMessage } from '@ssekit/core';
import { startRedis } from '@ssekit/test-utils';
import { Redis, type RedisOptions } from 'ioredis';
import { expect, it } from 'vitest';
import { createRedisTransport, type RedisTransportOptions } from '../src/index.js';
import { useRedisServer } from './helpers/redis-fixture.js';

const redis = useRedisServer();
const { clients, transports } = redis;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const frame = (n: number) => `data: ${n}\n\n`;

function connect(options: RedisOptions = {}): Redis {
  const client = new Redis(redis.server.url, { lazyConnect: true, ...options });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

type Logged = { gap: TransportGap } | { message: TransportMessage };

/** A transport whose listener logs messages and gaps in the order they come. */
async function node(options: Partial<RedisTransportOptions> & { streamKey: string }, redis = connect()) {
  const transport = createRedisTransport({ redis, timeout: 500, ...options });
  transports.push(transport);
  const log: Logged[] = [];
  transport.subscribe({ message: (message) => log.push({ message }), gap: (gap) => log.push({ gap }) });
  await transport.replay([], '0-0'); // the read loop has its starting point
  return { transport, log };
}

/** The log as frames, with `gap` where a gap was reported. */
const summary = (log: Logged[]) => log.map((item) => ('gap' in item ? 'gap' : item.message.frame));

async function until(condition: () => boolean, what: string, timeout = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeout; !condition(); await sleep(10)) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
  }
}

it('reports a gap once when Redis restarts without persistence before a node read everything, then delivers what follows', async () => {
  const own = await startRedis();
  try {
    const url = own.url;
    const streamKey = 'restart';
    const fast = () => {
      const client = new Redis(url, { lazyConnect: true, retryStrategy: () => 50 });
      client.on('error', () => {});
      clients.push(client);
      return client;
    };
    // B's reader reconnects only after 1.5 s: events published meanwhile wait unread in Redis.
    const slow = new Redis(url, { lazyConnect: true, connectionName: 'node-b', retryStrategy: () => 1_500 });
    slow.on('error', () => {});
    clients.push(slow);
    const a = await node({ streamKey }, fast());
    const b = await node({ streamKey }, slow);
    await a.transport.publish(['#a'], frame(0));
    await until(() => b.log.length === 1, 'the first event on B');

    const admin = fast();
    const list = (await admin.call('CLIENT', 'LIST')) as string;
    const reader = list.split('\n').find((entry) => entry.includes(' name=node-b:ssekit-reader '));
    await admin.call('CLIENT', 'KILL', 'ID', /id=(\d+)/.exec(reader ?? '')?.[1] as string);
    for (let n = 1; n <= 3; n++) await a.transport.publish(['#a'], frame(n)); // Redis confirms these
    admin.disconnect();
    await own.kill();
    await own.restart(); // no persistence: the stream is gone

    const after: string[] = [];
    for (let n = 4; n <= 6; ) {
      try {
        after.push(await a.transport.publish(['#a'], frame(n)));
        n++;
      } catch {
        await sleep(50); // A's writer is reconnecting
      }
    }
    await until(() => b.log.length >= 5, 'the gap and the events published after the restart');
    await sleep(300);
    expect(summary(b.log)).toEqual([frame(0), 'gap', frame(4), frame(5), frame(6)]);
    const gap = b.log[1] as { gap: TransportGap };
    expect(gap.gap.channels).toBeUndefined();
    expect(gap.gap.detail).toMatch(/restarted|no longer|does not exist|went back/);
    expect(b.log.slice(2).map((item) => ('message' in item ? item.message.id : undefined))).toEqual(after);
  } finally {
    await own.stop();
  }
});

it('reports a gap when trimming overtakes a paused reader, then delivers what is retained', async () => {
  const streamKey = 'trimmed';
  const reader = await node({ streamKey, maxLength: 5, approximateTrim: false });
  let paused = false;
  reader.transport.subscribe({
    gap: () => {},
    message: (message) => {
      if (paused || message.frame !== frame(0)) return;
      paused = true;
      // Blocks this process (and its read loop) while another process appends 30 entries,
      // trimming the stream to 5: 25 are gone before the loop can read them.
      const script = Array.from({ length: 30 }, (_, i) => `XADD ${streamKey} MAXLEN 5 * c "[\\"#a\\"]" f "data: ${i + 1}\\n\\n"`);
      execFileSync('redis-cli', ['-p', String(redis.server.port)], { input: `${script.join('\n')}\n` });
    },
  });
  await reader.transport.publish(['#a'], frame(0));
  await until(() => reader.log.length >= 7, 'the gap and the retained entries');
  await sleep(300);
  expect(summary(reader.log)).toEqual([frame(0), 'gap', ...[26, 27, 28, 29, 30].map(frame)]);
  expect((reader.log[1] as { gap: TransportGap }).gap.detail).toMatch(/25 entries after the cursor were trimmed/);
});

it('reports no gap when Redis restarts with its data (append-only file)', async () => {
  const own = await startRedis({ persistent: true });
  try {
    const make = (name: string) => {
      const client = new Redis(own.url, { lazyConnect: true, connectionName: name, retryStrategy: () => 50 });
      client.on('error', () => {});
      clients.push(client);
      return client;
    };
    const a = await node({ streamKey: 'kept' }, make('a'));
    const b = await node({ streamKey: 'kept' }, make('b'));
    for (let n = 0; n < 3; n++) await a.transport.publish(['#a'], frame(n));
    await until(() => b.log.length === 3, 'the first events');
    await own.kill();
    await own.restart();
    let lastError: unknown;
    for (let n = 3, deadline = Date.now() + 10_000; n < 6; ) {
      if (Date.now() > deadline) throw new Error(`publishes kept failing after the restart: ${String(lastError)}`);
      try {
        await a.transport.publish(['#a'], frame(n));
        n++;
      } catch (error) {
        lastError = error;
        await sleep(50);
      }
    }
    await until(() => b.log.length >= 6, 'the events after the restart');
    await sleep(300);
    expect(b.log.filter((item) => 'gap' in item)).toEqual([]);
    expect(a.log.filter((item) => 'gap' in item)).toEqual([]);
    expect(summary(b.log)).toEqual([0, 1, 2, 3, 4, 5].map(frame));
    expect(summary(a.log)).toEqual([0, 1, 2, 3, 4, 5].map(frame));
  } finally {
    await own.stop();
  }
});
