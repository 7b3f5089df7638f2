/** Fan-out across nodes, and replay on any node: what each node gets live and what a reconnecting client gets back. */
import { waitFor } from '@ssekit/test-utils';
import { describe, expect, it } from 'vitest';
import { type Fixture, frame, ids, messages } from './fixture.js';

export function fanOutTests(fx: Fixture): void {
  const { namespace, transport, listen } = fx;
  const perNodeIds = fx.harness.perNodeIds === true;

  describe('fan-out', () => {
    it('delivers every event to every node once, in one order, with positions that grow', async () => {
      const ns = namespace();
      const [a, b] = [transport(ns), transport(ns)];
      const [gotA, gotB] = [await listen(a), await listen(b)];
      const published: string[] = [];
      for (let n = 0; n < 20; n++) published.push(await (n % 2 ? b : a).publish(['#room'], frame(n)));
      expect(new Set(published).size).toBe(20);
      // A marker after the twenty: once both have it, a duplicate or a stray would be in view.
      const marker = await a.publish(['#room'], frame('end'));
      const hasMarker = (log: typeof gotA) => messages(log).some((m) => m.frame === frame('end'));
      await waitFor(() => [gotA, gotB].every(hasMarker), 'both nodes to receive the marker');
      for (const log of [gotA, gotB]) {
        expect(log.filter((item) => 'gap' in item)).toEqual([]);
        if (!perNodeIds) expect(ids(log)).toEqual([...published, marker]);
        expect(messages(log).map((m) => m.frame)).toEqual([...published.map((_, n) => frame(n)), frame('end')]);
        const positions = messages(log).map((m) => m.position);
        if (positions.every((p) => p !== undefined)) {
          for (let i = 1; i < positions.length; i++) expect((positions[i - 1] as string) < (positions[i] as string)).toBe(true);
        }
      }
    });

    // Channels of several shards in one event (for a sharded transport).
    it.skipIf(perNodeIds)('keeps channel names with any character intact, and events of other namespaces apart', async () => {
      const ns = namespace();
      const node = transport(ns);
      const other = transport(namespace());
      const got = await listen(node);
      const channels = ['#a,b', '@"quoted"\n', '*', 'ünï ☃'];
      await other.publish(channels, frame('elsewhere'));
      const id = await node.publish(channels, frame('x'));
      await waitFor(() => ids(got).includes(id), 'the event');
      expect(messages(got).map((m) => [m.channels, m.frame])).toEqual([[channels, frame('x')]]);
    });
  });

  describe('replay', () => {
    // One event on two topics, ids compared across nodes.
    it.skipIf(perNodeIds)('returns exactly the retained events after the id on the asked channels, in order, on any node', async () => {
      const ns = namespace();
      const publisher = transport(ns);
      const first = await publisher.publish(['#a'], frame(0));
      const published = [
        await publisher.publish(['#a'], frame(1)),
        await publisher.publish(['#b'], frame(2)),
        await publisher.publish(['#a', '#b'], frame(3)),
        await publisher.publish(['*'], frame(4)),
        await publisher.publish(['@ada'], frame(5)),
        await publisher.publish(['#c'], frame(6)),
      ];
      const other = transport(ns); // another node, which never saw these events live
      const result = await other.replay(['#a', '*', '@ada'], first);
      expect(result.gap).toBeUndefined();
      expect(result.messages.map((m) => m.id)).toEqual([published[0], published[2], published[3], published[4]]);
      expect(result.messages.map((m) => m.frame)).toEqual([frame(1), frame(3), frame(4), frame(5)]);
      expect(result.messages[1]?.channels).toEqual(['#a', '#b']);
      expect((await other.replay(['#b'], published[1] as string)).messages.map((m) => m.id)).toEqual([published[2]]);
      const last = published.at(-1) as string;
      const fromNewest = await other.replay(['#a'], last);
      expect(fromNewest.messages).toEqual([]);
      expect(fromNewest.gap).toBeUndefined();
    });

    it('reports ids it never issued as an unknown gap', async () => {
      const ns = namespace();
      const node = transport(ns);
      expect(await node.replay(['#a'], 'garbage')).toMatchObject({ messages: [], gap: 'unknown' }); // nothing published yet
      await node.publish(['#a'], frame(1));
      await node.publish(['#a'], frame(2));
      for (const bad of ['garbage', '', 'no-such-custom-id', '99999999999999-zzzzzzzz']) {
        expect(await node.replay(['#a'], bad), bad).toMatchObject({ messages: [], gap: 'unknown' });
      }
    });

    it('reports ids older than the retained history as expired, and replays retained ones exactly', async () => {
      const ns = namespace();
      const node = transport(ns, { maxLength: 5 });
      const published: string[] = [];
      for (let n = 0; n < 12; n++) published.push(await node.publish(['#a'], frame(n)));
      // Like the in-memory history: a gap and no partial replay (the client reloads its state).
      expect(await node.replay(['#a'], published[2] as string)).toMatchObject({ messages: [], gap: 'expired' });
      const kept = await transport(ns, { maxLength: 5 }).replay(['#a'], published[7] as string);
      expect(kept.gap).toBeUndefined();
      expect(kept.messages.map((m) => m.id)).toEqual(published.slice(8));
    });

    it.skipIf(perNodeIds)('resumes after a publisher-given id, on another node', async () => {
      const ns = namespace();
      const [a, b] = [transport(ns), transport(ns)];
      const got = await listen(b);
      expect(await a.publish(['#orders'], frame(1), 'order-17')).toBe('order-17');
      const next = await a.publish(['#orders'], frame(2));
      expect(await a.publish(['#orders'], frame(3), 'order-18')).toBe('order-18');
      await waitFor(() => messages(got).length === 3, 'three events');
      expect(ids(got)).toEqual(['order-17', next, 'order-18']);
      const replayed = await b.replay(['#orders'], 'order-17');
      expect(replayed.messages).toEqual(messages(got).slice(1));
      expect((await b.replay(['#orders'], 'order-18')).messages).toEqual([]);
    });
  });
}
