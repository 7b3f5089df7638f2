/**
 * `shards: 3` on one real redis-server, behind real brokers served on node:http and read by
 * real SSE clients: every client gets every event of its topics once, in per-topic order, on
 * either node; a node reads only the shards its clients need; one Last-Event-ID (the vector of
 * shard positions) replays every topic of a client on the other node, nothing twice; what the
 * id does not cover is a gap, never silence; refusals are typed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Broker, createBroker, GAP_EVENT, isSseError } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { openSse, type ReceivedEvent, type RedisServer, type SseReader, startRedis, waitFor } from '@ssekit/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedisTransport, type RedisTransportOptions, type ShardedTransportStats, shardHash } from '../src/index.js';

const SHARDS = 3;
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

/** A topic whose default shard is `k`. */
function topicOn(k: number, name: string): string {
  for (let n = 0; ; n++) if (shardHash(`${name}${n}`) % SHARDS === k) return `${name}${n}`;
}

interface TestNode {
  readonly broker: Broker;
  readonly url: string;
  stats(): ShardedTransportStats;
}

async function node(streamKey: string, options: Partial<RedisTransportOptions> = {}): Promise<TestNode> {
  const transport = createRedisTransport({ redis: redis?.url as string, streamKey, shards: SHARDS, ...options });
  const broker = createBroker({ transport, heartbeatInterval: 0, closeTimeout: 500 });
  brokers.push(broker);
  const server = http.createServer(async (req, res) => {
    const topics = new URL(req.url ?? '/', 'http://x').searchParams.getAll('topic');
    await broker.stream(toStreamRequest(req), { topics }, () => createNodeSink(res)).catch(() => res.destroy());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { broker, url, stats: () => transport.stats?.() as ShardedTransportStats };
}

async function open(at: TestNode, topics: readonly string[], lastEventId?: string): Promise<SseReader> {
  const query = topics.map((topic) => `topic=${encodeURIComponent(topic)}`).join('&');
  const reader = await openSse(`${at.url}/events?${query}`, lastEventId ? { headers: { 'last-event-id': lastEventId } } : {});
  readers.push(reader);
  return reader;
}

/** Per topic, the sequence numbers received (data is `<topic>:<n>`). */
function byTopic(events: readonly ReceivedEvent[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const event of events) {
    if (event.event === GAP_EVENT) continue;
    const [topic, n] = event.data.split(':');
    (out[topic as string] ??= []).push(Number(n));
  }
  return out;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

it('delivers every event of a client’s topics once, in per-topic order, on two nodes that read only the shards they need', async () => {
  const a = topicOn(1, 'a');
  const b = topicOn(2, 'b');
  const [one, two] = [await node('spread'), await node('spread')];
  const both = await open(one, [a, b]);
  const onlyB = await open(one, [b]);
  const onlyA = await open(two, [a]);
  const count = 40;
  // Interleaved, from both nodes, concurrently per round.
  for (let n = 0; n < count; n++) {
    await Promise.all([one.broker.publish(a, { data: `${a}:${n}` }), two.broker.publish(b, { data: `${b}:${n}` })]);
  }
  await both.waitForEvents(2 * count);
  await onlyB.waitForEvents(count);
  await onlyA.waitForEvents(count);
  expect(byTopic(both.events)).toEqual({ [a]: range(0, count), [b]: range(0, count) });
  expect(byTopic(onlyB.events)).toEqual({ [b]: range(0, count) });
  expect(byTopic(onlyA.events)).toEqual({ [a]: range(0, count) });
  // The second node's only client is on shard 1: shard 2 is never read there.
  expect(two.stats().shardsRead).toEqual([0, 1]);
  expect(one.stats().shardsRead).toEqual([0, 1, 2]);
  // Ids are vectors: one token per shard, the unread shard's empty.
  expect(onlyA.events.at(-1)?.id).toMatch(/^[0-9a-z]+\.[-0-9a-z_]*\.$/);
});

it('replays a client on topics of two shards on the other node from its one id: each missed event once, then live', async () => {
  const a = topicOn(1, 'a');
  const b = topicOn(2, 'b');
  const other = topicOn(0, 'c');
  const [one, two] = [await node('resume'), await node('resume')];
  const first = await open(one, [a, b]);
  for (let n = 0; n < 10; n++) {
    await one.broker.publish(a, { data: `${a}:${n}` });
    await two.broker.publish(b, { data: `${b}:${n}` });
    await two.broker.publish(other, { data: `${other}:${n}` });
  }
  await first.waitForEvents(20);
  const lastId = first.events.at(-1)?.id as string;
  first.close();
  for (let n = 10; n < 25; n++) {
    await two.broker.publish(b, { data: `${b}:${n}` });
    await one.broker.publish(a, { data: `${a}:${n}` });
  }
  // The second node has no streams: it reads nothing, and starts the shards for this client.
  expect(two.stats().shardsRead).toEqual([]);
  const resumed = await open(two, [a, b], lastId);
  await resumed.waitForEvents(30);
  for (let n = 25; n < 30; n++) {
    await one.broker.publish(a, { data: `${a}:${n}` });
    await one.broker.publish(b, { data: `${b}:${n}` });
  }
  await resumed.waitForEvents(40);
  // Enough time for a duplicate to arrive, bounded by a condition: one more event, then the check.
  await one.broker.publish(a, { data: `${a}:30` });
  await resumed.waitForEvents(41);
  expect(resumed.events.filter((event) => event.event === GAP_EVENT)).toEqual([]);
  expect(byTopic(resumed.events)).toEqual({ [a]: range(10, 31), [b]: range(10, 30) });
  expect(resumed.events).toHaveLength(41);
});

it('sends a gap when the id does not cover a shard of the client’s topics, or is no vector, then streams live', async () => {
  const a = topicOn(1, 'a');
  const b = topicOn(2, 'b');
  const one = await node('uncovered');
  const first = await open(one, [a]);
  await one.broker.publish(a, { data: `${a}:0` });
  await first.waitForEvents(1);
  const withoutB = first.events[0]?.id as string;
  expect(withoutB.endsWith('.')).toBe(true); // shard 2 not read: empty token
  const resumed = await open(one, [a, b], withoutB);
  await resumed.waitForEvents(1);
  expect(resumed.events[0]?.event).toBe(GAP_EVENT);
  await one.broker.publish(b, { data: `${b}:0` });
  await resumed.waitForEvents(2);
  expect(resumed.events[1]?.data).toBe(`${b}:0`);
  // A single stream's entry id means nothing here.
  const single = await open(one, [a], '1765000000000-0');
  await single.waitForEvents(1);
  expect(single.events[0]?.event).toBe(GAP_EVENT);
});

it('stops reading a shard once its last local subscriber is gone for shardIdleTimeout', async () => {
  const a = topicOn(1, 'a');
  const one = await node('idle', { shardIdleTimeout: 100 });
  const reader = await open(one, [a]);
  await waitFor(() => one.stats().shardsRead.length === 2, 'shard 1 read');
  reader.close();
  await waitFor(() => one.broker.stats().connections === 0, 'the stream closed');
  // No stream left: shard 0 (broadcasts, per-client channels) goes too.
  await waitFor(() => one.stats().shardsRead.length === 0, 'no shard read any more', 3_000);
  // Read again for the next subscriber, from where the shard is then: live events arrive.
  const again = await open(one, [a]);
  await one.broker.publish(a, { data: `${a}:0` });
  await again.waitForEvents(1);
  expect(again.events[0]?.data).toBe(`${a}:0`);
});

it('refuses with typed errors: one event for several shards, a publisher-given id, a shardOf out of range', async () => {
  const a = topicOn(1, 'a');
  const b = topicOn(2, 'b');
  const one = await node('refusals');
  const crossShard = await one.broker.publish([a, b], { data: 'x' }).catch((error: unknown) => error);
  expect(isSseError(crossShard) && crossShard.code).toBe('CROSS_SHARD');
  expect((crossShard as Error).message).toMatch(/shardOf/);
  const customId = await one.broker.publish(a, { data: 'x', id: 'mine-1' }).catch((error: unknown) => error);
  expect(isSseError(customId) && customId.code).toBe('INVALID_ID');
  // Topics the app keeps together: one shard, accepted.
  const together = await node('together', { shardOf: () => 2 });
  await expect(together.broker.publish([a, b], { data: 'x' })).resolves.toMatch(/^\.\.[0-9a-z]+$/);
  const wrong = await node('wrong', { shardOf: () => 3 });
  await expect(wrong.broker.publish(a, { data: 'x' })).rejects.toThrow(/from 0 to 2/);
});
