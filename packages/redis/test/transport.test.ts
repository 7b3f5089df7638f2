import { isSseError, SseEncodeError, type Transport, type TransportMessage } from '@ssekit/core';
import { Redis, type RedisOptions } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisTransport, type RedisTransportOptions } from '../src/index.js';
import { useRedisServer } from './helpers/redis-fixture.js';

let keys = 0;

const redis = useRedisServer();
const { clients, transports } = redis;

function connect(url = redis.server.url, options: RedisOptions = {}): Redis {
  const client = new Redis(url, options);
  client.on('error', () => {});
  clients.push(client);
  return client;
}

function newKey(): string {
  return `test:${++keys}`;
}

function transport(streamKey: string, options: Partial<RedisTransportOptions> = {}): Transport {
  const created = createRedisTransport({ redis: connect(), streamKey, ...options });
  transports.push(created);
  return created;
}

/** Subscribes and waits until the node's read loop has its starting point (replay waits for it). */
async function listen(node: Transport): Promise<TransportMessage[]> {
  const received: TransportMessage[] = [];
  node.subscribe({ message: (message) => received.push(message), gap: () => {} });
  await node.replay([], '0-0');
  return received;
}

async function until(condition: () => boolean, what: string, timeout = 5_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The error `work` fails with (the test fails if it does not). */
async function failure(work: () => unknown): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('Expected a failure');
}

const frame = (n: number) => `data: ${n}\n\n`;
/** An entry id as a transport position: both parts zero-padded to 20 digits. */
const position = (entryId: string) =>
  entryId
    .split('-')
    .map((part) => part.padStart(20, '0'))
    .join('-');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function untilAsync(condition: () => Promise<boolean>, what: string, timeout = 5_000): Promise<void> {
  for (const deadline = Date.now() + timeout; !(await condition()); await sleep(10)) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
  }
}

describe('client settings', () => {
  it("follows the client's keyPrefix for the stream, its reads and custom-id keys", async () => {
    const key = newKey();
    const make = () => {
      const created = createRedisTransport({ redis: connect(redis.server.url, { keyPrefix: 'app:', lazyConnect: true }), streamKey: key });
      transports.push(created);
      return created;
    };
    const [a, b] = [make(), make()];
    const got = await listen(b);
    await a.publish(['#a'], frame(1), 'first');
    const second = await a.publish(['#a'], frame(2));
    await until(() => got.length === 2, 'both events');
    expect(got.map((message) => message.id)).toEqual(['first', second]);
    expect(await b.replay(['#a'], 'first')).toEqual({
      messages: [{ id: second, channels: ['#a'], frame: frame(2), position: position(second) }],
      through: position(second),
    });
    // The custom-id key carries the stream key as its hash tag (one Cluster slot with the stream).
    expect((await connect().keys(`app:*${key}*`)).sort()).toEqual([`app:${key}`, `app:{${key}}:id:first`].sort());
  });
});

describe('replay', () => {
  it('pages through long histories', async () => {
    const key = newKey();
    const node = transport(key, { readCount: 7 });
    const first = await node.publish(['#a'], frame(0));
    const ids: string[] = [];
    for (let n = 1; n <= 40; n++) ids.push(await node.publish([n % 3 ? '#a' : '#b'], frame(n)));
    const result = await node.replay(['#a'], first);
    expect(result.gap).toBeUndefined();
    expect(result.messages.map((message) => message.id)).toEqual(ids.filter((_, i) => (i + 1) % 3 !== 0));
  });

  it('reports ids it never issued as an unknown gap', async () => {
    const key = newKey();
    const node = transport(key);
    expect(await node.replay(['#a'], '1-0')).toEqual({ messages: [], gap: 'unknown' }); // no stream yet
    const id = await node.publish(['#a'], frame(1));
    await node.publish(['#a'], frame(2));
    const [ms, seq] = id.split('-').map(BigInt) as [bigint, bigint];
    for (const bad of ['garbage', '', `${ms + 10_000_000n}-0`, `${ms}-${seq + 1000n}`, '18446744073709551616-0', 'no-such-custom-id']) {
      expect(await node.replay(['#a'], bad), bad).toEqual({ messages: [], gap: 'unknown' });
    }
  });
});

