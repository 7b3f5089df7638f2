/** The backend down or restarting mid-stream: publishes never resolve silently, and no event is lost without an `ssekit:gap` where it was. */
import { type Broker, isSseError } from '@ssekit/core';
import { freePort, type SseReader, waitFor } from '@ssekit/test-utils';
import { describe, expect, it } from 'vitest';
import { expectOnceInOrderOrGap, type Fixture, failure, frame, GAP_EVENT, messages, sleep } from './fixture.js';
import { startProxy } from './proxy.js';

export function outageTests(fx: Fixture): void {
  const { namespace, transport, listen, serve, open, publishOnceBack, startOwn, harness, proxies } = fx;

  describe('the backend down', () => {
    it('rejects publish and replay with SseTransportError when the backend is unreachable', async () => {
      const url = harness.urlFor(await freePort()); // nothing listens there
      const node = transport(namespace(), { timeout: 300 }, { url, persistent: true });
      const started = Date.now();
      const error = await failure(() => node.publish(['#a'], frame(1)));
      expect(isSseError(error) && error.code).toBe('TRANSPORT_FAILED');
      expect(Date.now() - started).toBeLessThan(3_000);
      const replayError = await failure(() => node.replay(['#a'], 'any'));
      expect(isSseError(replayError) && replayError.code).toBe('TRANSPORT_FAILED');
    });

    it('rejects publishes while the server is down (never resolving silently), and delivers again once it is back', async () => {
      const backend = await startOwn(true);
      const ns = namespace();
      const a = transport(ns, { timeout: 300 }, backend);
      const b = transport(ns, { timeout: 300 }, backend);
      const got = await listen(b);
      const before = await a.publish(['#a'], frame(1));
      const arrived = (n: number) => messages(got).some((m) => m.frame === frame(n));
      await waitFor(() => arrived(1), 'the first event');
      await backend.kill();
      const error = await failure(() => a.publish(['#a'], frame(2)));
      expect(isSseError(error) && error.code).toBe('TRANSPORT_FAILED');
      await backend.restart();
      await publishOnceBack(() => Promise.resolve(a.publish(['#a'], frame(3))));
      await waitFor(() => arrived(3), 'the read loop to deliver after the restart', 15_000);
      // The rejected event is nowhere: not delivered late, not stored.
      expect(messages(got).map((m) => m.frame)).toEqual([frame(1), frame(3)]);
      expect(got.filter((item) => 'gap' in item)).toEqual([]);
      expect((await b.replay(['#a'], before)).messages.map((m) => m.frame)).toEqual([frame(3)]);
    });
  });

  describe('the server restarting mid-stream', () => {
    it('with persistence: every event reaches every client once, in order, and history survives', async () => {
      const backend = await startOwn(true);
      const ns = namespace();
      const nodes = [await serve(transport(ns, { timeout: 500 }, backend)), await serve(transport(ns, { timeout: 500 }, backend))];
      const clients: SseReader[] = [];
      for (const node of [...nodes, ...nodes]) clients.push(await open(node.url));
      const published: string[] = [];
      const publishOn = (n: number) => (nodes[n % 2] as { broker: Broker }).broker.publish('feed', { data: n });
      for (let n = 0; n < 10; n++) published.push(await publishOn(n));
      for (const client of clients) await client.waitForEvents(10);

      await backend.kill();
      for (const node of nodes) {
        const error = await failure(() => node.broker.publish('feed', { data: 'lost' }));
        expect(isSseError(error) && error.code).toBe('TRANSPORT_FAILED');
      }
      await backend.restart();
      published.push(await publishOnceBack(() => publishOn(10)));
      for (let n = 11; n < 20; n++) published.push(await publishOn(n));

      for (const client of clients) {
        await waitFor(() => client.events.some((e) => e.id === published[19]), 'the last event on every client', 15_000);
      }
      const end = await publishOn(20);
      for (const client of clients) await waitFor(() => client.events.some((e) => e.id === end), 'the end marker', 15_000);
      for (const client of clients) {
        expect(client.events.map((e) => e.id)).toEqual([...published, end]);
        expect(client.ended()).toBe(false); // the streams stayed open through the outage
      }
      // History from before the outage survived it: a client resuming from the first event gets the rest.
      const late = await open((nodes[1] as { url: string }).url, { 'last-event-id': published[0] as string });
      await late.waitForEvents(20, 10_000);
      expect(late.events.map((e) => e.id)).toEqual([...published.slice(1), end]);
    });

    it('without persistence: events once in order or a gap where lost, and old ids get a gap, never a silent empty replay', async () => {
      const backend = await startOwn(false);
      const ns = namespace();
      const { broker: a } = await serve(transport(ns, { timeout: 500 }, backend));
      const { url } = await serve(transport(ns, { timeout: 500 }, backend));
      const client = await open(url);
      const published: string[] = [];
      for (let n = 0; n < 5; n++) published.push(await a.publish('feed', { data: n }));
      await client.waitForEvents(5);
      await backend.kill();
      await backend.restart(); // the history is gone
      for (let n = 5; n < 10; n++) published.push(await publishOnceBack(() => a.publish('feed', { data: n })));
      await waitFor(() => client.events.some((e) => e.id === published[9]), 'the events after the restart', 15_000);
      await sleep(200); // a late duplicate would show up now
      expectOnceInOrderOrGap(client.events, published);
      // Every event after the restart arrived (the client lost nothing it was sent before).
      expect(client.events.filter((e) => e.event !== GAP_EVENT).map((e) => e.id)).toEqual(published);
      const resumed = await transport(ns, { timeout: 500 }, backend).replay(['feed'], published[2] as string);
      expect(resumed.gap === 'unknown' || resumed.gap === 'expired').toBe(true);
    });

    it('without persistence: a node that had not read the events the restart lost gives its clients a gap there, then what follows once', async () => {
      const backend = await startOwn(false);
      const proxy = await startProxy(Number(new URL(backend.url).port));
      proxies.push(proxy);
      const ns = namespace();
      const { broker: a } = await serve(transport(ns, { timeout: 500 }, backend));
      // Node B reaches the server through the proxy, so the test can stop it reading.
      const { url } = await serve(transport(ns, { timeout: 500 }, { url: harness.urlFor(proxy.port), persistent: false }));
      const client = await open(url);
      const first = await a.publish('feed', { data: 0 });
      await waitFor(() => client.events.some((e) => e.id === first), 'the first event');
      proxy.mute(); // B reads nothing more; the server confirms what A publishes
      for (let n = 1; n <= 3; n++) await a.publish('feed', { data: n });
      await backend.kill();
      await backend.restart(); // without B ever reading events 1 to 3: they are lost for B's client
      const after: string[] = [];
      for (let n = 4; n <= 6; n++) after.push(await publishOnceBack(() => a.publish('feed', { data: n })));
      await waitFor(() => client.events.some((e) => e.id === after[2]), 'the events after the restart', 15_000);
      await sleep(200); // a late duplicate would show up now
      expect(client.events.map((e) => (e.event === GAP_EVENT ? 'gap' : e.data))).toEqual(['0', 'gap', '4', '5', '6']);
      expect(JSON.parse(client.events[1]?.data ?? '{}')).toEqual({ lastEventId: first, reason: 'lost' });
      expect(client.events.slice(2).map((e) => e.id)).toEqual(after);
      expect(client.ended()).toBe(false);
    });
  });
}
