/**
 * `shards: 3` on one real redis-server, behind real brokers served on node:http and read by
 * real SSE clients: every client gets every event of its topics once, in per-topic order, on
 * either node; a node reads only the shards its clients need; one Last-Event-ID (the vector of
 * shard positions) replays every topic of a client on the other node, nothing twice; what the
 * id does not cover is a gap, never silence; refusals are typed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Broker, type BrokerOptions, createBroker, GAP_EVENT, isSseError, type TransportMessage } from '@ssekit/core';
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

async function node(
  streamKey: string,
  options: Partial<RedisTransportOptions> = {},
  notify = false,
  brokerOptions: Partial<BrokerOptions> = {},
): Promise<TestNode> {
  const transport = createRedisTransport({ redis: redis?.url as string, streamKey, shards: SHARDS, ...options });
  const broker = createBroker({
    transport,
    heartbeatInterval: 0,
    closeTimeout: 500,
    ...(notify ? { presence: { notify: () => true } } : {}),
    ...brokerOptions,
  });
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
    const list = out[topic as string] ?? [];
    list.push(Number(n));
    out[topic as string] = list;
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

it('replays a client on topics of two shards on the other node from its one id while both publish: each event once, then live', async () => {
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
  // The second node has no streams: it reads nothing, and starts the shards for this client.
  expect(two.stats().shardsRead).toEqual([]);
  // Both nodes publish on both topics without pause while the client reconnects, so events land
  // before the replay, inside it, at the seam and after it.
  const total = 150;
  let published = 10;
  const publishing = (async () => {
    for (; published < total; published++) {
      await Promise.all([
        one.broker.publish(a, { data: `${a}:${published}` }),
        two.broker.publish(b, { data: `${b}:${published}` }),
        // Not the client's: it moves shard 0, so the nodes' ids differ (no help from equal ids at the seam).
        two.broker.publish(other, { data: `${other}:${published}` }),
      ]);
    }
  })();
  await waitFor(() => published >= 40, 'some events published while the client is away');
  const resumed = await open(two, [a, b], lastId);
  await publishing;
  await resumed.waitForEvents(2 * (total - 10), 10_000);
  // One more event after the last: a duplicate or a late one would have arrived before it.
  await one.broker.publish(a, { data: `${a}:${total}` });
  await resumed.waitForEvents(2 * (total - 10) + 1);
  expect(resumed.events.filter((event) => event.event === GAP_EVENT)).toEqual([]);
  expect(byTopic(resumed.events)).toEqual({ [a]: range(10, total + 1), [b]: range(10, total) });
  expect(resumed.events).toHaveLength(2 * (total - 10) + 1);
  // The id of a replayed event resumes right after it (on the first node).
  const middle = resumed.events[4]?.id as string;
  const fromMiddle = await open(one, [a, b], middle);
  await fromMiddle.waitForEvents(resumed.events.length - 5);
  expect(byTopic(fromMiddle.events)).toEqual(byTopic(resumed.events.slice(5)));
  fromMiddle.close();
  // And its newest id resumes on the first node with nothing missed and nothing again.
  const newest = resumed.events.at(-1)?.id as string;
  resumed.close();
  await two.broker.publish(b, { data: `${b}:${total}` });
  const back = await open(one, [a, b], newest);
  await back.waitForEvents(1);
  await one.broker.publish(a, { data: `${a}:${total + 1}` });
  await back.waitForEvents(2);
  expect(back.events.map((event) => event.data)).toEqual([`${b}:${total}`, `${a}:${total + 1}`]);
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
  const invalid = await wrong.broker.publish(a, { data: 'x' }).catch((error: unknown) => error);
  expect(isSseError(invalid) && invalid.code).toBe('INVALID_SHARD');
  expect((invalid as Error).message).toMatch(/from 0 to 2.*Fix the shardOf option/);
  // A stream on that topic: the framework's 500 (the error as cause, for its log), not a 503 that
  // has every client reconnect for ever while nothing tells the app what is wrong.
  const request = {
    url: 'http://x/',
    method: 'GET',
    header: (name: string) => (name === 'accept' ? 'text/event-stream' : undefined),
    raw: null,
  };
  const refused = await wrong.broker
    .stream(request, { topics: [a] }, () => {
      throw new Error('opened a stream that cannot be read');
    })
    .catch((error: unknown) => error);
  // Answered like a failing admission hook: a 500 with nothing of the message on the wire.
  expect(refused).toMatchObject({ code: 'HOOK_FAILED', hook: 'transport', status: 500, cause: { code: 'INVALID_SHARD' } });
  expect(wrong.broker.stats()).toMatchObject({ connections: 0, rejected: 0 });
  // An open stream (broadcasts only) subscribing to such a topic: the same error, and the stream is
  // not left half-joined (it was: released, it stayed in its channels, queueing every publish).
  const reasons: string[] = [];
  const watched = await node('wrong-subscribe', { shardOf: () => 3 }, false, { onDisconnect: (_c, reason) => reasons.push(reason) });
  const reader = await open(watched, []);
  await waitFor(() => watched.broker.stats().connections === 1, 'open');
  const [connection] = [...watched.broker.connections()];
  let thrown: unknown;
  try {
    connection?.subscribe(a);
  } catch (error) {
    thrown = error;
  }
  expect(isSseError(thrown) && thrown.code).toBe('INVALID_SHARD');
  await watched.broker.broadcast({ data: 'still here' });
  await reader.waitForEvents(1);
  reader.close();
  await waitFor(() => watched.broker.stats().connections === 0, 'released');
  await waitFor(() => reasons.length > 0, 'the release ran to its end (onDisconnect)');
  expect(reasons).toEqual(['client']);
});

it('hands the broker each event with its shard as lane, and replays with one floor per shard', async () => {
  const a = topicOn(1, 'a');
  const b = topicOn(2, 'b');
  const transport = createRedisTransport({ redis: redis?.url as string, streamKey: 'lanes', shards: SHARDS });
  const received: TransportMessage[] = [];
  transport.subscribe({ message: (message) => received.push(message), gap: () => {} });
  try {
    await transport.ready?.([`#${a}`, `#${b}`]);
    await transport.publish([`#${a}`], 'data: a0\n\n');
    await transport.publish([`#${b}`], 'data: b0\n\n');
    await transport.publish([`#${a}`], 'data: a1\n\n');
    await waitFor(() => received.length === 3, 'three events read');
    expect(received.map((message) => [message.frame, message.lane])).toEqual([
      ['data: a0\n\n', 1],
      ['data: b0\n\n', 2],
      ['data: a1\n\n', 1],
    ]);
    const replay = await transport.replay([`#${a}`, `#${b}`], received[0]?.id as string);
    // Order holds per shard; events of two shards in one millisecond merge by shard.
    const lanes = replay.messages.map((message) => [message.frame, message.lane]).sort((x, y) => Number(x[1]) - Number(y[1]));
    expect(lanes).toEqual([
      ['data: a1\n\n', 1],
      ['data: b0\n\n', 2],
    ]);
    expect(replay.through).toEqual([undefined, received[2]?.position, received[1]?.position]);
  } finally {
    await transport.close();
  }
});

it('keeps presence with shard 0: both nodes list a topic’s clients, and join notices reach the other node', async () => {
  const room = topicOn(2, 'room');
  const [one, two] = [await node('presence', {}, true), await node('presence', {}, true)];
  const watcher = await open(two, [room]);
  await waitFor(() => two.broker.stats().connections === 1, 'the watcher open');
  const joiner = await open(one, [room]);
  await waitFor(() => one.broker.stats().connections === 1, 'the joiner open');
  await waitFor(() => watcher.events.filter((event) => event.event === 'ssekit:join').length === 2, 'both joins on the other node');
  expect((await one.broker.presence(room)).clients).toHaveLength(2);
  expect((await two.broker.presence(room)).clients).toHaveLength(2);
  joiner.close();
  await waitFor(() => watcher.events.some((event) => event.event === 'ssekit:leave'), 'the leave on the other node');
});

it('subscribing an open stream to a topic of a shard not read yet, then publishing on the same node, delivers', async () => {
  const a = topicOn(1, 'a');
  const one = await node('subscribe-then-publish');
  const reader = await open(one, [a]);
  await waitFor(() => one.broker.stats().connections === 1, 'the stream open');
  const connection = [...one.broker.connections()][0];
  if (!connection) throw new Error('no connection');
  for (let round = 0; round < 3; round++) {
    const b = topicOn(2, `b${round}-`);
    expect(one.stats().shardsRead).toEqual(round === 0 ? [0, 1] : [0, 1, 2]);
    await one.broker.subscribe(connection, [b]);
    await one.broker.publish(b, { data: `${b}:0` });
    await reader.waitForEvents(round + 1);
    expect(reader.events[round]?.data).toBe(`${b}:0`);
    await one.broker.unsubscribe(connection, [b]);
  }
});

it('reads every shard for good for a caller of ready() without channels (a broker that does not say what it needs)', async () => {
  const transport = createRedisTransport({ redis: redis?.url as string, streamKey: 'pinned', shards: SHARDS, shardIdleTimeout: 50 });
  const received: TransportMessage[] = [];
  transport.subscribe({ message: (message) => received.push(message), gap: () => {} });
  try {
    await transport.ready?.();
    const stats = () => transport.stats?.() as ShardedTransportStats;
    expect(stats().shardsRead).toEqual([0, 1, 2]);
    // A transport told its channels, and never told of a subscriber, stops after the idle timeout:
    // once it has, the one that was not told must still read every shard.
    const control = createRedisTransport({ redis: redis?.url as string, streamKey: 'pinned', shards: SHARDS, shardIdleTimeout: 50 });
    await control.ready?.(['*']);
    const controlShards = () => (control.stats?.() as ShardedTransportStats | undefined)?.shardsRead ?? [];
    await waitFor(() => controlShards().length === 0, 'the control to stop reading');
    await control.close();
    for (let k = 0; k < SHARDS; k++) await transport.publish([`#${topicOn(k, 'p')}`], `data: ${k}\n\n`);
    await waitFor(() => received.length === SHARDS, 'an event of every shard');
    expect(stats().shardsRead).toEqual([0, 1, 2]);
  } finally {
    await transport.close();
  }
});
