/**
 * The URL forms `redis` takes: which ioredis client each one describes, and the typed error a
 * malformed one throws before anything connects.
 */
import { isSseError } from '@ssekit/core';
import type { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisTransport, createResumableStore, RedisUrlError } from '../src/index.js';
import { clientFromUrl } from '../src/redis-url.js';

const startupNodes = (client: Cluster) => (client as unknown as { startupNodes: unknown }).startupNodes;

describe('URL forms', () => {
  it('redis+cluster:// lists startup nodes, with credentials and TLS for every node', () => {
    const client = clientFromUrl('rediss+cluster://app:s%40cret@10.0.0.1:7000,10.0.0.2,[::1]:7002') as Cluster;
    expect(client.isCluster).toBe(true);
    expect(startupNodes(client)).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 6379 },
      { host: '::1', port: 7002 },
    ]);
    expect(client.options.redisOptions).toMatchObject({ username: 'app', password: 's@cret', tls: {} });
    expect(client.options.lazyConnect).toBe(true);
  });

  it('redis+sentinel:// lists sentinels and names the master (and a database)', () => {
    const client = clientFromUrl('redis+sentinel://:pw@127.0.0.1:26379,127.0.0.2/my%20master/2') as Redis;
    expect(client.isCluster).toBe(false);
    expect(client.options).toMatchObject({
      sentinels: [
        { host: '127.0.0.1', port: 26379 },
        { host: '127.0.0.2', port: 26379 },
      ],
      name: 'my master',
      db: 2,
      password: 'pw',
      lazyConnect: true,
    });
    expect(client.options.tls).toBeUndefined();
  });

  it('redis:// and rediss:// go to ioredis as they are', () => {
    const client = clientFromUrl('rediss://127.0.0.1:6380/1') as Redis;
    expect(client.options).toMatchObject({ host: '127.0.0.1', port: 6380, db: 1, tls: {} });
  });

  it.each([
    ['redis+sentinel://127.0.0.1:26379', 'master name'],
    ['redis+sentinel://127.0.0.1:26379/', 'master name'],
    ['redis+sentinel://127.0.0.1:26379/m/x', '/<master name>/<db number>'],
    ['redis+cluster://127.0.0.1:7000/0', 'no path'],
    ['redis+cluster://127.0.0.1:7000,,127.0.0.1:7001', 'is not a host'],
    ['redis+cluster://127.0.0.1:99999', 'between 1 and 65535'],
    ['redis+cluster://127.0.0.1:7000?tls=true', 'query parameters'],
    ['redis+cluster://', 'is not a host'],
    ['http://127.0.0.1:6379', 'scheme "http"'],
    ['redis+cluster://u:%zz@127.0.0.1', 'percent-encoding'],
  ])('%s throws RedisUrlError (%s)', (url, says) => {
    let thrown: unknown;
    try {
      createRedisTransport({ redis: url });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RedisUrlError);
    expect(isSseError(thrown) && thrown.code).toBe('TRANSPORT_FAILED');
    expect((thrown as Error).name).toBe('RedisUrlError');
    expect((thrown as Error).message).toContain(says);
    expect(() => createResumableStore({ redis: url })).toThrow(RedisUrlError);
  });

  it('hides the password in the error', () => {
    expect(() => clientFromUrl('redis+sentinel://user:hunter2@127.0.0.1')).toThrow(/user:\*\*\*@/);
    expect(() => clientFromUrl('redis+sentinel://user:hunter2@127.0.0.1')).not.toThrow(/hunter2/);
  });

  it('refuses, on a cluster, a stream key whose custom-id keys would land in another slot', () => {
    expect(() => createRedisTransport({ redis: 'redis+cluster://127.0.0.1:7000', streamKey: 'odd}key' })).toThrow(/hash tag/);
  });
});
