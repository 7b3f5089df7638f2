/**
 * A redis-server serving TLS only (a self-signed certificate the test makes with openssl): the
 * transport works through an ioredis client with `tls: { ca }`, and a `rediss://` URL passes
 * through to ioredis (a server process trusting the certificate by NODE_EXTRA_CA_CERTS).
 */
import { join } from 'node:path';
import type { TransportMessage } from '@ssekit/core';
import { openSse, type RedisServer, startRedis, waitFor } from '@ssekit/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedisTransport } from '../src/index.js';
import { startNode } from './helpers/test-node.js';

let server: RedisServer;
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  server = await startRedis({ tls: true });
});

afterAll(async () => {
  try {
    await Promise.allSettled(closers.map((close) => close()));
  } finally {
    await server?.stop();
  }
});

it('publishes, reads and replays over TLS', async () => {
  expect(server.url).toMatch(/^rediss:\/\//);
  const client = new Redis(server.url, { tls: { ca: server.ca }, lazyConnect: true });
  const transport = createRedisTransport({ redis: client, streamKey: 'tls' });
  closers.push(() => transport.close());
  const received: TransportMessage[] = [];
  transport.subscribe({ message: (message) => received.push(message), gap: () => {} });
  await transport.ready?.();
  const first = await transport.publish(['a'], 'data: 1\n\n');
  await transport.publish(['a'], 'data: 2\n\n');
  await waitFor(() => received.length === 2, 'both events read back over TLS');
  expect((await transport.replay(['a'], first)).messages.map((message) => message.frame)).toEqual(['data: 2\n\n']);
});

it('refuses a server whose certificate is not trusted: publish rejects, nothing is stored', async () => {
  const transport = createRedisTransport({ redis: server.url, streamKey: 'untrusted', timeout: 500 });
  closers.push(() => transport.close());
  await expect(transport.publish(['a'], 'data: 1\n\n')).rejects.toMatchObject({ code: 'TRANSPORT_FAILED' });
  const trusted = new Redis(server.url, { tls: { ca: server.ca } });
  closers.push(() => trusted.disconnect());
  expect(await trusted.exists('untrusted')).toBe(0);
});

it('takes a rediss:// URL as it is', async () => {
  const node = await startNode('fastify', {
    REDIS_URL: server.url,
    STREAM_KEY: 'tls-url',
    NODE_EXTRA_CA_CERTS: join(server.dir, 'cert.pem'),
  });
  closers.push(() => node.stop());
  const reader = await openSse(`${node.url}/events?topic=a`);
  closers.push(() => reader.close());
  const id = await node.publish(['a'], { data: 'over tls' });
  const [event] = await reader.waitForEvents(1, 10_000);
  expect(event).toMatchObject({ id, data: 'over tls' });
}, 30_000);
