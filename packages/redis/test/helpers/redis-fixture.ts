import type { Transport } from '@ssekit/core';
import { type RedisServer, startRedis } from '@ssekit/test-utils';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

/** The test file's redis-server, and what its tests opened on it (closed after the file). */
export interface RedisFixture {
  readonly server: RedisServer;
  readonly clients: Redis[];
  readonly transports: Transport[];
}

/**
 * Starts a redis-server for the calling test file and, after it, closes every transport and client
 * pushed onto the fixture (bounded, so a transport stuck on a dead Redis cannot hang the file).
 */
export function useRedisServer(): RedisFixture {
  let server: RedisServer | undefined;
  const clients: Redis[] = [];
  const transports: Transport[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    try {
      const closing = Promise.allSettled(transports.map((transport) => transport.close()));
      await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      for (const client of clients) client.disconnect();
    } finally {
      await server?.stop();
    }
  });
  return {
    get server() {
      if (!server) throw new Error('the redis-server is started in beforeAll');
      return server;
    },
    clients,
    transports,
  };
}
