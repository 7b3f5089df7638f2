/**
 * A server under test in its own process (started by server-child.ts), so its heap, handles and
 * event loop are measured apart from the clients. One adapter app; controlled over the IPC
 * channel; on SIGTERM it shuts down gracefully (broker first, then the HTTP server) and then
 * exits by itself: anything that keeps it alive afterwards is a leak the test reports.
 *
 * Environment: ADAPTER, PORT, BROKER (JSON BrokerOptions subset), LIMITS (JSON ServerLimits),
 * REDIS_URL (use the Redis transport), STREAM_KEY.
 */
import { type BrokerOptions, createBroker } from '@ssekit/core';
import { createRedisTransport } from '@ssekit/redis';
import { type AdapterName, type ServerLimits, startApp } from './adapters.js';
import { activeResources, listenerCounts, loopDelayMonitor, settledHeap } from './metrics.js';

/** What the parent may ask. */
export type Command =
  | { cmd: 'stats' }
  | { cmd: 'probe' }
  | { cmd: 'publish-start'; topic: string; every: number; batch: number; pad?: number }
  | { cmd: 'publish-stop' }
  | { cmd: 'seq' }
  | { cmd: 'fill-history'; count: number; size: number }
  | { cmd: 'disconnect-all' }
  | { cmd: 'loop-reset' }
  | { cmd: 'loop' };

/** A `probe` answer. */
export interface Probe {
  heap: number;
  /** `process.memoryUsage().arrayBuffers` after the same collections (Buffers live outside the heap). */
  arrayBuffers: number;
  rss: number;
  resources: Record<string, number>;
  listeners: Record<string, number>;
  connections: number;
}

const adapter = (process.env.ADAPTER ?? 'fastify') as AdapterName;
const brokerOptions = JSON.parse(process.env.BROKER ?? '{}') as BrokerOptions;
const limits = JSON.parse(process.env.LIMITS ?? '{}') as ServerLimits;
const transport = process.env.REDIS_URL
  ? createRedisTransport({ redis: process.env.REDIS_URL, ...(process.env.STREAM_KEY && { streamKey: process.env.STREAM_KEY }) })
  : undefined;
const broker = createBroker({ ...brokerOptions, ...(transport && { transport }) });
const app = await startApp(adapter, { broker, limits, port: Number(process.env.PORT ?? 0) });
const loop = loopDelayMonitor();
let publisher: NodeJS.Timeout | undefined;
let seq = 0;

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'stats':
      return broker.stats();
    case 'probe': {
      loop.pause();
      const heap = await settledHeap();
      loop.resume();
      return {
        heap,
        arrayBuffers: process.memoryUsage().arrayBuffers,
        rss: process.memoryUsage().rss,
        resources: activeResources(),
        listeners: listenerCounts({ server: app.server, process }),
        connections: broker.stats().connections,
      } satisfies Probe;
    }
    case 'publish-start': {
      const pad = command.pad ? ` ${'x'.repeat(command.pad)}` : '';
      clearInterval(publisher);
      publisher = setInterval(() => {
        for (let i = 0; i < command.batch; i++) void broker.publish(command.topic, { data: `${++seq}${pad}` }).catch(() => {});
      }, command.every);
      return { seq };
    }
    case 'seq':
      return { seq };
    case 'fill-history': {
      // One small event to reconnect after, then `count` broadcasts of `size` characters each,
      // numbered so a reader can check their order: `e<n>:` padded with `h`.
      const first = await broker.broadcast({ data: 'first' });
      for (let n = 1; n <= command.count; n++) await broker.broadcast({ data: `e${n}:`.padEnd(command.size, 'h') });
      return { first };
    }
    case 'publish-stop':
      clearInterval(publisher);
      publisher = undefined;
      return { seq };
    case 'disconnect-all': {
      const started = performance.now();
      const open = [...broker.connections()];
      for (const connection of open) connection.close();
      return { closed: open.length, ms: performance.now() - started };
    }
    case 'loop-reset':
      loop.reset();
      return {};
    case 'loop':
      return loop.read();
  }
}

process.on('message', (message: { id: number; command: Command }) => {
  handle(message.command).then(
    (result) => process.send?.({ id: message.id, result }),
    (error: unknown) => process.send?.({ id: message.id, error: String(error) }),
  );
});

process.once('SIGTERM', () => {
  const started = performance.now();
  clearInterval(publisher);
  loop.stop();
  void app.shutdown().then(() => {
    process.stdout.write(`shutdown ${Math.round(performance.now() - started)}\n`);
    // From here nothing should hold the process: let it exit by itself, or tell what holds it.
    process.channel?.unref();
    setTimeout(() => {
      process.stdout.write(`still alive: ${JSON.stringify(activeResources())}\n`);
      process.exit(3);
    }, 5_000).unref();
  });
});

// The IPC channel must not keep the process alive by itself (see the SIGTERM handler).
process.channel?.unref();
process.stdout.write(`listening ${app.port}\n`);
