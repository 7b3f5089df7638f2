import { openRaw, openSse, waitFor } from '@ssekit/test-utils';
import { describe, expect, it } from 'vitest';
import { createMemoryTransport, GAP_EVENT, type Transport, type TransportListener, type TransportMessage } from '../src/index.js';
import { servedBrokers } from './helpers/serve.js';

const start = servedBrokers({ heartbeatInterval: 0 });

const gc = () => {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with --expose-gc');
  collect();
  collect();
};
const heapAndBuffers = () => {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};

describe('replay paced by drain', () => {
  it('a replay larger than maxBufferedBytes reaches a reading client whole', async () => {
    const { broker, served } = await start({ maxBufferedBytes: 64 * 1024 });
    const payload = (n: number) => `${n}`.padEnd(32 * 1024, 'r');
    const ids: string[] = [];
    for (let n = 0; n < 10; n++) ids.push(await broker.broadcast({ data: payload(n) }));
    const reader = await openSse(served.url, { headers: { 'last-event-id': ids[0] as string } });
    const events = await reader.waitForEvents(9, 10_000);
    expect(events.map((e) => e.data)).toEqual(Array.from({ length: 9 }, (_, i) => payload(i + 1)));
    expect(broker.stats()).toMatchObject({ slowClientCloses: 0, connections: 1, replayed: 9 });
    reader.close();
  });

  it('a one-tick burst larger than the cap to a reading client does not drop it', async () => {
    const { broker, served } = await start({ maxBufferedBytes: 64 * 1024 });
    const reader = await openSse(served.url);
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    const payload = 'b'.repeat(32 * 1024);
    await Promise.all(Array.from({ length: 8 }, () => broker.broadcast({ data: payload })));
    await reader.waitForEvents(8, 10_000);
    expect(broker.stats().slowClientCloses).toBe(0);
    reader.close();
  });

  it('clients that replay the same history and stop reading cost the history once, not once each', async () => {
    const cap = 64 * 1024;
    const { broker, served } = await start({ maxBufferedBytes: cap, history: { historySize: 1_000 } });
    const event = 'h'.repeat(16 * 1024);
    const first = await broker.broadcast({ data: 'first' });
    for (let n = 0; n < 320; n++) await broker.broadcast({ data: event }); // 5 MiB of history
    const historyBytes = 320 * event.length;
    gc();
    const before = heapAndBuffers();
    const clients = 40;
    const stalled = await Promise.all(
      Array.from({ length: clients }, () =>
        openRaw(served.port, `GET / HTTP/1.1\r\nHost: x\r\nLast-Event-ID: ${first}\r\n\r\n`).then((raw) => {
          raw.socket.pause();
          return raw;
        }),
      ),
    );
    await waitFor(() => broker.stats().connections === clients, 'every client replaying');
    // Until every socket has filled (the replay then waits for a drain) or taken the whole replay.
    await waitFor(
      () => served.connections.every((c) => (served.sinkOf(c)?.bufferedBytes ?? 0) > 0 || c.writable),
      'every replay paused on a full socket or written',
      20_000,
    );
    gc();
    const grown = heapAndBuffers() - before;
    // Copies per client would be 40 x 5 MiB = 200 MiB; the bound is about one batch and the
    // socket's buffer each (the kernel holds the rest).
    expect(grown).toBeLessThan(historyBytes / 2 + clients * cap);
    expect(broker.stats().slowClientCloses).toBe(0);
    // Once a client reads again, it gets the whole replay, in order.
    const reader = stalled[0];
    reader?.socket.resume();
    await reader?.until((text) => text.split(event).length - 1 === 320, 20_000);
    for (const raw of stalled) raw.socket.destroy();
  }, 60_000);

  it('live events for a client stuck behind its replay count against the cap', async () => {
    const cap = 64 * 1024;
    const { broker, served } = await start({ maxBufferedBytes: cap });
    const event = 'h'.repeat(16 * 1024);
    const first = await broker.broadcast({ data: 'first' });
    for (let n = 0; n < 400; n++) await broker.broadcast({ data: event });
    const stalled = await openRaw(served.port, `GET / HTTP/1.1\r\nHost: x\r\nLast-Event-ID: ${first}\r\n\r\n`);
    stalled.socket.pause();
    await waitFor(() => broker.stats().connections === 1, 'replaying');
    let n = 0;
    while (broker.stats().slowClientCloses === 0) {
      if (++n > 100) throw new Error('never dropped');
      await broker.broadcast({ data: event });
    }
    expect(n).toBeLessThanOrEqual(cap / event.length + 2);
    expect(broker.stats().connections).toBe(0);
    stalled.socket.destroy();
  });
});

