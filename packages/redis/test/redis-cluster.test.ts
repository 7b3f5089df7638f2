/**
 * A real Redis Cluster (3 masters, 3 replicas, started by the test): the transport given a
 * `redis+cluster://` URL publishes, replays (custom ids too: their keys share the stream's
 * slot) and keeps resumable streams; then the master of the stream's slot is killed with SIGKILL
 * while a publisher publishes continuously, and every client on two server processes gets every
 * accepted event once, in order, or an `ssekit:gap` where it is missing.
 */
import { type Broker, createBroker, type Transport, type TransportMessage } from '@ssekit/core';
import { openSse, type RedisCluster, type SseReader, startRedisCluster, waitFor } from '@ssekit/test-utils';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedisTransport, createResumableStore } from '../src/index.js';
import { checkReader, laggingFailover, SequencePublisher } from './helpers/failover.js';
import { startNode, type TestNode } from './helpers/test-node.js';

let cluster: RedisCluster;
let nodes: TestNode[] = [];
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
  const env = { REDIS_URL: cluster.url, STREAM_KEY: 'failover', TRANSPORT_TIMEOUT: '1000', WAIT_REPLICAS: '1' };
  nodes = await Promise.all([startNode('fastify', env), startNode('hono', env)]);
}, 60_000);

afterAll(async () => {
  try {
    await Promise.allSettled(closers.map((close) => close()));
    await Promise.allSettled(nodes.map((node) => node.stop()));
  } finally {
    await cluster?.stop();
  }
});

function transport(streamKey: string): Transport {
  const created = createRedisTransport({ redis: cluster.url, streamKey, timeout: 2_000 });
  closers.push(() => created.close());
  return created;
}

it('publishes, reads and replays on a cluster, given an ioredis Cluster or a redis+cluster:// URL', async () => {
  const client = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]?.port ?? 0 }], { lazyConnect: true });
  const reading = createRedisTransport({ redis: client, streamKey: 'plain' });
  closers.push(() => reading.close());
  const writing = transport('plain');
  const received: TransportMessage[] = [];
  reading.subscribe({ message: (message) => received.push(message), gap: () => {} });
  await reading.ready?.();
  const first = await writing.publish(['a'], 'data: 1\n\n');
  const custom = await writing.publish(['a'], 'data: 2\n\n', 'custom-2');
  await writing.publish(['a'], 'data: 3\n\n');
  await waitFor(() => received.length === 3, 'the three entries read on the other transport');
  expect(received.map((message) => message.frame)).toEqual(['data: 1\n\n', 'data: 2\n\n', 'data: 3\n\n']);
  expect(custom).toBe('custom-2');
  // The custom id's key is in the stream's slot (else the publish script fails with CROSSSLOT).
  const byEntryId = await reading.replay(['a'], first);
  expect(byEntryId.messages.map((message) => message.frame)).toEqual(['data: 2\n\n', 'data: 3\n\n']);
  const byCustomId = await reading.replay(['a'], 'custom-2');
  expect(byCustomId.messages.map((message) => message.frame)).toEqual(['data: 3\n\n']);
});

