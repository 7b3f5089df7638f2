/**
 * What the three test servers share: a broker on the Redis transport, the stream query
 * (`/events?topic=a&client=ada`), and the control calls (`POST /control/<verb>`, JSON body).
 * Each server prints `listening <port>` once it accepts connections, and exits when its
 * standard input closes, so a test worker that dies takes its servers with it.
 */
import { type Broker, createBroker, isSseError, type StreamOptions } from '@ssekit/core';
import { Redis } from 'ioredis';
import { createRedisTransport } from '../../src/index.js';

export interface TestNode {
  readonly broker: Broker;
  /** Answers a control call: status and JSON body. */
  control(verb: string, body: unknown): Promise<{ status: number; body: unknown }>;
  /** Prints the port and arranges the shutdown. */
  announce(port: number, closeServer: () => Promise<void>): void;
}

export function streamOptions(url: string): StreamOptions {
  const query = new URL(url, 'http://localhost').searchParams;
  const options: StreamOptions = { topics: query.getAll('topic') };
  const client = query.get('client');
  if (client) options.clientId = client;
  const retry = query.get('retry');
  if (retry) options.retry = Number(retry);
  return options;
}

export function createTestNode(): TestNode {
  const env = process.env;
  // Reconnect every 100 ms, so the Redis-restart test does not wait on a growing backoff. The
  // transport copies these settings to its own connections; this client never connects.
  // A redis+cluster:// or redis+sentinel:// URL is handed over as it is: the URL form is tested.
  const url = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = /^rediss?\+/.test(url) ? url : new Redis(url, { lazyConnect: true, retryStrategy: () => 100 });
  const transport = createRedisTransport({
    redis,
    streamKey: env.STREAM_KEY ?? 'ssekit:test',
    timeout: Number(env.TRANSPORT_TIMEOUT ?? 1_000),
    waitForReplicas: Number(env.WAIT_REPLICAS ?? 0),
  });
  const broker = createBroker({ transport, heartbeatInterval: 0, closeTimeout: 1_000 });

  const control = async (verb: string, body: unknown) => {
    const args = (body ?? {}) as { topics?: string[]; event?: Record<string, unknown>; clientId?: string };
    try {
      switch (verb) {
        case 'publish':
          return { status: 200, body: { id: await broker.publish(args.topics ?? [], args.event ?? {}) } };
        case 'broadcast':
          return { status: 200, body: { id: await broker.broadcast(args.event ?? {}) } };
        case 'send':
          return { status: 200, body: { id: await broker.send(args.clientId ?? '', args.event ?? {}) } };
        case 'stats':
          return { status: 200, body: broker.stats() };
        default:
          return { status: 404, body: { error: `no control verb ${verb}` } };
      }
    } catch (error) {
      if (isSseError(error)) return { status: 503, body: { code: error.code, message: error.message } };
      return { status: 500, body: { message: String(error) } };
    }
  };

  const announce = (port: number, closeServer: () => Promise<void>) => {
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await broker.close();
      await closeServer();
      process.exit(0);
    };
    process.on('SIGTERM', () => void stop());
    process.stdin.on('close', () => process.exit(1));
    process.stdin.resume();
    console.log(`listening ${port}`);
  };

  return { broker, control, announce };
}
