import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Broker, createBroker, isSseError, type Transport, type TransportGap, type TransportMessage } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { freePort, openSse, type ReceivedEvent, type SseReader, waitFor } from '@ssekit/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransportHarness, TransportServer, TransportTestOptions } from './harness.js';
import { type MutableProxy, startProxy } from './proxy.js';

const GAP_EVENT = 'ssekit:gap';
const frame = (n: number | string) => `data: ${n}\n\n`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Logged = { gap: TransportGap } | { message: TransportMessage };

/** The error `work` fails with (the test fails if it does not). */
async function failure(work: () => unknown): Promise<Error> {
  try {
    await work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('Expected a failure');
}

/**
 * Checks a client's events against what was published, in the promise every transport keeps:
 * every event once and in order, or an `ssekit:gap` exactly where events are missing. Returns
 * the number of gaps seen.
 */
export function expectOnceInOrderOrGap(events: readonly ReceivedEvent[], published: readonly string[]): number {
  let next = 0;
  let gaps = 0;
  let gapPending = false;
  for (const event of events) {
    if (event.event === GAP_EVENT) {
      gaps++;
      gapPending = true;
      continue;
    }
    const at = published.indexOf(event.id as string, next);
    expect(at, `event ${event.id} is published, once, and after the one before it`).toBeGreaterThanOrEqual(next);
    if (at > next) expect(gapPending, `events ${published.slice(next, at).join(', ')} are missing without an ssekit:gap`).toBe(true);
    next = at + 1;
    gapPending = false;
  }
  return gaps;
}

/**
 * Registers the shared transport suite for one engine: fan-out across nodes, ids that replay on
 * any node, gaps for unknown and expired ids, order and positions at the replay seam, `ready()`,
 * `flush()`, publish outcomes while the backend is down, and the backend restarting mid-stream
 * with and without persistence. Each engine's test file calls it with its harness; the engine's
 * own details stay in its package's tests.
 */
export function runTransportSuite(harness: TransportHarness): void {
  describe(`${harness.name}: transport contract`, () => {
    let server: TransportServer | undefined;
    const own: TransportServer[] = [];
    const transports: Transport[] = [];
    const brokers: Broker[] = [];
    const httpServers: http.Server[] = [];
    const readers: SseReader[] = [];
    const proxies: MutableProxy[] = [];
    let namespaces = 0;

    beforeAll(async () => {
      server = await harness.startServer({ persistent: true });
    });

    afterAll(async () => {
      try {
        for (const reader of readers) reader.close();
        await Promise.allSettled(proxies.map((proxy) => proxy.close()));
        const closing = Promise.allSettled([...brokers.map((broker) => broker.close()), ...transports.map((t) => t.close())]);
        await Promise.race([closing, sleep(5_000)]);
        await Promise.allSettled(httpServers.map((s) => new Promise((resolve) => s.close(resolve))));
      } finally {
        await Promise.allSettled([...own, ...(server ? [server] : [])].map((s) => s.stop()));
      }
    });

    const shared = () => {
      if (!server) throw new Error('the server is started in beforeAll');
      return server;
    };
    const namespace = () => `contract${++namespaces}`;
    const transport = (ns: string, options?: TransportTestOptions, on: { url: string; persistent: boolean } = shared()) => {
      const created = harness.createTransport(on, ns, options);
      transports.push(created);
      return created;
    };
    const startOwn = async (persistent: boolean) => {
      const started = await harness.startServer({ persistent });
      own.push(started);
      return started;
    };
    /** Subscribes, logging messages and gaps in order, and waits until the transport is ready. */
    const listen = async (node: Transport) => {
      const log: Logged[] = [];
      node.subscribe({ message: (message) => log.push({ message }), gap: (gap) => log.push({ gap }) });
      await node.ready?.();
      return log;
    };
    const messages = (log: Logged[]) => log.flatMap((item) => ('message' in item ? [item.message] : []));
    const ids = (log: Logged[]) => messages(log).map((message) => message.id);

    /** A broker on `node` behind a node:http server; resolves to its base URL. */
    const serve = async (node: Transport) => {
      const broker = createBroker({ transport: node, heartbeatInterval: 0, closeTimeout: 500 });
      brokers.push(broker);
      const httpServer = http.createServer((req, res) => {
        const topics = new URL(req.url ?? '/', 'http://x').searchParams.getAll('topic');
        broker.stream(toStreamRequest(req), { topics }, () => createNodeSink(res)).catch(() => res.destroy());
      });
      httpServers.push(httpServer);
      await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
      return { broker, url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` };
    };
    const open = async (url: string, headers: Record<string, string> = {}) => {
      const reader = await openSse(`${url}/events?topic=feed`, { headers });
      readers.push(reader);
      return reader;
    };
    /** Publishes until the backend takes it (it may be reconnecting); fails after 15 s. */
    const publishOnceBack = async (publish: () => Promise<string>) => {
      let lastError: unknown;
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
        try {
          return await publish();
        } catch (error) {
          lastError = error;
          expect(isSseError(error) && error.code).toBe('TRANSPORT_FAILED');
          await sleep(100);
        }
      }
      throw new Error(`publishes kept failing after the restart: ${String(lastError)}`);
    };

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
        await waitFor(() => [gotA, gotB].every((log) => ids(log).includes(marker)), 'both nodes to receive the marker');
        for (const log of [gotA, gotB]) {
          expect(log.filter((item) => 'gap' in item)).toEqual([]);
          expect(ids(log)).toEqual([...published, marker]);
          expect(messages(log).map((m) => m.frame)).toEqual([...published.map((_, n) => frame(n)), frame('end')]);
          const positions = messages(log).map((m) => m.position);
          if (positions.every((p) => p !== undefined)) {
            for (let i = 1; i < positions.length; i++) expect((positions[i - 1] as string) < (positions[i] as string)).toBe(true);
          }
        }
      });

      it('keeps channel names with any character intact, and events of other namespaces apart', async () => {
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
      it('returns exactly the retained events after the id on the asked channels, in order, on any node', async () => {
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

      it('resumes after a publisher-given id, on another node', async () => {
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

    describe('order at the replay seam', () => {
      it('gives replayed events the positions they have live, and a through that covers the replay', async () => {
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
          const id = await a.publish(['#a'], frame(round));
          await waitFor(() => got.some((m) => m.id === id), `the event published right after ready() (round ${round})`);
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
          for (const id of published) expect(ids(got)).toContain(id);
        }
        expect(messages(got)).toHaveLength(60);
      });
    });

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
        await waitFor(() => ids(got).includes(before), 'the first event');
        await backend.kill();
        const error = await failure(() => a.publish(['#a'], frame(2)));
        expect(isSseError(error) && error.code).toBe('TRANSPORT_FAILED');
        await backend.restart();
        const after = await publishOnceBack(() => Promise.resolve(a.publish(['#a'], frame(3))));
        await waitFor(() => ids(got).includes(after), 'the read loop to deliver after the restart', 15_000);
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
  });
}
