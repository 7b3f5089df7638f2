/**
 * Resumable answers across nodes: two server processes share one Redis. An answer started on
 * one is resumed on the other with every token once, stopped from the other, and replayed after
 * it finished; the store's own contract is checked against the same Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createBroker, DONE_EVENT, STREAM_ID_HEADER } from '@ssekit/core';
import { openSse, type RedisServer, type SseReader, startRedis, stopChild, track, waitForOutput } from '@ssekit/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisTransport } from '../src/index.js';

interface AnswersNode {
  readonly url: string;
  readonly child: ChildProcess;
}

let redis: RedisServer | undefined;
const nodes: AnswersNode[] = [];
const readers: SseReader[] = [];
const packageDir = fileURLToPath(new URL('..', import.meta.url));

async function startNode(streamKey: string, every = 1, lease = 10_000): Promise<AnswersNode> {
  const script = fileURLToPath(new URL('./resumable/answers-node.ts', import.meta.url));
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: packageDir,
      env: { ...process.env, REDIS_URL: redis?.url, STREAM_KEY: streamKey, EVERY: String(every), LEASE: String(lease) },
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const match = await waitForOutput(child, /listening (\d+)/, 20_000);
  const node = { url: `http://127.0.0.1:${match[1]}`, child };
  nodes.push(node);
  return node;
}

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  try {
    for (const reader of readers) reader.close();
    await Promise.allSettled(nodes.map((node) => stopChild(node.child)));
  } finally {
    await redis?.stop();
  }
});

const post = async (node: AnswersNode, n: number, user = 'ada') => {
  const reader = await openSse(`${node.url}/answers?n=${n}`, { method: 'POST', headers: { 'x-user': user } });
  readers.push(reader);
  return reader;
};
const resume = async (node: AnswersNode, id: string, lastEventId?: string, user = 'ada') => {
  const reader = await openSse(`${node.url}/answers/${id}`, {
    headers: { 'x-user': user, ...(lastEventId !== undefined && { 'last-event-id': lastEventId }) },
  });
  readers.push(reader);
  return reader;
};
const tokensOf = (reader: SseReader) => reader.events.filter((e) => e.event === 'message').map((e) => e.data);
const expected = (n: number) => Array.from({ length: n }, (_, i) => `t${i + 1}`);

describe('resumable answers across nodes (Redis)', () => {
  it('dropped on node A at any token, resumed on node B: every token once, in order, then done', async () => {
    const [a, b] = [await startNode('rs:drop'), await startNode('rs:drop')] as [AnswersNode, AnswersNode];
    for (let run = 0; run < 6; run++) {
      const n = 60;
      const first = await post(a, n);
      expect(first.status).toBe(200);
      const id = first.headers[STREAM_ID_HEADER] as string;
      await first.waitForEvents(5 + run * 9);
      first.close();
      const seen = tokensOf(first);
      const rest = await resume(b, id, first.events.at(-1)?.id);
      expect(rest.status).toBe(200);
      await rest.done;
      expect([...seen, ...tokensOf(rest)]).toEqual(expected(n));
      expect(rest.events.at(-1)?.event).toBe(DONE_EVENT);
      // And on A again, after it finished: the whole answer.
      const again = await resume(a, id);
      await again.done;
      expect(tokensOf(again)).toEqual(expected(n));
    }
  });

  it('"stop" on node B reaches the producer on node A: readers on both nodes end with done (stopped)', async () => {
    const [a, b] = [await startNode('rs:stop', 5), await startNode('rs:stop', 5)] as [AnswersNode, AnswersNode];
    const first = await post(a, 100_000);
    const id = first.headers[STREAM_ID_HEADER] as string;
    await first.waitForEvents(3);
    const onB = await resume(b, id, '1');
    await onB.waitForEvents(2);
    const intruder = await fetch(`${b.url}/answers/${id}`, { method: 'DELETE', headers: { 'x-user': 'eve' } });
    expect(intruder.status).toBe(404);
    const stop = await fetch(`${b.url}/answers/${id}`, { method: 'DELETE', headers: { 'x-user': 'ada' } });
    expect(stop.status).toBe(204);
    await Promise.all([first.done, onB.done]);
    for (const reader of [first, onB]) {
      const done = reader.events.at(-1);
      expect(done?.event).toBe(DONE_EVENT);
      expect(JSON.parse(done?.data ?? '')).toEqual({ reason: 'stopped' });
    }
    expect(tokensOf(onB)).toEqual(tokensOf(first).slice(1));
  });

  it('the producer’s node killed (SIGKILL) mid-answer: readers elsewhere get every stored token, then ssekit:error (producer-lost), not a hang', async () => {
    const [a, b] = [await startNode('rs:kill', 5, 600), await startNode('rs:kill', 5, 600)] as [AnswersNode, AnswersNode];
    const first = await post(a, 100_000);
    const id = first.headers[STREAM_ID_HEADER] as string;
    const onB = await resume(b, id);
    await onB.waitForEvents(5);
    await stopChild(a.child, 'SIGKILL');
    await onB.done;
    const last = onB.events.at(-1);
    expect(last?.event).toBe('ssekit:error');
    expect(JSON.parse(last?.data ?? '')).toEqual({ reason: 'producer-lost' });
    const tokens = tokensOf(onB);
    expect(tokens).toEqual(expected(tokens.length));
    expect(Number(last?.id)).toBe(tokens.length + 1);
    // A later reader sees the same end.
    const later = await resume(b, id, String(tokens.length));
    await later.done;
    expect(later.events.map((e) => [e.event, e.id])).toEqual([['ssekit:error', String(tokens.length + 1)]]);
  });

  it('another client’s resume is refused on any node (404), and so is an unknown id', async () => {
    const [a, b] = [await startNode('rs:owner'), await startNode('rs:owner')] as [AnswersNode, AnswersNode];
    const first = await post(a, 5);
    const id = first.headers[STREAM_ID_HEADER] as string;
    await first.done;
    expect((await resume(b, id, undefined, 'eve')).status).toBe(404);
    expect((await resume(b, 'nope')).status).toBe(404);
  });
});

describe('the Redis store, in process', () => {
  it('keeps events for the TTL after the end, then answers 404-unknown; a stop is seen by the next append', async () => {
    const client = new Redis(redis?.url as string, { lazyConnect: true });
    const transport = createRedisTransport({ redis: client, streamKey: 'rs:store' });
    const store = transport.resumable;
    if (!store) throw new Error('the Redis transport keeps resumable streams');
    await store.create('s1', { owner: 'ada', ttl: 60_000 });
    await expect(store.create('s1', { owner: 'ada', ttl: 60_000 })).rejects.toMatchObject({ status: 409 });
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(await store.append('s1', 1, bytes('id: 1\ndata: a\n\n'))).toBe('ok');
    await expect(store.append('s1', 3, bytes('x'))).rejects.toThrow(/out of order/);
    expect(await store.stop('s1')).toBe(true);
    expect(await store.append('s1', 2, bytes('id: 2\ndata: b\n\n'))).toBe('stopped');
    await store.finish('s1', 50);
    const read = await store.read('s1', 0, 1_000);
    expect(read?.events.map((e) => new TextDecoder().decode(e))).toEqual(['id: 1\ndata: a\n\n', 'id: 2\ndata: b\n\n']);
    expect(read).toMatchObject({ last: 2, finished: true, owner: 'ada' });
    const deadline = Date.now() + 5_000;
    while ((await store.read('s1', 0, 1_000)) !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await store.read('s1', 0, 1_000)).toBeUndefined();
    await transport.close();
  });

  it('a broker on the Redis transport keeps its answers in Redis: another broker resumes them', async () => {
    const one = createBroker({
      transport: createRedisTransport({ redis: redis?.url as string, streamKey: 'rs:brokers' }),
      heartbeatInterval: 0,
    });
    const two = createBroker({
      transport: createRedisTransport({ redis: redis?.url as string, streamKey: 'rs:brokers' }),
      heartbeatInterval: 0,
    });
    const answer = await one.createStream(['a', 'b', 'c']);
    await answer.finished;
    expect(await two.stopStream(answer.id)).toBe(true); // known to the other broker
    expect(await two.stopStream('unknown')).toBe(false);
    await Promise.all([one.close(), two.close()]);
  });
});
