/**
 * Redis restarts mid-stream (killed, then started again on the same port and directory, with an
 * append-only file): two server processes keep their clients, fail publishes with the typed
 * error during the outage, and deliver again once Redis is back.
 */
import { openSse, type RedisServer, type SseReader, startRedis } from '@ssekit/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startNode, type TestNode } from './helpers/test-node.js';

let redis: RedisServer | undefined;
let nodes: TestNode[] = [];
const readers: SseReader[] = [];

beforeAll(async () => {
  redis = await startRedis({ persistent: true });
  const env = { REDIS_URL: redis.url, STREAM_KEY: 'restart', TRANSPORT_TIMEOUT: '500' };
  nodes = await Promise.all([startNode('fastify', env), startNode('hono', env)]);
});

afterAll(async () => {
  try {
    for (const reader of readers) reader.close();
    await Promise.allSettled(nodes.map((node) => node.stop()));
  } finally {
    await redis?.stop();
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('resumes delivery after Redis restarts, losing nothing it retained', async () => {
  const [a, b] = nodes as [TestNode, TestNode];
  for (const node of [a, a, b, b]) readers.push(await openSse(`${node.url}/events?topic=feed`));
  const published: string[] = [];
  for (let n = 0; n < 10; n++) published.push(await (n % 2 ? b : a).publish(['feed'], { data: n }));
  for (const reader of readers) await reader.waitForEvents(10);

  await redis?.kill();
  for (const node of [a, b]) {
    const outage = await node.control('publish', { topics: ['feed'], event: { data: 'lost' } });
    expect(outage.status).toBe(503);
    expect(outage.body.code).toBe('TRANSPORT_FAILED');
  }
  await redis?.restart();

  // The first publishes after the restart may still meet a reconnecting client.
  let n = 10;
  for (const deadline = Date.now() + 10_000; published.length === 10 && Date.now() < deadline; ) {
    const result = await (n % 2 ? b : a).control('publish', { topics: ['feed'], event: { data: n } });
    if (result.status === 200) {
      published.push(result.body.id as string);
      n++;
    } else {
      expect(result.body.code).toBe('TRANSPORT_FAILED');
      await sleep(100);
    }
  }
  expect(published).toHaveLength(11);
  for (; n < 20; n++) published.push(await (n % 2 ? b : a).publish(['feed'], { data: n }));

  for (const reader of readers) await reader.waitForEvents(20, 10_000);
  await sleep(200);
  for (const reader of readers) {
    expect(reader.events.map((event) => event.id)).toEqual(published);
    expect(reader.events.map((event) => event.data)).toEqual(published.map((_, i) => String(i)));
    expect(reader.ended()).toBe(false); // the streams stayed open through the outage
  }

  // History from before the outage survived it: a client resuming from the first event gets the rest.
  const late = await openSse(`${b.url}/events?topic=feed`, { headers: { 'last-event-id': published[0] as string } });
  readers.push(late);
  await late.waitForEvents(19);
  await sleep(100);
  expect(late.events.map((event) => event.id)).toEqual(published.slice(1));
});
