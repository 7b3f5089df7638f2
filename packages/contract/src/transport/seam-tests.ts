/** Order at the seam between a replay and live events, `ready()` and `flush()`. */
import type { TransportMessage } from '@ssekit/core';
import { type SseReader, waitFor } from '@ssekit/test-utils';
import { describe, expect, it } from 'vitest';
import { type Fixture, frame, messages } from './fixture.js';

export function seamTests(fx: Fixture): void {
  const { namespace, transport, listen, serve, open } = fx;
  const perNodeIds = fx.harness.perNodeIds === true;

  describe('order at the replay seam', () => {
    // Publisher-given ids, and ids compared across nodes.
    it.skipIf(perNodeIds)('gives replayed events the positions they have live, and a through that covers the replay', async () => {
      const ns = namespace();
      const [a, b] = [transport(ns), transport(ns)];
      const live = await listen(b);
      const first = await a.publish(['#a'], frame(0));
      for (let n = 1; n <= 14; n++) await a.publish([n % 2 ? '#a' : '#b'], frame(n), n % 5 === 0 ? `custom-${n}` : undefined);
      await waitFor(() => messages(live).length === 15, 'fifteen events');
      const positions = messages(live).map((m) => m.position);
      if (positions.some((p) => p === undefined)) return; // a transport without an order
      expect([...positions].sort()).toEqual(positions); // `<` on positions is delivery order
      expect(new Set(positions).size).toBe(positions.length);
      const replayed = await b.replay(['#a'], first);
      expect(replayed.messages).toEqual(
        messages(live)
          .filter((m) => m.channels.includes('#a'))
          .slice(1),
      );
      expect(replayed.through).toBe(positions.at(-1));
      await a.publish(['#a'], frame(15)); // after the replay: a live event the seam must keep
      await waitFor(() => messages(live).length === 16, 'the sixteenth event');
      expect((messages(live)[15]?.position as string) > (replayed.through as string)).toBe(true);
    });

    it('joins clients mid-stream with Last-Event-ID, on another node, without a gap or a duplicate', async () => {
      const ns = namespace();
      const { broker: publisher } = await serve(transport(ns));
      const { url } = await serve(transport(ns));
      const watcher = await open(url);
      const total = 300;
      const published: string[] = [];
      const publishing = (async () => {
        for (let n = 0; n < total; n++) {
          published.push(await publisher.publish('feed', { data: n }));
          if (n % 7 === 0) await publisher.publish('noise', { data: n });
        }
      })();
      const joiners: Array<{ from: number; reader: SseReader }> = [];
      for (const from of [10, 40, 90, 150, 220]) {
        await watcher.waitForEvents(from + 1, 15_000);
        const reader = await open(url, { 'last-event-id': watcher.events[from]?.id as string });
        joiners.push({ from, reader });
      }
      await publishing;
      const end = await publisher.publish('feed', { event: 'end', data: 'end' });
      for (const reader of [watcher, ...joiners.map((j) => j.reader)]) {
        await waitFor(() => reader.events.some((event) => event.id === end), 'the end marker', 15_000);
      }
      expect(watcher.events.map((e) => e.id)).toEqual([...published, end]);
      for (const { from, reader } of joiners) expect(reader.events.map((e) => e.id)).toEqual([...published.slice(from + 1), end]);
    });
  });

  describe('ready() and flush()', () => {
    it('ready(): once it resolves, an event published on another node right after reaches this one', async () => {
      const ns = namespace();
      const a = transport(ns);
      for (let round = 0; round < 5; round++) {
        const b = transport(ns);
        const got: TransportMessage[] = [];
        b.subscribe({ message: (message) => got.push(message), gap: () => {} });
        await b.ready?.();
        await a.publish(['#a'], frame(round));
        await waitFor(() => got.some((m) => m.frame === frame(round)), `the event published right after ready() (round ${round})`);
        await b.close();
      }
    });

    it('flush(): resolves once the listener has every event whose publish resolved', async () => {
      const node = transport(namespace());
      const got = await listen(node);
      await node.flush?.(1_000); // nothing published yet: at once
      for (let round = 0; round < 20; round++) {
        const published = await Promise.all([0, 1, 2].map((n) => node.publish(['#a'], frame(3 * round + n))));
        const started = Date.now();
        await node.flush?.(2_000);
        expect(Date.now() - started).toBeLessThan(1_000); // delivered, not timed out
        // By frame: a sharded transport's publish resolves to an id no node writes as it is.
        expect(published).toHaveLength(3);
        for (let n = 0; n < 3; n++) expect(messages(got).map((m) => m.frame)).toContain(frame(3 * round + n));
      }
      expect(messages(got)).toHaveLength(60);
    });
  });
}
