/**
 * The transport behind real brokers in this process: clients joining with Last-Event-ID while
 * another node publishes without pause get every later event once, in order (the replay, the
 * live read and the broker's seam agree).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Broker, createBroker } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { openSse, type RedisServer, type SseReader, startRedis } from '@ssekit/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedisTransport } from '../src/index.js';

let redis: RedisServer | undefined;
const brokers: Broker[] = [];
const servers: http.Server[] = [];
const readers: SseReader[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  try {
    for (const reader of readers) reader.close();
    await Promise.allSettled(brokers.map((broker) => broker.close()));
    await Promise.allSettled(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  } finally {
    await redis?.stop();
  }
});

function brokerNode(): Broker {
  const broker = createBroker({
    transport: createRedisTransport({ redis: redis?.url as string, streamKey: 'join' }),
    heartbeatInterval: 0,
    closeTimeout: 500,
  });
  brokers.push(broker);
  return broker;
}

async function serve(broker: Broker): Promise<string> {
  const server = http.createServer(async (req, res) => {
    const topics = new URL(req.url ?? '/', 'http://x').searchParams.getAll('topic');
    await broker.stream(toStreamRequest(req), { topics }, () => createNodeSink(res)).catch(() => res.destroy());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

it('signals a gap to a client whose id the stream never issued, then streams live', async () => {
  const broker = brokerNode();
  const url = await serve(broker);
  const reader = await openSse(`${url}/events?topic=feed`, { headers: { 'last-event-id': 'not-an-id' } });
  readers.push(reader);
  await reader.waitForEvents(1);
  const id = await broker.publish('feed', { data: 'live' });
  await reader.waitForEvents(2);
  expect(reader.events[0]).toMatchObject({ event: 'ssekit:gap', data: JSON.stringify({ lastEventId: 'not-an-id', reason: 'unknown' }) });
  expect(reader.events[1]).toMatchObject({ id, data: 'live' });
});
