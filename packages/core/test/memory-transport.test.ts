import { describe, expect, it } from 'vitest';
import { createMemoryTransport, type ReplayResult } from '../src/index.js';

/** Heap plus ArrayBuffer memory after GC: the history keeps large events as bytes, outside the heap. */
const settledMemory = async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
};

describe('memory transport history', () => {
  it('holds historySize events per channel, not the ones it evicted', async () => {
    const historySize = 1_000;
    const eventBytes = 20_000;
    const transport = createMemoryTransport({ historySize });
    const before = await settledMemory();
    // 1,999 events: the most evicted entries the channel's array holds before it compacts.
    for (let i = 0; i < 2 * historySize - 1; i++)
      void transport.publish(['#t'], `data: ${i}${Buffer.alloc(eventBytes, 120).toString('latin1')}\n\n`);
    const grown = (await settledMemory()) - before;
    // Encoded once, UTF-8: the live events alone are historySize × eventBytes.
    expect(grown).toBeGreaterThan(historySize * eventBytes * 0.9);
    expect(grown).toBeLessThan(historySize * eventBytes * 1.25);
    expect(await transport.replay(['#t'], `${Date.now() + 1}-0`)).toMatchObject({ messages: [], gap: 'unknown' });
    await transport.close();
  });

  it('keeps large events encoded, id line included, and small ones as text', async () => {
    const transport = createMemoryTransport();
    const small = 'data: 1\n\n';
    const large = `data: ${'é€'.repeat(600)}\n\n`;
    const first = transport.publish(['#t'], small) as string;
    const second = transport.publish(['#t'], large) as string;
    const third = transport.publish(['#t'], small, 'own-id') as string;
    const { messages } = (await transport.replay(['#t'], first)) as ReplayResult;
    expect(messages.map((m) => m.id)).toEqual([second, third]);
    const [encoded, text] = messages;
    // What the broker writes to every socket as is: it must be the exact wire form.
    expect(new TextDecoder().decode(encoded?.bytes)).toBe(`id: ${second}\n${large}`);
    expect(encoded?.frame).toBe(large);
    expect(text?.bytes).toBeUndefined();
    expect(text?.frame).toBe(small);
    await transport.close();
  });

  it('replays what is left after eviction, oldest first', async () => {
    const transport = createMemoryTransport({ historySize: 3 });
    const ids = Array.from({ length: 5 }, (_, i) => transport.publish(['#t'], `data: ${i}\n\n`) as string);
    expect(await transport.replay(['#t'], ids[0] as string)).toMatchObject({ gap: 'expired' });
    const tail = (await transport.replay(['#t'], ids[2] as string)) as ReplayResult;
    expect(tail.gap).toBeUndefined();
    expect(tail.messages.map((m) => m.frame)).toEqual(['data: 3\n\n', 'data: 4\n\n']);
    await transport.close();
  });

  it('finds an old event of a quiet channel after a busy one published far past it, and forgets evicted ones', async () => {
    // Ids carry the publish position; the index spans from the oldest retained event, and moves
    // such an old event aside once the span is mostly evicted slots.
    const transport = createMemoryTransport({ historySize: 100 });
    const quiet = transport.publish(['#quiet'], 'data: q0\n\n') as string;
    const busy = Array.from({ length: 20_000 }, (_, i) => transport.publish(['#busy'], `data: b${i}\n\n`) as string);
    const next = transport.publish(['#quiet'], 'data: q1\n\n') as string;
    const fromQuiet = (await transport.replay(['#quiet'], quiet)) as ReplayResult;
    expect(fromQuiet.gap).toBeUndefined();
    expect(fromQuiet.messages.map((m) => m.id)).toEqual([next]);
    // Evicted from its channel: gone from the index too (a gap, not a match).
    expect(await transport.replay(['#busy'], busy[0] as string)).toMatchObject({ messages: [], gap: 'expired' });
    const recent = (await transport.replay(['#busy'], busy[19_990] as string)) as ReplayResult;
    expect(recent.gap).toBeUndefined();
    expect(recent.messages.map((m) => m.frame)).toEqual(Array.from({ length: 9 }, (_, i) => `data: b${19_991 + i}\n\n`));
    // A well-formed id this transport never issued at that position does not match another event.
    const [ms, position] = (busy[19_990] as string).split('-');
    expect(await transport.replay(['#busy'], `${Number(ms) - 1}-${position}`)).toMatchObject({ messages: [], gap: 'expired' });
    await transport.close();
  });

  it('keeps publisher-given ids findable, the newest event holding an id it shares with an older one', async () => {
    const transport = createMemoryTransport();
    void transport.publish(['#t'], 'data: 1\n\n', 'order-1');
    void transport.publish(['#t'], 'data: 2\n\n');
    void transport.publish(['#t'], 'data: 3\n\n', 'order-1');
    void transport.publish(['#t'], 'data: 4\n\n', '123-2'); // the shape of an assigned id
    void transport.publish(['#t'], 'data: 5\n\n');
    const after = async (id: string) => ((await transport.replay(['#t'], id)) as ReplayResult).messages.map((m) => m.frame);
    expect(await after('order-1')).toEqual(['data: 4\n\n', 'data: 5\n\n']);
    expect(await after('123-2')).toEqual(['data: 5\n\n']);
    await transport.close();
  });

  it('keeps at most historyMaxEvents across every channel, the oldest going first wherever they are', async () => {
    const transport = createMemoryTransport({ historySize: 1_000, historyMaxEvents: 2_000 });
    // 1,000 per-user channels, ten events each: 10,000 events, each channel well under its own bound.
    const ids = new Map<string, string[]>();
    for (let round = 0; round < 10; round++) {
      for (let user = 0; user < 1_000; user++) {
        const channel = `@user${user}`;
        const id = transport.publish([channel], `data: ${round}\n\n`) as string;
        ids.set(channel, [...(ids.get(channel) ?? []), id]);
      }
    }
    const user = ids.get('@user7') as string[];
    // Rounds 0-7 of every channel went (8,000 oldest events): a replay from one of them is a gap.
    expect(await transport.replay(['@user7'], user[3] as string)).toMatchObject({ gap: 'expired' });
    // Rounds 8 and 9 are kept everywhere.
    const kept = (await transport.replay(['@user7'], user[8] as string)) as ReplayResult;
    expect(kept.gap).toBeUndefined();
    expect(kept.messages.map((m) => m.frame)).toEqual(['data: 9\n\n']);
    const other = ids.get('@user999') as string[];
    expect(await transport.replay(['@user999'], other[7] as string)).toMatchObject({ messages: [], gap: 'expired' });
    const kept999 = (await transport.replay(['@user999'], other[8] as string)) as ReplayResult;
    expect(kept999.messages.map((m) => m.frame)).toEqual(['data: 9\n\n']);
    await transport.close();
  });
});
