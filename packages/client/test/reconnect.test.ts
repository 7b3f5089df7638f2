import { createBroker } from '@ssekit/core';
import { waitFor } from '@ssekit/test-utils';
import { describe, expect, it } from 'vitest';
import { SseClientError } from '../src/index.js';
import { collect, next, recordLifecycle, track } from './helpers/clients.js';
import { delay, serve, streamFrom } from './helpers/server.js';

type Events = { tick: { n: number }; done: null };

/** Publishes ticks 0, 1, 2, ... every `every` ms until stopped; resolves to how many it sent. */
function publishTicks(publish: (n: number) => Promise<unknown>, every = 5) {
  let n = 0;
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      await publish(n++);
      await delay(every);
    }
    return n;
  })();
  return {
    count: () => n,
    stop: () => {
      stopped = true;
      return running;
    },
  };
}

const range = (count: number) => Array.from({ length: count }, (_, i) => i);

/**
 * Publishes a `done` marker after everything else and waits until the client has it: every tick
 * published before it (and any duplicate of one) has then arrived, with no fixed sleep.
 */
async function drainThrough(
  broker: { publish: (topic: string, event: { event: 'done'; data: null }) => Promise<unknown> },
  dones: unknown[],
) {
  const before = dones.length;
  await broker.publish('t', { event: 'done', data: null });
  await waitFor(() => dones.length > before, 'the done marker after the ticks');
}

