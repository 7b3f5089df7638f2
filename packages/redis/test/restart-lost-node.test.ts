/**
 * Redis restarts without persistence while a node is paused (SIGSTOP) with events it has not
 * read: its clients get an `ssekit:gap` (reason `lost`) where those events were lost, then every
 * event published after the restart, once and in order.
 *
 * Needs the broker to forward the transport's `gap()` to open streams (packages/core broker).
 */
import { openSse, type RedisServer, startRedis } from '@ssekit/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startNode, type TestNode } from './helpers/test-node.js';

let redis: RedisServer | undefined;
let nodes: TestNode[] = [];

beforeAll(async () => {
  redis = await startRedis(); // no persistence
  const env = { REDIS_URL: redis.url, STREAM_KEY: 'lost', TRANSPORT_TIMEOUT: '500' };
  nodes = await Promise.all([startNode('fastify', env), startNode('hono', env)]);
});

afterAll(async () => {
  try {
    for (const node of nodes) node.child.kill('SIGCONT');
    await Promise.allSettled(nodes.map((node) => node.stop()));
  } finally {
    await redis?.stop();
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('sends ssekit:gap (lost) to a paused node’s clients where events were lost, then the later events once each', async () => {
  const [a, b] = nodes as [TestNode, TestNode];
  const reader = await openSse(`${b.url}/events?topic=feed`);
  try {
    const first = await a.publish(['feed'], { data: 0 });
    await reader.waitForEvents(1);

    b.child.kill('SIGSTOP'); // B's read loop holds still; Redis confirms what A publishes
    for (let n = 1; n <= 3; n++) await a.publish(['feed'], { data: n });
    await redis?.kill();
    await redis?.restart();
    b.child.kill('SIGCONT');

    const after: string[] = [];
    for (let n = 4, deadline = Date.now() + 10_000; n <= 6 && Date.now() < deadline; ) {
      const result = await a.control('publish', { topics: ['feed'], event: { data: n } });
      if (result.status === 200) {
        after.push(result.body.id as string);
        n++;
      } else {
        await sleep(100); // A's writer is reconnecting
      }
    }
    expect(after).toHaveLength(3);
    await reader.waitForEvents(5, 10_000).catch(() => []);
    await sleep(300);
    const events = reader.events;
    // Redis may have pushed event 1 into B's socket before B stopped (its XREAD was waiting):
    // B read it, so it is delivered. Events 2 and 3 (at least) were lost with the restart.
    const gapAt = events.findIndex((event) => event.event === 'ssekit:gap');
    expect(gapAt).toBeGreaterThan(0);
    const before = events.slice(0, gapAt);
    expect(before[0]?.id).toBe(first);
    expect([['0'], ['0', '1']]).toContainEqual(before.map((event) => event.data));
    expect(JSON.parse(events[gapAt]?.data ?? '{}')).toMatchObject({ reason: 'lost' });
    const later = events.slice(gapAt + 1);
    expect(later.map((event) => event.event)).toEqual(['message', 'message', 'message']);
    expect(later.map((event) => event.id)).toEqual(after);
    expect(later.map((event) => event.data)).toEqual(['4', '5', '6']);
    expect(reader.ended()).toBe(false);
  } finally {
    reader.close();
  }
});
