import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { openRaw, openSse, type RawClient, waitFor } from '@ssekit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMemoryTransport,
  type DeliverMessage,
  DIAGNOSTICS_CHANNELS,
  type GapMessage,
  type HeartbeatSweepMessage,
  type PublishMessage,
  type ReplayMessage,
  type SlowDropMessage,
  type StreamCloseMessage,
  type StreamOpenMessage,
  type Transport,
  type TransportLagMessage,
  type TransportStats,
} from '../src/index.js';
import { servedBrokers } from './helpers/serve.js';

const start = servedBrokers({ heartbeatInterval: 0 });

/** Every message of every ssekit channel, by channel name, until the test ends. */
function record() {
  const seen = new Map<string, unknown[]>();
  const listeners: Array<[string, (message: unknown) => void]> = [];
  for (const name of Object.values(DIAGNOSTICS_CHANNELS)) {
    const listener = (message: unknown) => {
      const list = seen.get(name) ?? [];
      list.push(message);
      seen.set(name, list);
    };
    subscribe(name, listener);
    listeners.push([name, listener]);
  }
  stops.push(() => {
    for (const [name, listener] of listeners) unsubscribe(name, listener);
  });
  return <T>(name: string): T[] => (seen.get(name) ?? []) as T[];
}

const stops: Array<() => void> = [];
const raws: RawClient[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  for (const raw of raws.splice(0)) raw.socket.destroy();
});