describe('retention', () => {
  it('trims to an exact maxLength; older ids are expired, retained ones replay exactly', async () => {
    const key = newKey();
    const node = transport(key, { maxLength: 5, approximateTrim: false });
    const ids: string[] = [];
    for (let n = 0; n < 12; n++) ids.push(await node.publish(['#a'], frame(n)));
    const client = connect();
    expect(await client.xlen(key)).toBe(5);
    // Like the in-memory history: a gap and no partial replay (the client reloads its state).
    expect(await node.replay(['#a'], ids[2] as string)).toEqual({ messages: [], gap: 'expired' });
    expect(await node.replay(['#a'], '0-1')).toEqual({ messages: [], gap: 'expired' });
    const kept = await node.replay(['#a'], ids[7] as string);
    expect(kept).toEqual({ messages: expect.any(Array), through: position(ids[11] as string) });
    expect(kept.messages.map((message) => message.id)).toEqual(ids.slice(8));
  });

  it('trims approximately by default: at least maxLength entries, whole nodes at a time', async () => {
    const key = newKey();
    const node = transport(key, { maxLength: 10 });
    const ids: string[] = [];
    for (let n = 0; n < 260; n++) ids.push(await node.publish(['#a'], frame(n)));
    const length = await connect().xlen(key);
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThan(260);
    expect((await node.replay(['#a'], ids[0] as string)).gap).toBe('expired');
    const recent = await node.replay(['#a'], ids[250] as string);
    expect(recent).toEqual({ messages: expect.any(Array), through: position(ids[259] as string) });
    expect(recent.messages.map((message) => message.id)).toEqual(ids.slice(251));
  });

  it('trims by age (MINID) on Redis time', async () => {
    const key = newKey();
    const node = transport(key, { maxAge: 300, approximateTrim: false });
    const old = [await node.publish(['#a'], frame(1)), await node.publish(['#a'], frame(2))];
    // Wait on Redis's own clock (entry ids carry its milliseconds), not a sleep on ours.
    const admin = connect();
    const oldest = Number((old[1] as string).split('-')[0]);
    const redisNow = async () => {
      const [seconds, micros] = (await admin.call('TIME')) as [string, string];
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    for (const deadline = Date.now() + 10_000; (await redisNow()) <= oldest + 300; ) {
      if (Date.now() > deadline) throw new Error("Redis's clock did not pass maxAge");
      await sleep(20);
    }
    const fresh = await node.publish(['#a'], frame(3));
    expect(await connect().xlen(key)).toBe(1);
    expect(await node.replay(['#a'], old[0] as string)).toEqual({ messages: [], gap: 'expired' });
    expect(await node.replay(['#a'], fresh)).toEqual({ messages: [], through: position(fresh) });
  });

  it('rejects bounds Redis would refuse', () => {
    expect(() => createRedisTransport({ redis: redis.server.url, maxLength: -1 })).toThrow(RangeError);
    expect(() => createRedisTransport({ redis: redis.server.url, maxAge: 1.5 })).toThrow(RangeError);
  });
});

describe('custom ids', () => {
  it('delivers the publisher id, stores it with the entry and resolves it on replay on another node', async () => {
    const key = newKey();
    const [a, b] = [transport(key), transport(key)];
    const got = await listen(b);
    expect(await a.publish(['#orders'], frame(1), 'order-17')).toBe('order-17');
    const next = await a.publish(['#orders'], frame(2));
    expect(await a.publish(['#orders'], frame(3), 'order-18')).toBe('order-18');
    await until(() => got.length === 3, 'three events');
    expect(got.map((message) => message.id)).toEqual(['order-17', next, 'order-18']);
    const entryIds = (await connect().xrange(key, '-', '+')).map(([entryId]) => entryId);
    expect(entryIds[1]).toBe(next);
    const replayed = await b.replay(['#orders'], 'order-17');
    // Positions are the entries' own, custom ids or not.
    expect(replayed).toEqual({
      messages: [
        { id: next, channels: ['#orders'], frame: frame(2), position: position(next) },
        { id: 'order-18', channels: ['#orders'], frame: frame(3), position: position(entryIds[2] as string) },
      ],
      through: position(entryIds[2] as string),
    });
    expect(got.map((message) => message.position)).toEqual(entryIds.map(position));
    expect(await b.replay(['#orders'], 'order-18')).toEqual({ messages: [], through: position(entryIds[2] as string) });
    // The lookup key expires with the history it points into.
    const ttl = await connect().pttl(`{${key}}:id:order-17`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600_000);
  });

  it('still resolves ids indexed by earlier versions (<streamKey>:id:<id>) on a single server', async () => {
    const key = newKey();
    const node = transport(key);
    const first = await node.publish(['#a'], frame(1));
    const second = await node.publish(['#a'], frame(2));
    await connect().set(`${key}:id:legacy`, first, 'PX', 60_000);
    const replayed = await node.replay(['#a'], 'legacy');
    expect(replayed.messages.map((message) => message.id)).toEqual([second]);
  });

  it('keeps custom-id keys beside a stream key with a hash tag of its own', async () => {
    const key = `{${newKey()}}:events`;
    const node = transport(key);
    await node.publish(['#a'], frame(1), 'tagged');
    expect(await connect().exists(`${key}:id:tagged`)).toBe(1);
  });

  it('refuses ids shaped like stream ids, publishing nothing', async () => {
    const key = newKey();
    const node = transport(key);
    await node.publish(['#a'], frame(1));
    const error = await failure(() => node.publish(['#a'], frame(2), '1700000000000-0'));
    expect(error).toBeInstanceOf(SseEncodeError);
    expect((error as SseEncodeError).code).toBe('INVALID_ID');
    expect(await connect().xlen(key)).toBe(1);
  });

  it('passes an empty id through (it resets the browser last id) without indexing it', async () => {
    const key = newKey();
    const node = transport(key);
    const got = await listen(node);
    expect(await node.publish(['#a'], frame(1), '')).toBe('');
    await until(() => got.length === 1, 'the event');
    expect(got[0]?.id).toBe('');
    expect(await connect().keys(`*${key}*:id:*`)).toEqual([]);
  });
});

describe('failures', () => {
  it('resumes the read loop from the last id it saw when its connection is killed', async () => {
    const key = newKey();
    const [a, b] = [transport(key), transport(key)];
    const got = await listen(b);
    const ids = [await a.publish(['#a'], frame(0))];
    await until(() => got.length === 1, 'the first event');
    const admin = connect();
    const list = (await admin.call('CLIENT', 'LIST')) as string;
    const readers = list.split('\n').filter((line) => / name=ssekit-reader /.test(line));
    expect(readers.length).toBeGreaterThan(0);
    // Kill every reader (a's too): while they reconnect, keep publishing.
    for (const line of readers) await admin.call('CLIENT', 'KILL', 'ID', /id=(\d+)/.exec(line)?.[1] as string);
    for (let n = 1; n <= 10; n++) ids.push(await a.publish(['#a'], frame(n)));
    await until(() => got.length >= 11, 'the events published while the reader reconnected');
    const marker = await a.publish(['#a'], frame(999));
    await until(() => got.some((message) => message.id === marker), 'a marker after them (a duplicate would be in view)');
    expect(got.map((message) => message.id)).toEqual([...ids, marker]);
  });
});

describe('close()', () => {
  const names = async (admin: Redis) =>
    ((await admin.call('CLIENT', 'LIST')) as string)
      .split('\n')
      .map((line) => / name=(\S*)/.exec(line)?.[1])
      .filter((name) => name?.startsWith('close-test'))
      .sort();

  it('stops the read loop, closes its own connections, leaves yours open, and refuses further work', async () => {
    const admin = connect();
    const client = connect(redis.server.url, { connectionName: 'close-test' });
    await client.ping();
    const node = createRedisTransport({ redis: client, streamKey: newKey() });
    await listen(node);
    expect(await names(admin)).toEqual(['close-test', 'close-test:ssekit-reader', 'close-test:ssekit-writer']);
    await node.close();
    // Redis drops a closed client from CLIENT LIST when it processes the close: wait for that.
    await untilAsync(async () => (await names(admin)).length === 1, 'its own connections gone from CLIENT LIST');
    expect(await names(admin)).toEqual(['close-test']);
    expect(client.status).toBe('ready');
    expect(await client.ping()).toBe('PONG');
    const error = await failure(() => node.publish(['#a'], frame(1)));
    expect(isSseError(error) && error.code).toBe('TRANSPORT_FAILED');
    await node.close(); // twice is fine
  });

  it('opens and closes its own connections when given a URL', async () => {
    const admin = connect();
    // Named through the URL (ioredis reads options from its query), so that connections of other
    // tests' transports, reconnecting meanwhile, cannot change the count.
    const own = async () =>
      ((await admin.call('CLIENT', 'LIST')) as string).split('\n').filter((line) => / name=own-url:/.test(line)).length;
    expect(await own()).toBe(0);
    const node = createRedisTransport({ redis: `${redis.server.url}?connectionName=own-url`, streamKey: newKey() });
    await listen(node);
    await node.publish(['#a'], frame(1));
    expect(await own()).toBe(2);
    await node.close();
    await untilAsync(async () => (await own()) === 0, 'its connections gone from CLIENT LIST');
  });
});