describe('reconnect', () => {
  it("waits the server's retry: and sends Last-Event-ID, so nothing is lost or repeated", async () => {
    const broker = createBroker<Events>({ heartbeatInterval: 0 });
    const served = await serve(streamFrom(broker, { topics: ['t'], retry: 50 }));
    const client = track<Events>(served.url, { retryDelay: 5_000, retryJitter: 0 });
    const ticks = collect(client, 'tick');
    const dones = collect(client, 'done');
    const log = recordLifecycle(client);
    await next(client, 'open');
    const ids = [];
    for (const n of [0, 1, 2]) ids.push(await broker.publish('t', { event: 'tick', data: { n } }));
    await waitFor(() => ticks.length === 3, 'first three ticks');
    // The server ends the stream gracefully, then publishes while the client is away.
    const reconnecting = next(client, 'reconnecting');
    for (const connection of broker.connections()) connection.close();
    for (const n of [3, 4]) await broker.publish('t', { event: 'tick', data: { n } });
    // The server's retry: 50 replaced the 5 s retryDelay.
    expect(await reconnecting).toMatchObject({ attempt: 1, delay: 50, error: { code: 'CLOSED', retryable: true } });
    await next(client, 'open');
    expect(served.requests[1]?.headers['last-event-id']).toBe(ids[2]);
    await broker.publish('t', { event: 'tick', data: { n: 5 } });
    await drainThrough(broker, dones);
    expect(ticks.map((t) => t.n)).toEqual(range(6));
    expect(log.map(([type]) => type)).toEqual(['open', 'error', 'reconnecting', 'open']);
    await broker.close();
  });

  it('resumes after the server drops every connection mid-stream, with no event lost or duplicated', async () => {
    const broker = createBroker<Events>({ heartbeatInterval: 0 });
    const served = await serve(streamFrom(broker, { topics: ['t'], retry: 10 }));
    const client = track<Events>(served.url);
    const ticks = collect(client, 'tick');
    const dones = collect(client, 'done');
    await next(client, 'open');
    const publisher = publishTicks((n) => broker.publish('t', { event: 'tick', data: { n } }));
    for (let drop = 0; drop < 5; drop++) {
      const before = ticks.length;
      await waitFor(() => ticks.length > before + 5, 'events flowing before the drop');
      served.dropConnections();
      await next(client, 'reconnecting');
    }
    const sent = await publisher.stop();
    await drainThrough(broker, dones);
    expect(ticks.map((t) => t.n)).toEqual(range(sent));
    expect(served.requests.length).toBeGreaterThanOrEqual(6);
    expect(served.requests.slice(1).every((r) => typeof r.headers['last-event-id'] === 'string')).toBe(true);
    await broker.close();
  });

  it('resumes after a full server stop and restart on the same port (same broker, same history)', async () => {
    const broker = createBroker<Events>({ heartbeatInterval: 0 });
    const served = await serve(streamFrom(broker, { topics: ['t'] }));
    const client = track<Events>(served.url, { retryDelay: 20, maxRetryDelay: 50 });
    const ticks = collect(client, 'tick');
    const dones = collect(client, 'done');
    const log = recordLifecycle(client);
    await next(client, 'open');
    const publisher = publishTicks((n) => broker.publish('t', { event: 'tick', data: { n } }));
    await waitFor(() => ticks.length > 5, 'events flowing');
    await served.stop();
    // Down for a while: events keep being published, and reconnect attempts are refused.
    await waitFor(() => log.filter(([type, info]) => type === 'error' && info.code === 'NETWORK').length >= 3, 'refused attempts');
    const receivedBeforeRestart = ticks.length;
    const publishedBeforeRestart = publisher.count();
    await served.start();
    await next(client, 'open');
    const sent = await publisher.stop();
    await drainThrough(broker, dones);
    expect(publishedBeforeRestart).toBeGreaterThan(receivedBeforeRestart);
    expect(ticks.map((t) => t.n)).toEqual(range(sent));
    // Refused attempts back off exponentially up to the cap.
    const delays = log.flatMap(([type, info]) => (type === 'reconnecting' ? [info] : []));
    expect(delays.some((d) => d.attempt >= 3)).toBe(true);
    expect(Math.max(...delays.map((d) => d.delay))).toBeLessThanOrEqual(50);
    await broker.close();
  });

  it('forgets the last id after `id:` with no value', async () => {
    const served = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(served.requests.length === 1 ? 'id: 7\ndata: {"n":1}\n\n' : 'id: 8\ndata: 1\n\nid\ndata: 2\n\n');
    });
    const client = track(served.url);
    await waitFor(() => served.requests.length >= 3, 'three requests');
    expect(served.requests[1]?.headers['last-event-id']).toBe('7');
    expect(served.requests[2]?.headers['last-event-id']).toBeUndefined();
    expect(client.lastEventId).toBe('');
  });

  it('sends a non-ASCII id as its UTF-8 bytes, as EventSource does', async () => {
    const served = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end('id: ü-1 ✓\ndata: 1\n\n');
    });
    const client = track(served.url);
    await waitFor(() => served.requests.length >= 2, 'a reconnect');
    const header = String(served.requests[1]?.headers['last-event-id']);
    // Node reads header bytes as Latin-1; decode them back as UTF-8.
    expect(Buffer.from(header, 'latin1').toString('utf8')).toBe('ü-1 ✓');
    expect(client.lastEventId).toBe('ü-1 ✓');
  });

  it('sends the lastEventId option on the first request', async () => {
    const broker = createBroker<Events>({ heartbeatInterval: 0 });
    const first = await broker.publish('t', { event: 'tick', data: { n: 0 } });
    await broker.publish('t', { event: 'tick', data: { n: 1 } });
    const served = await serve(streamFrom(broker, { topics: ['t'] }));
    const client = track<Events>(served.url, { lastEventId: first });
    const ticks = collect(client, 'tick');
    await waitFor(() => ticks.length === 1, 'the replayed tick');
    expect(served.requests[0]?.headers['last-event-id']).toBe(first);
    expect(ticks).toEqual([{ n: 1 }]);
    await broker.close();
  });

  it('closes instead of reconnecting with closeOnEnd (an LLM answer that is complete)', async () => {
    const served = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: "token"\n\nevent: done\ndata: null\n\n');
    });
    const client = track<Events & { message: string }>(served.url, { closeOnEnd: true });
    const tokens = collect(client, 'message');
    const closed = await next(client, 'close');
    expect(closed).toEqual({ reason: 'done' });
    expect(tokens).toEqual(['token']);
    await delay(50);
    expect(served.requests).toHaveLength(1);
  });

  it('re-opens a stalled connection (headers, then silence)', async () => {
    const broker = createBroker<Events>({ heartbeatInterval: 0 });
    const stream = streamFrom(broker, { topics: ['t'] });
    const served = await serve((req, res) => {
      if (served.requests.length > 1) return stream(req, res);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
    });
    const client = track<Events>(served.url, { stallTimeout: 150 });
    const log = recordLifecycle(client);
    const ticks = collect(client, 'tick');
    await next(client, 'open');
    await next(client, 'open');
    const stalled = log.find(([type]) => type === 'error')?.[1];
    expect(stalled).toMatchObject({ code: 'STALLED', retryable: true });
    await broker.publish('t', { event: 'tick', data: { n: 1 } });
    await waitFor(() => ticks.length === 1, 'tick on the new stream');
    await broker.close();
  });

  it('keeps a quiet stream open while heartbeats arrive within stallTimeout', async () => {
    // Counted in heartbeats the server wrote, not in wall time: 30 heartbeats (an idle stream gets
    // one every other 20 ms round) span more than two stall windows; load stretches both alike.
    const broker = createBroker<Events>({ heartbeatInterval: 20 });
    const served = await serve(streamFrom(broker, { topics: ['t'] }));
    const client = track<Events>(served.url, { stallTimeout: 500 });
    const log = recordLifecycle(client);
    await next(client, 'open');
    const opened = broker.stats().bytes;
    await waitFor(() => broker.stats().bytes >= opened + 30 * 2, '30 heartbeats (2 bytes each)', 20_000);
    expect(log.map(([type]) => type)).toEqual(['open']);
    expect(served.requests).toHaveLength(1);
    await broker.close();
  });

  it('gives up after maxRetries consecutive failures with the last error', async () => {
    const served = await serve((_req, res) => {
      res.writeHead(502).end();
    });
    const client = track(served.url, { maxRetries: 2 });
    const closed = await next(client, 'close');
    expect(closed.reason).toBe('error');
    expect(closed.error).toBeInstanceOf(SseClientError);
    expect(closed.error).toMatchObject({ code: 'HTTP_STATUS', status: 502, retryable: true });
    expect(served.requests).toHaveLength(3);
  });
});

