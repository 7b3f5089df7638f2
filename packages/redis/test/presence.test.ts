/**
 * Presence across two node processes on one redis-server: `broker.presence()` answers the same
 * on both, join/leave notices reach subscribers on both nodes (each client once, whatever its
 * sessions), and when a node is SIGKILLed its clients leave within the documented bound
 * (`ttl + interval`), with `ssekit:leave` notices sent by the surviving node.
 */
import { openSse, type RedisServer, type SseReader, startRedis, waitFor } from '@ssekit/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedisTransport } from '../src/index.js';
import { startNode, type TestNode } from './helpers/test-node.js';

const TTL = 1_500;
const INTERVAL = 300;

let redis: RedisServer | undefined;
let nodes: TestNode[] = [];
const readers: SseReader[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const env = { REDIS_URL: redis.url, STREAM_KEY: 'presence', PRESENCE_TTL: String(TTL), PRESENCE_INTERVAL: String(INTERVAL) };
  nodes = await Promise.all([startNode('presence', env), startNode('presence', env)]);
});

afterAll(async () => {
  try {
    for (const reader of readers) reader.close();
    await Promise.allSettled(nodes.map((node) => node.stop()));
  } finally {
    await redis?.stop();
  }
});

async function open(node: TestNode, client: string, topic = 'room'): Promise<SseReader> {
  const reader = await openSse(`${node.url}/events?topic=${topic}&client=${client}`);
  readers.push(reader);
  return reader;
}

async function presence(node: TestNode, topic = 'room'): Promise<unknown> {
  const answer = await node.control('presence', { topic });
  expect(answer.status).toBe(200);
  return answer.body.clients;
}

const notices = (reader: SseReader) =>
  reader.events
    .filter((event) => event.event === 'ssekit:join' || event.event === 'ssekit:leave')
    .map((event) => `${event.event.slice(7)} ${(JSON.parse(event.data) as { clientId: string }).clientId}`);

/** Publishes a marker through `node` and waits until every reader has it: a notice sent before it is then in view. */
async function settle(node: TestNode, watchers: SseReader[], topic = 'room'): Promise<void> {
  const marker = `m${Math.random()}`;
  await node.publish([topic], { event: 'marker', data: marker });
  for (const reader of watchers) await waitFor(() => reader.events.some((event) => event.data === marker), 'the marker', 5_000);
}

it('refuses a heartbeat interval that is not under the ttl', () => {
  const redis = new Redis({ lazyConnect: true });
  expect(() => createRedisTransport({ redis, presence: { ttl: 1_000, interval: 1_000 } })).toThrow(/must be less than presence.ttl/);
  expect(() => createRedisTransport({ redis, presence: { ttl: 0 } })).toThrow(/positive integer/);
  redis.disconnect();
});

it('keeps notices in the order of the changes while a client hops between the nodes', async () => {
  const [a, b] = nodes as [TestNode, TestNode];
  const watcher = await open(a, 'wh', 'room:hop');
  let current = await open(a, 'flip', 'room:hop');
  for (let hop = 1; hop <= 20; hop++) {
    // Half the hops open the next session first, half close the old one first: both at once.
    const next = open(hop % 2 ? b : a, 'flip', 'room:hop');
    current.close();
    current = await next;
  }
  current.close();
  const deadline = Date.now() + 10_000;
  while (JSON.stringify(await presence(a, 'room:hop')).includes('flip')) {
    if (Date.now() > deadline) throw new Error('flip is still present 10 s after its last session closed');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // Its last leave was appended with the change itself: before this marker.
  await settle(a, [watcher], 'room:hop');
  const flips = notices(watcher).filter((notice) => notice.endsWith(' flip'));
  expect(flips.length).toBeGreaterThanOrEqual(2);
  expect(flips.at(-1)).toBe('leave flip');
  // Every join is followed by its leave, never two of a kind in a row: a subscriber that applies
  // them in order ends with the truth.
  expect(flips.every((notice, i) => notice === (i % 2 === 0 ? 'join flip' : 'leave flip'))).toBe(true);
  watcher.close();
});

it('lists, notifies on both nodes, and removes a SIGKILLed node’s clients within ttl + interval', async () => {
  const [a, b] = nodes as [TestNode, TestNode];
  const watchA = await open(a, 'wa');
  const watchB = await open(b, 'wb');
  await open(a, 'ada');
  await waitFor(() => notices(watchA).includes('join ada'), "ada's join on A", 5_000);
  await open(b, 'ada'); // her second session, on the other node: no second notice
  await open(b, 'grace');
  const linus = await open(b, 'linus');
  await waitFor(() => notices(watchA).includes('join linus'), 'the joins on A', 5_000);
  await settle(a, [watchA, watchB]);
  const everyone = [
    { clientId: 'ada', sessions: 2 },
    { clientId: 'grace', sessions: 1 },
    { clientId: 'linus', sessions: 1 },
    { clientId: 'wa', sessions: 1 },
    { clientId: 'wb', sessions: 1 },
  ];
  expect(await presence(a)).toEqual(everyone);
  expect(await presence(b)).toEqual(everyone);
  expect(await presence(a, 'elsewhere')).toEqual([]);

  // A graceful leave on B reaches the watchers of both nodes.
  linus.close();
  await waitFor(() => notices(watchA).includes('leave linus'), "linus's leave on A", 5_000);
  await settle(b, [watchA, watchB]);
  for (const watcher of [watchA, watchB]) {
    expect(notices(watcher).filter((notice) => !notice.endsWith(' wa') && !notice.endsWith(' wb'))).toEqual([
      'join ada',
      'join grace',
      'join linus',
      'leave linus',
    ]);
  }

  // B dies without closing anything: A's heartbeat removes its sessions and says who left.
  const killedAt = Date.now();
  await b.kill();
  await waitFor(() => notices(watchA).includes('leave grace') && notices(watchA).includes('leave wb'), 'the leaves of B’s clients', 10_000);
  const took = Date.now() - killedAt;
  console.log(`B's clients left ${took} ms after the SIGKILL (bound: ttl ${TTL} + interval ${INTERVAL})`);
  expect(took).toBeLessThan(TTL + INTERVAL + 1_000);
  expect(await presence(a)).toEqual([
    { clientId: 'ada', sessions: 1 },
    { clientId: 'wa', sessions: 1 },
  ]);
  await settle(a, [watchA]);
  // ada still has her session on A: she did not leave.
  expect(notices(watchA).filter((notice) => notice.includes('ada'))).toEqual(['join ada']);
  expect(notices(watchA).filter((notice) => notice === 'leave grace' || notice === 'leave wb')).toHaveLength(2);
});

it('writes a node’s sessions again when Redis lost them, and says they joined', async () => {
  const [a] = nodes as [TestNode];
  const watcher = await open(a, 'hopper', 'room:2');
  await waitFor(() => notices(watcher).includes('join hopper'), 'the join', 5_000);
  const admin = new Redis(redis?.url as string);
  try {
    await admin.flushall(); // as a restart without persistence would
    expect(await presence(a, 'room:2')).toEqual([]);
    // The next heartbeat finds the node unregistered, writes its sessions and publishes their joins.
    await waitFor(() => notices(watcher).filter((notice) => notice === 'join hopper').length === 2, 'the join again', 5_000);
    expect(await presence(a, 'room:2')).toEqual([{ clientId: 'hopper', sessions: 1 }]);
  } finally {
    admin.disconnect();
  }
});
