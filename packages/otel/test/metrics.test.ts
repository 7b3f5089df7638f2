import type { Histogram } from '@opentelemetry/sdk-metrics';
import { createMemoryTransport, type Transport } from '@ssekit/core';
import { openSse, type SseReader, waitFor } from '@ssekit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { createSseMetrics, LIFETIME_BUCKETS, type SseMetrics } from '../src/index.js';
import { memoryMetrics, points, serve } from './helpers/server.js';

const cleanups: Array<() => unknown> = [];
const readers: SseReader[] = [];
afterEach(async () => {
  for (const reader of readers.splice(0)) reader.close();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: Parameters<typeof serve>[0] = {}, attach = true) {
  const metrics = memoryMetrics();
  cleanups.push(() => metrics.shutdown());
  let bridge: SseMetrics | undefined;
  const start = () => {
    bridge = createSseMetrics({ meterProvider: metrics.provider });
    cleanups.push(() => bridge?.close());
    return bridge;
  };
  if (attach) start();
  const server = await serve(options);
  cleanups.push(() => server.close());
  const open = async (path: string, headers: Record<string, string> = {}) => {
    const reader = await openSse(`${server.url}${path}`, { headers });
    readers.push(reader);
    return reader;
  };
  return { ...server, metrics, open, start };
}

describe('@ssekit/otel through a real server and real clients', () => {
  it('records open streams by route, deliveries and bytes, publishes, and stream lifetimes in their own histogram', async () => {
    const { broker, metrics, open } = await setup();
    const a1 = await open('/events?topic=a');
    const a2 = await open('/events?topic=a');
    const other = await open('/other?topic=b');
    await waitFor(() => broker.stats().connections === 3, 'three streams');

    for (let i = 0; i < 3; i++) await broker.publish('a', { data: `event ${i}` });
    await broker.broadcast({ data: 'all' });
    await Promise.all([a1.waitForEvents(4), a2.waitForEvents(4), other.waitForEvents(1)]);

    let seen = await metrics.collect();
    expect(points(seen.get('ssekit.streams.open'))).toEqual({ '{"http.route":"/events"}': 2, '{"http.route":"/other"}': 1 });
    expect(points(seen.get('ssekit.events.published'))).toEqual({
      '{"ssekit.publish.target":"topic"}': 3,
      '{"ssekit.publish.target":"broadcast"}': 1,
    });
    expect(points(seen.get('ssekit.events.delivered'))).toEqual({ '{}': 3 * 2 + 3 });
    expect(points(seen.get('ssekit.events.delivered'))['{}']).toBe(broker.stats().delivered);
    const bytes = points(seen.get('ssekit.events.delivered.size'))['{}'] as number;
    expect(bytes).toBeGreaterThan(9 * 'data: event 0\n\n'.length);
    expect(seen.get('ssekit.stream.lifetime')).toBeUndefined(); // nothing closed yet

    a1.close();
    await waitFor(() => broker.stats().connections === 2, 'one closed');
    seen = await metrics.collect();
    expect(points(seen.get('ssekit.streams.open'))).toEqual({ '{"http.route":"/events"}': 1, '{"http.route":"/other"}': 1 });
    const lifetime = seen.get('ssekit.stream.lifetime');
    expect(lifetime?.descriptor.unit).toBe('s');
    const [point] = Object.entries(points(lifetime));
    expect(point?.[0]).toBe('{"http.route":"/events","ssekit.close.reason":"client"}');
    const histogram = point?.[1] as Histogram;
    expect(histogram.count).toBe(1);
    expect(histogram.buckets.boundaries).toEqual(LIFETIME_BUCKETS);
    expect(histogram.sum).toBeLessThan(30); // seconds, not milliseconds
  });

  it('records replays, replayed events and gaps by reason', async () => {
    const { broker, metrics, open } = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await broker.publish('a', { data: String(i) }));
    const resumed = await open('/events?topic=a', { 'last-event-id': ids[0] as string });
    await resumed.waitForEvents(2);
    const lost = await open('/events?topic=a', { 'last-event-id': 'not-ours' });
    await lost.waitForEvents(1);
    const seen = await metrics.collect();
    expect(points(seen.get('ssekit.replays'))).toEqual({ '{"http.route":"/events"}': 2 });
    expect(points(seen.get('ssekit.replay.events'))).toEqual({ '{"http.route":"/events"}': 2 });
    expect(points(seen.get('ssekit.gaps'))).toEqual({ '{"http.route":"/events","ssekit.gap.reason":"unknown"}': 1 });
  });

  it('records slow-client drops', async () => {
    const { broker, metrics, url } = await setup({ maxBufferedBytes: 32 * 1024 });
    const { openRaw } = await import('@ssekit/test-utils');
    const raw = await openRaw(Number(new URL(url).port), 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    cleanups.push(() => raw.socket.destroy());
    await raw.until((t) => t.includes('\r\n\r\n'));
    raw.socket.pause();
    const payload = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 2_000 && broker.stats().slowClientCloses === 0; i++) {
      await broker.broadcast({ data: payload });
      await new Promise((resolve) => setImmediate(resolve));
    }
    const seen = await metrics.collect();
    expect(points(seen.get('ssekit.streams.slow_drops'))).toEqual({ '{"http.route":"/slow"}': 1 });
    expect(points(seen.get('ssekit.streams.open'))).toEqual({ '{"http.route":"/slow"}': 0 });
    expect(Object.keys(points(seen.get('ssekit.stream.lifetime')))).toEqual(['{"http.route":"/slow","ssekit.close.reason":"slow"}']);
  });

  it("records heartbeat sweeps and the transport's lag, reconnects and gaps as sampled every round", async () => {
    const memory = createMemoryTransport();
    const transport: Transport = {
      publish: (channels, frame, id) => memory.publish(channels, frame, id),
      subscribe: (listener) => memory.subscribe(listener),
      replay: (channels, id) => memory.replay(channels, id),
      close: () => memory.close(),
      stats: () => ({ lagEntries: 7, lagMs: 120, reconnects: 2, gapsReported: 1 }),
    };
    const { metrics, open } = await setup({ heartbeatInterval: 40, transport });
    const reader = await open('/events');
    await waitFor(() => reader.comments.length >= 2, 'a heartbeat on the wire');
    const seen = await metrics.collect();
    expect(points(seen.get('ssekit.heartbeat.sweeps'))['{}']).toBeGreaterThanOrEqual(2);
    expect(points(seen.get('ssekit.heartbeats'))['{}']).toBeGreaterThanOrEqual(1);
    expect(points(seen.get('ssekit.transport.lag.entries'))).toEqual({ '{}': 7 });
    expect(points(seen.get('ssekit.transport.lag.time'))).toEqual({ '{}': 120 });
    expect(points(seen.get('ssekit.transport.reconnects'))).toEqual({ '{}': 2 });
    expect(points(seen.get('ssekit.transport.gaps'))).toEqual({ '{}': 1 });
  });

  it('attached while streams are open, never counts a stream it did not see open below zero; closed, records nothing more', async () => {
    const { broker, metrics, open, start } = await setup({}, false);
    const before = await open('/events');
    await waitFor(() => broker.stats().connections === 1, 'open');
    const bridge = start();
    const after = await open('/events');
    await waitFor(() => broker.stats().connections === 2, 'both open');
    before.close();
    await waitFor(() => broker.stats().connections === 1, 'the first closed');
    let seen = await metrics.collect();
    expect(points(seen.get('ssekit.streams.open'))).toEqual({ '{"http.route":"/events"}': 1 });
    // Its lifetime is still recorded: the close carries it.
    expect((points(seen.get('ssekit.stream.lifetime'))['{"http.route":"/events","ssekit.close.reason":"client"}'] as Histogram).count).toBe(
      1,
    );

    bridge.close();
    after.close();
    await waitFor(() => broker.stats().connections === 0, 'all closed');
    seen = await metrics.collect();
    expect(points(seen.get('ssekit.streams.open'))).toEqual({ '{"http.route":"/events"}': 1 });
  });
});
