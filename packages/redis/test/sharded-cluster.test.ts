/**
 * `shards: 3` on a real Redis Cluster (3 masters, 3 replicas, started by the test): the three
 * stream keys land on three different masters; events published on any node reach clients of
 * either node and replay across shards there; and after SIGKILL of one shard's master while a
 * publisher publishes (`waitForReplicas: 1`), every client got every accepted event once, in
 * order, or an `ssekit:gap` where it is missing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Broker, createBroker, GAP_EVENT } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { openSse, type RedisCluster, redisCli, type SseReader, startRedisCluster, waitFor } from '@ssekit/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedisTransport, type RedisTransportOptions } from '../src/index.js';
import { keySlot, shardKeys } from '../src/shard-keys.js';
import { checkReader, SequencePublisher } from './helpers/failover.js';

let cluster: RedisCluster;
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);

afterAll(async () => {
  try {
    await Promise.allSettled(closers.map((close) => close()));
  } finally {
    await cluster?.stop();
  }
});

/** `feed` on shard 1, `news` on shard 2, everything else on shard 0. */
const shardOf = (topic: string) => (topic === 'feed' ? 1 : topic === 'news' ? 2 : 0);

async function node(streamKey: string, options: Partial<RedisTransportOptions> = {}): Promise<{ broker: Broker; url: string }> {
  const transport = createRedisTransport({ redis: cluster.url, streamKey, shards: 3, shardOf, timeout: 1_000, ...options });
  const broker = createBroker({ transport, heartbeatInterval: 0, closeTimeout: 500 });
  const server = http.createServer(async (req, res) => {
    const topics = new URL(req.url ?? '/', 'http://x').searchParams.getAll('topic');
    await broker.stream(toStreamRequest(req), { topics }, () => createNodeSink(res)).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    await broker.close();
    await new Promise((resolve) => server.close(resolve));
  });
  return { broker, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function read(url: string, topics: string[], lastEventId?: string): Promise<SseReader> {
  const query = topics.map((topic) => `topic=${topic}`).join('&');
  return openSse(`${url}/events?${query}`, lastEventId ? { headers: { 'last-event-id': lastEventId } } : {}).then((reader) => {
    closers.push(() => reader.close());
    return reader;
  });
}

it('puts the three shards on three masters, and publishes, reads and replays across them', async () => {
  const keys = shardKeys('spread', 3);
  const port = cluster.nodes[0]?.port as number;
  const slots = await Promise.all(keys.map((key) => redisCli(port, 'CLUSTER', 'KEYSLOT', key)));
  const masters = await Promise.all(keys.map((key) => cluster.masterOf(key)));
  expect(new Set(masters.map((master) => master.port)).size).toBe(3);
  // The slots computed here are the ones Redis computes.
  expect(slots.map((slot) => Number(slot.trim()))).toEqual(keys.map(keySlot));

  const [one, two] = [await node('spread'), await node('spread')];
  const reader = await read(one.url, ['feed', 'news']);
  for (let n = 0; n < 5; n++) {
    await two.broker.publish('feed', { data: `feed:${n}` });
    await one.broker.publish('news', { data: `news:${n}` });
    await two.broker.broadcast({ data: `all:${n}` });
  }
  await reader.waitForEvents(15);
  const id = reader.events[5]?.id as string;
  reader.close();
  const resumed = await read(two.url, ['feed', 'news'], id);
  await resumed.waitForEvents(9);
  const perTopic = (events: SseReader['events'], prefix: string) =>
    events.map((event) => event.data).filter((data) => data.startsWith(prefix));
  for (const prefix of ['feed:', 'news:', 'all:'])
    expect(perTopic(resumed.events, prefix)).toEqual(perTopic(reader.events.slice(6), prefix));
  expect(resumed.events.filter((event) => event.event === GAP_EVENT)).toEqual([]);
}, 30_000);

it('after SIGKILL of one shard’s master, every client got every accepted event once, in order, or a gap where it is missing', async () => {
  const [one, two] = [await node('failover', { waitForReplicas: 1 }), await node('failover', { waitForReplicas: 1 })];
  const readers = [await read(one.url, ['feed', 'news']), await read(two.url, ['feed'])];
  const publisher = new SequencePublisher(one.broker);
  while (publisher.accepted < 20) await publisher.publishOne();
  await waitFor(() => readers.every((reader) => reader.events.length >= 20), 'the first events everywhere', 10_000);

  const feedKey = shardKeys('failover', 3)[1] as string;
  const old = await cluster.masterOf(feedKey);
  publisher.start();
  await waitFor(() => publisher.accepted >= 30, 'publishes while the master is up', 10_000);
  await old.kill();
  await cluster.failedOver(feedKey, old);
  await old.restart();
  const afterFailover = publisher.accepted;
  await waitFor(() => publisher.accepted >= afterFailover + 20, 'publishes accepted by the new master', 20_000);
  await publisher.stop();
  for (let tries = 0; ; tries++) {
    try {
      await one.broker.publish('feed', { event: 'end', data: 'end' });
      break;
    } catch (error) {
      if (tries > 20) throw error;
    }
  }
  await waitFor(() => readers.every((reader) => reader.events.some((event) => event.event === 'end')), 'the end marker everywhere', 20_000);
  const accepted = [...publisher.outcomes].filter(([, outcome]) => outcome === 'ok').map(([n]) => n);
  for (const [i, reader] of readers.entries()) {
    const { received } = checkReader(reader.events, publisher.outcomes, `reader ${i}`);
    expect(received.slice(0, 20)).toEqual(accepted.slice(0, 20));
    expect(received.at(-1)).toBe(accepted.at(-1));
  }
}, 60_000);
