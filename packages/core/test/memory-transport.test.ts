import { describe, expect, it } from 'vitest';
import { createMemoryTransport, type ReplayResult } from '../src/index.js';

const settledHeap = async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
  }
  return process.memoryUsage().heapUsed;
};

describe('memory transport history', () => {
  it('holds historySize events per channel, not the ones it evicted', async () => {
    const historySize = 1_000;
    const eventBytes = 20_000;
    const transport = createMemoryTransport({ historySize });
    const before = await settledHeap();
    // 1,999 events: the most evicted entries the channel's array holds before it compacts.
    for (let i = 0; i < 2 * historySize - 1; i++)
      void transport.publish(['#t'], `data: ${i}${Buffer.alloc(eventBytes, 120).toString('latin1')}\n\n`);
    const grown = (await settledHeap()) - before;
    // Flat one-byte strings: the live events alone are historySize × eventBytes.
    expect(grown).toBeGreaterThan(historySize * eventBytes * 0.9);
    expect(grown).toBeLessThan(historySize * eventBytes * 1.25);
    expect(await transport.replay(['#t'], `${Date.now() + 1}-0`)).toEqual({ messages: [], gap: 'unknown' });
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
});
