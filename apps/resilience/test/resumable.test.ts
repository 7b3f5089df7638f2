/**
 * Resumable answers under abuse, on every adapter: readers dropped at a random token resume with
 * `Last-Event-ID` and get every token exactly once; a hundred producers at once, with readers
 * dropping and resuming all the time, stay within the memory their caps allow.
 */
import { createBroker } from '@ssekit/core';
import { openSse, type SseReader } from '@ssekit/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { ADAPTERS, startApp } from '../src/adapters.js';
import { adapterFigures, count, mib } from '../src/figures.js';
import { settledHeap } from '../src/metrics.js';
import { sized } from '../src/size.js';

const { note, flush } = adapterFigures('resumable', 'Resumable answers', ADAPTERS);
afterAll(flush);

/** Drop-and-resume runs per adapter (1,000 in all at full size). */
const RUNS = sized(20, 250);
/** Runs going on at once. */
const PARALLEL = 5;
const TOKENS = 30;
/** Producers at once in the memory test, and their caps. */
const PRODUCERS = sized(100, 100);
const MAX_EVENTS = 300;
const MAX_BYTES = 16 * 1024;

/** A deterministic pseudo-random sequence, so a failing run can be repeated. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const tokensOf = (reader: SseReader) => reader.events.filter((e) => e.event === 'message').map((e) => e.data);

/** Starts an answer of `n` tokens, drops the reader after `dropAt` events, resumes it; returns what the client saw. */
async function dropAndResume(url: string, n: number, dropAt: number): Promise<{ tokens: string[]; end: string | undefined }> {
  const first = await openSse(`${url}/events?source=answer&n=${n}&resumable=1`, { method: 'POST' });
  const id = first.headers['ssekit-stream-id'] as string;
  await first.waitForEvents(dropAt, 10_000);
  first.close();
  const seen = tokensOf(first);
  const rest = await openSse(`${url}/events?resume=${id}`, { headers: { 'last-event-id': first.events.at(-1)?.id ?? '' } });
  await rest.done;
  // The first reader may have had it all, its end included (several events can arrive in one read).
  return { tokens: [...seen, ...tokensOf(rest)], end: (rest.events.at(-1) ?? first.events.at(-1))?.event };
}

describe.each(ADAPTERS)('resumable answers on %s', (adapter) => {
  it(`${RUNS} readers dropped at a random token resume with every token exactly once`, async () => {
    const app = await startApp(adapter, { broker: createBroker({ heartbeatInterval: 0 }) });
    const next = random(ADAPTERS.indexOf(adapter) + 1);
    const expected = Array.from({ length: TOKENS }, (_, i) => `t${i + 1}`);
    let failures = 0;
    try {
      for (let done = 0; done < RUNS; done += PARALLEL) {
        const runs = Array.from({ length: Math.min(PARALLEL, RUNS - done) }, () =>
          dropAndResume(app.url, TOKENS, 1 + Math.floor(next() * (TOKENS - 1))),
        );
        for (const { tokens, end } of await Promise.all(runs)) {
          if (end !== 'ssekit:done' || tokens.join() !== expected.join()) failures++;
          expect(tokens).toEqual(expected);
          expect(end).toBe('ssekit:done');
        }
      }
      note('drop at a random token, resume: runs with every token exactly once', adapter, `${count(RUNS - failures)} of ${count(RUNS)}`);
    } finally {
      await app.close();
    }
  });
});

describe('a hundred producers with readers dropping and resuming', () => {
  it('every reader gets its answer in order up to the cap, and memory stays within what the caps allow', async () => {
    const broker = createBroker({ heartbeatInterval: 0, resumable: { maxEvents: MAX_EVENTS, maxBytes: MAX_BYTES, ttl: 60_000 } });
    const app = await startApp('express', { broker });
    const before = await settledHeap();
    try {
      const readers = Array.from({ length: PRODUCERS }, async (_, index) => {
        const next = random(1_000 + index);
        const first = await openSse(`${app.url}/events?source=answer&n=100000&resumable=1`, { method: 'POST' });
        const id = first.headers['ssekit-stream-id'] as string;
        let reader = first;
        const tokens: string[] = [];
        for (let hop = 0; ; hop++) {
          // Drop after a few events, three times; then read to the end.
          if (hop < 3) {
            await reader.waitForEvents(1 + Math.floor(next() * 20), 10_000).catch(() => {});
            reader.close();
          } else await reader.done;
          tokens.push(...tokensOf(reader));
          const last = reader.events.at(-1);
          if (hop >= 3 || last?.event === 'ssekit:error') return { tokens, end: last };
          reader = await openSse(`${app.url}/events?resume=${id}`, { headers: { 'last-event-id': last?.id ?? '' } });
        }
      });
      const results = await Promise.all(readers);
      for (const { tokens, end } of results) {
        // In order, none repeated, none missing, until the cap stopped the producer.
        expect(tokens).toEqual(Array.from({ length: tokens.length }, (_, i) => `t${i + 1}`));
        expect(end?.event).toBe('ssekit:error');
        expect(JSON.parse(end?.data ?? '')).toEqual({ reason: 'limit' });
      }
      const growth = (await settledHeap()) - before;
      // The store keeps each finished answer (at most MAX_BYTES of events) for its TTL; sockets are gone.
      const allowed = PRODUCERS * MAX_BYTES * 4 + 16 * 1024 * 1024;
      note('100 producers, readers dropping 3 times each: heap growth (caps allow)', 'express', `${mib(growth, true)} (${mib(allowed)})`);
      expect(growth).toBeLessThan(allowed);
    } finally {
      await app.close();
    }
  });
});
