/**
 * Positions at the replay/live seam: every delivered and replayed message carries its entry's
 * position (custom id or not), positions sort as the stream does, and a replay's `through`
 * covers what it read.
 */
import type { Transport, TransportMessage } from '@ssekit/core';
import { type RedisServer, startRedis } from '@ssekit/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedisTransport } from '../src/index.js';

let server: RedisServer;
const transports: Transport[] = [];
let admin: Redis;

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
});

afterAll(async () => {
  try {
    await Promise.allSettled(transports.map((transport) => transport.close()));
    admin?.disconnect();
  } finally {
    await server?.stop();
  }
});

const frame = (n: number) => `data: ${n}\n\n`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('gives delivered and replayed messages positions in stream order, and a through that covers the replay', async () => {
  const streamKey = 'seam';
  const a = createRedisTransport({ redis: server.url, streamKey, readCount: 4 });
  const b = createRedisTransport({ redis: server.url, streamKey, readCount: 4 });
  transports.push(a, b);
  const live: TransportMessage[] = [];
  b.subscribe({ message: (message) => live.push(message), gap: () => {} });
  await b.replay([], '0-0');
  const first = await a.publish(['#a'], frame(0));
  // Ids of different widths (the sequence passes 9 -> 10 within one millisecond or not) and custom ids.
  for (let n = 1; n <= 14; n++) await a.publish([n % 2 ? '#a' : '#b'], frame(n), n % 5 === 0 ? `custom-${n}` : undefined);
  for (const deadline = Date.now() + 5_000; live.length < 15 && Date.now() < deadline; ) await sleep(10);

  const entryIds = (await admin.xrange(streamKey, '-', '+')).map(([id]) => id);
  const expected = entryIds.map((id) =>
    id
      .split('-')
      .map((part) => part.padStart(20, '0'))
      .join('-'),
  );
  expect(live.map((message) => message.position)).toEqual(expected);
  const positions = live.map((message) => message.position as string);
  expect([...positions].sort()).toEqual(positions); // `<` on the strings is stream order
  expect(new Set(positions).size).toBe(positions.length);

  const replayed = await b.replay(['#a'], first); // pages of 4
  const odd = live.filter((message) => message.channels.includes('#a')).slice(1);
  expect(replayed.messages).toEqual(odd);
  expect(replayed.through).toBe(expected.at(-1));
  for (const message of replayed.messages) expect((message.position as string) <= (replayed.through as string)).toBe(true);

  // Published after the replay: a live event the seam must keep, beyond `through`.
  await a.publish(['#a'], frame(15));
  for (const deadline = Date.now() + 5_000; live.length < 16 && Date.now() < deadline; ) await sleep(10);
  expect((live[15]?.position as string) > (replayed.through as string)).toBe(true);
});