describe('diagnostics channels', () => {
  it('report open, publish, deliver (one message per event, with the stream count) and close, through real sockets', async () => {
    const messages = record();
    const { broker, served } = await start();
    const a1 = await openSse(`${served.url}?topic=a&route=/events`);
    const a2 = await openSse(`${served.url}?topic=a&topic=b&route=/events`);
    const b = await openSse(`${served.url}?topic=b&route=/other`);
    await waitFor(() => messages('ssekit:stream:open').length === 3, 'three opens');
    const opens = messages<StreamOpenMessage>(DIAGNOSTICS_CHANNELS.streamOpen);
    expect(opens.map(({ route, topics, resumed }) => ({ route, topics, resumed }))).toEqual([
      { route: '/events', topics: ['a'], resumed: false },
      { route: '/events', topics: ['a', 'b'], resumed: false },
      { route: '/other', topics: ['b'], resumed: false },
    ]);
    expect(opens.map((open) => open.connection)).toEqual(served.connections);

    for (let i = 0; i < 3; i++) await broker.publish('a', { event: 'tick', data: String(i) });
    await broker.publish('b', { data: 'to b' });
    await broker.broadcast({ data: 'all' });
    await Promise.all([a1.waitForEvents(4), a2.waitForEvents(5), b.waitForEvents(2)]);

    expect(messages<PublishMessage>(DIAGNOSTICS_CHANNELS.publish)).toEqual([
      { target: 'topic', topics: ['a'] },
      { target: 'topic', topics: ['a'] },
      { target: 'topic', topics: ['a'] },
      { target: 'topic', topics: ['b'] },
      { target: 'broadcast', topics: [] },
    ]);
    const delivers = messages<DeliverMessage>(DIAGNOSTICS_CHANNELS.deliver);
    expect(delivers.map((d) => d.streams)).toEqual([2, 2, 2, 2, 3]);
    const tickBytes = Buffer.byteLength(`id: ${delivers[0]?.id}\nevent: tick\ndata: 0\n\n`);
    expect(delivers[0]?.bytes).toBe(2 * tickBytes);
    const total = delivers.reduce((sum, d) => sum + d.streams, 0);
    expect(total).toBe(broker.stats().delivered);

    const closing = served.connections[0];
    a1.close();
    await waitFor(() => messages('ssekit:stream:close').length === 1, 'a close');
    const [closed] = messages<StreamCloseMessage>(DIAGNOSTICS_CHANNELS.streamClose);
    expect(closed).toMatchObject({ connection: closing, route: '/events', topics: ['a'], reason: 'client' });
    expect(closed?.lifetime).toBeGreaterThanOrEqual(0);

    await broker.close();
    const closes = messages<StreamCloseMessage>(DIAGNOSTICS_CHANNELS.streamClose);
    expect(closes.map(({ route, reason }) => [route, reason])).toEqual([
      ['/events', 'client'],
      ['/events', 'shutdown'],
      ['/other', 'shutdown'],
    ]);
    a2.close();
    b.close();
  });

  it('report a replay with its event count, and a gap where history cannot serve the id', async () => {
    const messages = record();
    const { broker, served } = await start();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await broker.publish('a', { data: String(i) }));
    const resumed = await openSse(`${served.url}?topic=a&route=/events`, { headers: { 'last-event-id': ids[1] as string } });
    await resumed.waitForEvents(2);
    const unknown = await openSse(`${served.url}?topic=a`, { headers: { 'last-event-id': 'never-issued' } });
    await unknown.waitForEvents(1);

    await waitFor(() => messages('ssekit:replay').length === 2, 'two replays');
    const replays = messages<ReplayMessage>(DIAGNOSTICS_CHANNELS.replay);
    expect(replays.map(({ route, events, gap }) => ({ route, events, gap }))).toEqual([
      { route: '/events', events: 2, gap: undefined },
      { route: undefined, events: 0, gap: 'unknown' },
    ]);
    expect(messages<StreamOpenMessage>(DIAGNOSTICS_CHANNELS.streamOpen).map((o) => o.resumed)).toEqual([true, true]);
    const gaps = messages<GapMessage>(DIAGNOSTICS_CHANNELS.gap);
    expect(gaps.map(({ reason }) => reason)).toEqual(['unknown']);
    expect(gaps[0]?.connection).toBe(replays[1]?.connection);
    expect(broker.stats()).toMatchObject({ replayed: 2, gaps: 1 });
    resumed.close();
    unknown.close();
  });

  it('report a slow client dropped with what its socket held, and its close as slow', async () => {
    const messages = record();
    const { broker, served } = await start({ maxBufferedBytes: 64 * 1024 });
    const raw = await openRaw(served.port, 'GET /?route=/slow HTTP/1.1\r\nHost: x\r\n\r\n');
    raws.push(raw);
    await raw.until((t) => t.includes('\r\n\r\n'));
    raw.socket.pause();
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    const payload = 'x'.repeat(32 * 1024);
    for (let i = 0; i < 2_000 && broker.stats().connections === 1; i++) {
      await broker.broadcast({ data: payload });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => messages('ssekit:slow-drop').length === 1, 'a slow drop');
    const [drop] = messages<SlowDropMessage>(DIAGNOSTICS_CHANNELS.slowDrop);
    expect(drop?.route).toBe('/slow');
    expect(drop?.bufferedBytes).toBeGreaterThan(0);
    expect(messages<StreamCloseMessage>(DIAGNOSTICS_CHANNELS.streamClose).map((c) => c.reason)).toEqual(['slow']);
    expect(broker.stats().slowClientCloses).toBe(1);
  });

  it("report each heartbeat round and the transport's counters, which broker.stats() includes", async () => {
    const messages = record();
    const counters: TransportStats = { lagEntries: 3, lagMs: 40, reconnects: 1, gapsReported: 2 };
    const memory = createMemoryTransport();
    const transport: Transport = {
      publish: (channels, frame, id) => memory.publish(channels, frame, id),
      subscribe: (listener) => memory.subscribe(listener),
      replay: (channels, id) => memory.replay(channels, id),
      close: () => memory.close(),
      stats: () => counters,
    };
    const { broker, served } = await start({ heartbeatInterval: 60, transport });
    expect(broker.stats().transport).toEqual(counters);
    const reader = await openSse(served.url);
    await waitFor(
      () => messages<HeartbeatSweepMessage>(DIAGNOSTICS_CHANNELS.heartbeatSweep).some((s) => s.streams === 1 && s.heartbeats === 1),
      'a round that sent the open stream a heartbeat',
    );
    await reader.waitForEvents(0);
    await waitFor(() => reader.comments.length >= 2, 'the heartbeat on the wire'); // the opening comment, then one
    const lags = messages<TransportLagMessage>(DIAGNOSTICS_CHANNELS.transportLag);
    expect(lags.length).toBeGreaterThan(0);
    expect(lags[0]).toEqual(counters);
    reader.close();
  });

  it('publish nothing, and stay quiet, once the listener is gone', async () => {
    const messages = record();
    const { broker, served } = await start();
    for (const stop of stops.splice(0)) stop();
    const reader = await openSse(`${served.url}?topic=a`);
    await broker.publish('a', { data: 'x' });
    await reader.waitForEvents(1);
    reader.close();
    await waitFor(() => broker.stats().connections === 0, 'closed');
    expect(Object.values(DIAGNOSTICS_CHANNELS).flatMap((name) => messages(name))).toEqual([]);
  });
});