describe('retryable answers', () => {
  it('retries 503 until the server accepts', async () => {
    const broker = createBroker<Events>({ heartbeatInterval: 0 });
    const stream = streamFrom(broker, { topics: ['t'] });
    const served = await serve((req, res) => {
      if (served.requests.length > 2) return stream(req, res);
      res.writeHead(503, { 'retry-after': '0' }).end('busy');
    });
    const client = track<Events>(served.url);
    const log = recordLifecycle(client);
    await next(client, 'open');
    expect(served.requests).toHaveLength(3);
    const errors = log.flatMap(([type, info]) => (type === 'error' ? [info] : []));
    expect(errors.map((e) => [e.code, e.status, e.retryable])).toEqual([
      ['HTTP_STATUS', 503, true],
      ['HTTP_STATUS', 503, true],
    ]);
    await broker.close();
  });

  it('waits at least Retry-After on 429 and 408', async () => {
    for (const status of [429, 408]) {
      const served = await serve((_req, res) => {
        res.writeHead(status, { 'retry-after': '2' }).end();
      });
      const client = track(served.url);
      const reconnecting = await next(client, 'reconnecting');
      expect(reconnecting.error).toMatchObject({ code: 'HTTP_STATUS', status });
      expect(reconnecting.delay).toBeGreaterThanOrEqual(2_000);
      client.close();
    }
  });
});