it('keeps publish order after the master lost its script cache (as after a failover): NOSCRIPT publishes sent again go first', async () => {
  const reading = transport('order');
  const writing = transport('order');
  const received: string[] = [];
  reading.subscribe({ message: (message) => received.push(message.frame), gap: () => {} });
  await reading.ready?.();
  const master = await cluster.masterOf('order');
  const admin = new Redis(master.url);
  closers.push(() => admin.disconnect());
  const ROUNDS = 4;
  const PER_ROUND = 60;
  for (let round = 0; round < ROUNDS; round++) {
    await admin.script('FLUSH');
    for (let i = 0; i < PER_ROUND; i++) {
      void writing.publish(['a'], `data: ${round * PER_ROUND + i}\n\n`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => received.length === (round + 1) * PER_ROUND, `round ${round} read`, 10_000);
  }
  expect(received).toEqual(Array.from({ length: ROUNDS * PER_ROUND }, (_, i) => `data: ${i}\n\n`));
});

it('keeps resumable streams on a cluster: a reader waiting on one node is woken by appends on another', async () => {
  const producer = createResumableStore({ redis: cluster.url, streamKey: 'answers' });
  const consumer = createResumableStore({ redis: cluster.url, streamKey: 'answers' });
  closers.push(
    () => producer.close(),
    () => consumer.close(),
  );
  await producer.create('s1', { ttl: 60_000, owner: undefined });
  const abort = new AbortController();
  const woken = consumer.wait('s1', 0, abort.signal);
  await producer.append('s1', 1, new TextEncoder().encode('data: one\n\n'));
  await woken;
  const read = await consumer.read('s1', 0, 1 << 20);
  expect(read?.events.map((event) => new TextDecoder().decode(event))).toEqual(['data: one\n\n']);
  await producer.finish('s1', 60_000);
  expect((await consumer.read('s1', 1, 1 << 20))?.finished).toBe(true);
});

it('reports a gap after the events a promoted replica lacks, to readers that had them, then reads on', async () => {
  // A stream on another shard than the next test's.
  const other = await cluster.masterOf('failover');
  let key = '';
  let master = other;
  for (let i = 0; master === other; i++) {
    key = `lagging:${i}`;
    master = await cluster.masterOf(key);
  }
  const [replica] = await cluster.replicasOf(master);
  if (!replica) throw new Error(`no replica of ${master.port}`);
  await laggingFailover({ open: () => transport(key), master, replica, failOver: () => cluster.failedOver(key, master) });
}, 30_000);

it('after SIGKILL of the stream’s master, every client got every accepted event once, in order, or a gap where it is missing', async () => {
  const readers: SseReader[] = [];
  for (const node of nodes) for (let i = 0; i < 2; i++) readers.push(await openSse(`${node.url}/events?topic=feed`));
  closers.push(async () => {
    for (const reader of readers) reader.close();
  });
  const publishing = createRedisTransport({ redis: cluster.url, streamKey: 'failover', timeout: 1_000, waitForReplicas: 1 });
  const broker: Broker = createBroker({ transport: publishing, heartbeatInterval: 0 });
  closers.push(() => broker.close());
  const publisher = new SequencePublisher(broker);

  while (publisher.accepted < 30) await publisher.publishOne();
  await waitFor(() => readers.every((reader) => reader.events.length >= 30), 'the first events everywhere', 10_000);

  const old = await cluster.masterOf('failover');
  publisher.start();
  await waitFor(() => publisher.accepted >= 40, 'publishes while the master is up', 10_000);
  await old.kill();
  const promoted = await cluster.failedOver('failover', old);
  expect(promoted).not.toBe(old);
  // The promoted replica has no replica of its own, so with waitForReplicas: 1 it refuses
  // (rejects after the timeout) until the old master is back: it rejoins as its replica.
  await old.restart();
  const afterFailover = publisher.accepted;
  await waitFor(() => publisher.accepted >= afterFailover + 30, 'publishes accepted by the new master', 20_000);
  await publisher.stop();

  // The end marker: once every reader has it, everything before it has arrived.
  for (let tries = 0; ; tries++) {
    try {
      await broker.publish('feed', { event: 'end', data: 'end' });
      break;
    } catch (error) {
      if (tries > 20) throw error;
    }
  }
  await waitFor(() => readers.every((reader) => reader.events.some((event) => event.event === 'end')), 'the end marker everywhere', 20_000);

  const outcomes = publisher.outcomes;
  const accepted = [...outcomes].filter(([, outcome]) => outcome === 'ok').map(([n]) => n);
  for (const [i, reader] of readers.entries()) {
    const { received } = checkReader(reader.events, outcomes, `reader ${i}`);
    // Events from before the kill and from after the failover both arrived.
    expect(received.slice(0, 30)).toEqual(accepted.slice(0, 30));
    expect(received.at(-1)).toBe(accepted.at(-1));
  }
}, 60_000);
