/**
 * The transport behind real brokers in this process: clients joining with Last-Event-ID while
 * another node publishes without pause get every later event once, in order (the replay, the
 * live read and the broker's seam agree).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Broker, createBroker } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { openSse, type RedisServer, type SseReader, startRedis, waitFor } from '@ssekit/test-utils';
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

it('joins clients mid-stream with Last-Event-ID without a gap or a duplicate', async () => {
  const publisher = brokerNode();
  const url = await serve(brokerNode());
  const watcher = await openSse(`${url}/events?topic=feed`);
  readers.push(watcher);
  const total = 600;
  const published: string[] = [];
  const publishing = (async () => {
    for (let n = 0; n < total; n++) {
      published.push(await publisher.publish('feed', { data: n }));
      if (n % 7 === 0) await publisher.publish('noise', { data: n });
    }
  })();
  const joiners: Array<{ from: number; reader: SseReader }> = [];
  for (const from of [20, 60, 120, 200, 300, 420]) {
    await watcher.waitForEvents(from + 1, 10_000);
    const lastEventId = watcher.events[from]?.id as string;
    const reader = await openSse(`${url}/events?topic=feed`, { headers: { 'last-event-id': lastEventId } });
    readers.push(reader);
    joiners.push({ from, reader });
  }
  await publishing;
  await watcher.waitForEvents(total, 10_000);
  for (const { from, reader } of joiners) await reader.waitForEvents(total - from - 1, 10_000);
  // A last event after all the others: once every reader has it, a duplicate would be in view.
  await publisher.publish('feed', { event: 'end', data: 'end' });
  for (const reader of [watcher, ...joiners.map((joiner) => joiner.reader)]) {
    await waitFor(() => reader.events.some((event) => event.event === 'end'), 'the end marker', 10_000);
  }
  const ticks = (reader: SseReader) => reader.events.filter((event) => event.event !== 'end');
  expect(ticks(watcher).map((event) => event.id)).toEqual(published);
  for (const { from, reader } of joiners) {
    expect(ticks(reader).map((event) => event.id)).toEqual(published.slice(from + 1));
    expect(ticks(reader).map((event) => Number(event.data))).toEqual(published.slice(from + 1).map((_, i) => from + 1 + i));
  }
});

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