/** A memory transport whose live deliveries are held until released: a read loop that lags. */
function laggingTransport() {
  const memory = createMemoryTransport();
  const held: TransportMessage[] = [];
  let listener: TransportListener | undefined;
  let holding = false;
  const transport: Transport = {
    ...memory,
    subscribe(next) {
      listener = next;
      return memory.subscribe({
        message: (message) => (holding ? held.push(message) : next.message(message)),
        gap: (gap) => next.gap(gap),
      });
    },
  };
  return {
    transport,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const message of held.splice(0)) listener?.message(message);
    },
    lose: (channels?: string[]) => listener?.gap(channels ? { channels, detail: 'test' } : { detail: 'test' }),
  };
}

describe('the seam with a transport that delivers late', () => {
  it('drops live events the replay already had, however late they come', async () => {
    const lagging = laggingTransport();
    const { broker, served } = await start({ transport: lagging.transport });
    const first = await broker.broadcast({ data: 'e0' });
    lagging.hold();
    await broker.broadcast({ data: 'e1' });
    await broker.broadcast({ data: 'e2' });
    const reader = await openSse(served.url, { headers: { 'last-event-id': first } });
    await reader.waitForEvents(2);
    lagging.release(); // e1 and e2 reach the broker only now, after the replay sent them
    await broker.broadcast({ data: 'e3' });
    await reader.waitForEvents(3);
    await broker.broadcast({ data: 'e4' });
    await reader.waitForEvents(4);
    expect(reader.events.map((e) => e.data)).toEqual(['e1', 'e2', 'e3', 'e4']);
    reader.close();
  });
});

describe('history the transport lost', () => {
  it('sends a lost gap to open streams, with the last id each had, then live events', async () => {
    const lagging = laggingTransport();
    const { broker, served } = await start({ transport: lagging.transport });
    const reader = await openSse(`${served.url}?topic=a`);
    const other = await openSse(`${served.url}?topic=b`);
    await waitFor(() => broker.stats().connections === 2, 'streams open');
    const seen = await broker.publish('a', { data: 'before' });
    await reader.waitForEvents(1);
    lagging.lose(['#a']);
    await broker.publish(['a', 'b'], { data: 'after' });
    await reader.waitForEvents(3);
    await other.waitForEvents(1);
    expect(reader.events.map((e) => e.event)).toEqual(['message', GAP_EVENT, 'message']);
    expect(JSON.parse(reader.events[1]?.data ?? '')).toEqual({ lastEventId: seen, reason: 'lost' });
    expect(other.events.map((e) => e.data)).toEqual(['after']);
    expect(broker.stats().gaps).toBe(1);
    lagging.lose(); // any channel
    await reader.waitForEvents(4);
    await other.waitForEvents(2);
    expect(other.events[1]?.event).toBe(GAP_EVENT);
    reader.close();
    other.close();
  });

  it('a gap during a replay comes after the replayed events', async () => {
    const memory = createMemoryTransport();
    let listener: TransportListener | undefined;
    let release: () => void = () => {};
    const transport: Transport = {
      ...memory,
      subscribe(next) {
        listener = next;
        return memory.subscribe(next);
      },
      async replay(channels, lastEventId) {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return memory.replay(channels, lastEventId);
      },
    };
    const { broker, served } = await start({ transport });
    const first = await broker.broadcast({ data: 'e0' });
    await broker.broadcast({ data: 'e1' });
    const pending = openSse(served.url, { headers: { 'last-event-id': first } });
    await waitFor(() => broker.stats().connections === 1, 'replay pending');
    listener?.gap({ detail: 'test' });
    release();
    const reader = await pending;
    await reader.waitForEvents(2);
    expect(reader.events.map((e) => e.event)).toEqual(['message', GAP_EVENT]);
    reader.close();
  });
});
