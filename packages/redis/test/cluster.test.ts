/**
 * Three server processes (Fastify, Express, Hono on Node) share one Redis stream. Clients are
 * spread across them; events are published through any of them.
 */
import { type Client, createClient } from '@ssekit/client';
import { openSse, type RedisServer, type SseReader, startRedis } from '@ssekit/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type NodeKind, startNode, type TestNode } from './helpers/test-node.js';

let redis: RedisServer | undefined;
let nodes: TestNode[] = [];
const readers: SseReader[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const env = { REDIS_URL: redis.url, STREAM_KEY: 'cluster' };
  nodes = await Promise.all((['fastify', 'express', 'hono'] as NodeKind[]).map((kind) => startNode(kind, env)));
});

afterEach(() => {
  for (const reader of readers.splice(0)) reader.close();
  for (const client of clients.splice(0)) client.close();
});

afterAll(async () => {
  try {
    await Promise.allSettled(nodes.map((node) => node.stop()));
  } finally {
    await redis?.stop();
  }
});

const node = (index: number) => nodes[index % nodes.length] as TestNode;
const ids = (reader: { events: Array<{ id: string | undefined }> }) => reader.events.map((event) => event.id);

/**
 * Publishes an `end` event after the others and waits until every reader has it, then removes
 * it: what arrived by then is everything (a duplicate or a stray would be in view), no sleep.
 */
async function endMarker(on: SseReader[], publish: () => Promise<unknown>): Promise<void> {
  await publish();
  await until(() => on.every((reader) => reader.events.some((event) => event.event === 'end')), 'the end marker everywhere', 10_000);
  for (const reader of on)
    reader.events.splice(
      reader.events.findIndex((event) => event.event === 'end'),
      1,
    );
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const byStreamId = (a: string, b: string) => {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
};

async function until(condition: () => boolean, what: string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('fan-out across nodes', () => {
  it('delivers every event published on any node to every client on every node, once and in order', async () => {
    for (let i = 0; i < 6; i++) readers.push(await openSse(`${node(i).url}/events?topic=room`));
    const sequential: string[] = [];
    for (let n = 0; n < 30; n++) sequential.push(await node(n).publish(['room'], { event: 'tick', data: { n } }));
    // Concurrent publishes from all nodes: Redis decides one order, and every client sees that order.
    const concurrent = await Promise.all(
      Array.from({ length: 30 }, (_, n) => node(n).publish(['room'], { event: 'tick', data: { n: 30 + n } })),
    );
    const expected = [...sequential, ...[...concurrent].sort(byStreamId)];
    for (const reader of readers) await reader.waitForEvents(60, 10_000);
    await endMarker(readers, () => node(0).publish(['room'], { event: 'end', data: 'end' }));
    for (const reader of readers) {
      expect(ids(reader)).toEqual(expected);
      expect(reader.events.slice(0, 30).map((event) => JSON.parse(event.data).n)).toEqual(sequential.map((_, n) => n));
    }
  });

  it('carries broadcasts and per-client sends to the node the client is on', async () => {
    const ada = await openSse(`${node(2).url}/events?client=ada`);
    const bob = await openSse(`${node(1).url}/events?client=bob`);
    readers.push(ada, bob);
    const broadcast = (await node(0).control('broadcast', { event: { data: 'all' } })).body.id;
    const send = (await node(1).control('send', { clientId: 'ada', event: { data: 'ada only' } })).body.id;
    await ada.waitForEvents(2);
    await bob.waitForEvents(1);
    await endMarker([ada, bob], () => node(0).control('broadcast', { event: { event: 'end', data: 'end' } }));
    expect(ada.events.map((event) => [event.id, event.data])).toEqual([
      [broadcast, 'all'],
      [send, 'ada only'],
    ]);
    expect(bob.events.map((event) => [event.id, event.data])).toEqual([[broadcast, 'all']]);
  });
});

describe('a node killed with SIGKILL', () => {
  it('moves its clients to another node with Last-Event-ID, and they miss nothing and get nothing twice', async () => {
    const victim = node(1);
    const survivors = nodes.filter((candidate) => candidate !== victim);
    let routed = 0;
    // The moved clients stay away until the test lets them back: what is published meanwhile must
    // come from replay, however long the publishes take on a loaded machine.
    let letBack: () => void = () => {};
    const away = new Promise<void>((resolve) => {
      letBack = resolve;
    });
    // A load balancer: requests for the dead node go to the survivors, in turn.
    const balancer: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.origin === victim.url && victim.child.exitCode === null && victim.child.signalCode === null) return fetch(url, init);
      if (url.origin === victim.url) await away; // a moved client, held until the test lets it back
      const target = new URL(survivors[routed++ % survivors.length]?.url as string);
      url.host = target.host;
      return fetch(url, init);
    };
    type Seen = { ids: string[]; opens: number[]; gaps: number; ended: number };
    const seen: Seen[] = [];
    const connect = (base: string) => {
      const record: Seen = { ids: [], opens: [], gaps: 0, ended: 0 };
      const client = createClient(`${base}/events?topic=feed`, {
        fetch: balancer,
        parse: false,
        retryDelay: 50,
        retryJitter: 0,
        stallTimeout: 0,
      });
      client.on('tick', (_data, event) => record.ids.push(event.id as string));
      client.onLifecycle('open', () => record.opens.push(Date.now()));
      client.onLifecycle('gap', () => record.gaps++);
      client.on('end', () => record.ended++);
      clients.push(client);
      seen.push(record);
      return record;
    };
    const onVictim = [connect(victim.url), connect(victim.url), connect(victim.url), connect(victim.url)];
    const onSurvivors = survivors.map((survivor) => connect(survivor.url));
    await until(() => seen.every((record) => record.opens.length === 1), 'every client to open');

    const published: string[] = [];
    for (let n = 0; n < 10; n++) published.push(await node(n).publish(['feed'], { event: 'tick', data: n }));
    await until(() => seen.every((record) => record.ids.length === 10), 'the first ten events everywhere');

    await victim.kill();
    // Published while the victim's clients are away (the balancer holds their reconnects).
    for (let n = 10; n < 20; n++) published.push(await (survivors[n % 2] as TestNode).publish(['feed'], { event: 'tick', data: n }));
    expect(onVictim.every((record) => record.opens.length === 1)).toBe(true);
    letBack();
    await until(() => onVictim.every((record) => record.opens.length === 2), 'the moved clients to reconnect');
    for (let n = 20; n < 30; n++) published.push(await (survivors[n % 2] as TestNode).publish(['feed'], { event: 'tick', data: n }));
    await (survivors[0] as TestNode).publish(['feed'], { event: 'end', data: 'end' });
    // Once the last event is everywhere, every earlier one (or a duplicate) is in view.
    await until(() => seen.every((record) => record.ended === 1), 'the end marker everywhere', 10_000);

    for (const record of seen) {
      expect(record.ids).toEqual(published);
      expect(record.gaps).toBe(0);
    }
    for (const record of onSurvivors) expect(record.opens).toHaveLength(1);
    const replayed = await Promise.all(survivors.map(async (survivor) => (await survivor.control('stats')).body.replayed as number));
    expect(replayed.reduce((sum, count) => sum + count, 0)).toBe(4 * 10);
  });
});
