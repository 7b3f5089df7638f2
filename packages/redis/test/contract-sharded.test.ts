/**
 * With `shards: 3`: ids are each node's vector of shard positions (`perNodeIds`). The shared
 * transport suite (`@ssekit/contract/transport`) against real redis-server processes:
 * an append-only file fsynced on every write where the server is persistent, no persistence where not.
 */
import { runTransportSuite, type TransportServer } from '@ssekit/contract/transport';
import { startRedis } from '@ssekit/test-utils';
import { Redis } from 'ioredis';
import { createRedisTransport } from '../src/index.js';

runTransportSuite({
  name: 'Redis Streams, shards: 3',
  async startServer({ persistent }): Promise<TransportServer> {
    const server = await startRedis({ persistent });
    return { url: server.url, persistent, kill: server.kill, restart: server.restart, stop: server.stop };
  },
  createTransport(server, namespace, options = {}) {
    // Reconnect every 50 ms, so the restart tests do not wait on a growing backoff.
    const redis = new Redis(server.url, { lazyConnect: true, retryStrategy: () => 50 });
    redis.on('error', () => {});
    return createRedisTransport({
      redis,
      streamKey: namespace,
      shards: 3,
      ...(options.maxLength === undefined ? {} : { maxLength: options.maxLength, approximateTrim: false }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    });
  },
  urlFor: (port) => `redis://127.0.0.1:${port}`,
  perNodeIds: true,
});
