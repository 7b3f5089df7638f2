/**
 * What the transport suite's tests share: the engine's server for the file, the transports,
 * brokers and clients they open (closed after the file), and small helpers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Broker, createBroker, isSseError, type Transport, type TransportGap, type TransportMessage } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { openSse, type ReceivedEvent, type SseReader } from '@ssekit/test-utils';
import { afterAll, beforeAll, expect } from 'vitest';
import type { TransportHarness, TransportServer, TransportTestOptions } from './harness.js';
import type { MutableProxy } from './proxy.js';

export const GAP_EVENT = 'ssekit:gap';
export const frame = (n: number | string) => `data: ${n}\n\n`;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A message or a gap, as a listener got them, in order. */
export type Logged = { gap: TransportGap } | { message: TransportMessage };
export const messages = (log: Logged[]) => log.flatMap((item) => ('message' in item ? [item.message] : []));
export const ids = (log: Logged[]) => messages(log).map((message) => message.id);

/** The error `work` fails with (the test fails if it does not). */
export async function failure(work: () => unknown): Promise<Error> {
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

/** The shared state and helpers of one engine's suite. */
export interface Fixture {
  readonly harness: TransportHarness;
  /** A namespace of its own for each test: its events meet no other test's. */
  namespace(): string;
  /** A transport in `ns`, on the file's server unless `on` says otherwise; closed after the file. */
  transport(ns: string, options?: TransportTestOptions, on?: { url: string; persistent: boolean }): Transport;
  /** A server of the test's own (to kill or restart), stopped after the file. */
  startOwn(persistent: boolean): Promise<TransportServer>;
  /** Subscribes, logging messages and gaps in order, and waits until the transport is ready. */
  listen(node: Transport): Promise<Logged[]>;
  /** A broker on `node` behind a node:http server (`/events?topic=…`), and its base URL. */
  serve(node: Transport): Promise<{ broker: Broker; url: string }>;
  /** An SSE client of `${url}/events?topic=feed`, closed after the file. */
  open(url: string, headers?: Record<string, string>): Promise<SseReader>;
  /** Publishes until the backend takes it (it may be reconnecting); fails after 15 s. */
  publishOnceBack(publish: () => Promise<string>): Promise<string>;
  /** Proxies a test started (see proxy.ts), closed after the file. */
  readonly proxies: MutableProxy[];
}

/** Registers the file's server and the clean-up, and returns the helpers. */
export function createFixture(harness: TransportHarness): Fixture {
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

  return {
    harness,
    proxies,
    namespace: () => `contract${++namespaces}`,
    transport(ns, options, on = shared()) {
      const created = harness.createTransport(on, ns, options);
      transports.push(created);
      return created;
    },
    async startOwn(persistent) {
      const started = await harness.startServer({ persistent });
      own.push(started);
      return started;
    },
    async listen(node) {
      const log: Logged[] = [];
      node.subscribe({ message: (message) => log.push({ message }), gap: (gap) => log.push({ gap }) });
      await node.ready?.();
      return log;
    },
    async serve(node) {
      const broker = createBroker({ transport: node, heartbeatInterval: 0, closeTimeout: 500 });
      brokers.push(broker);
      const httpServer = http.createServer((req, res) => {
        const topics = new URL(req.url ?? '/', 'http://x').searchParams.getAll('topic');
        broker.stream(toStreamRequest(req), { topics }, () => createNodeSink(res)).catch(() => res.destroy());
      });
      httpServers.push(httpServer);
      await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
      return { broker, url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` };
    },
    async open(url, headers = {}) {
      const reader = await openSse(`${url}/events?topic=feed`, { headers });
      readers.push(reader);
      return reader;
    },
    async publishOnceBack(publish) {
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
    },
  };
}
