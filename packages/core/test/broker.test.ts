import { createRequire } from 'node:module';
import { dechunk, openRaw, openSse, waitFor } from '@ssekit/test-utils';
import { describe, expect, it } from 'vitest';
import {
  type Broker,
  type BrokerOptions,
  createBroker,
  createMemoryTransport,
  GAP_EVENT,
  reject,
  type Sink,
  SseHookError,
  SseRejectedError,
  SseTransportError,
  type Transport,
  type TransportListener,
  type TransportMessage,
} from '../src/index.js';
import { serveBroker, servedBrokers } from './helpers/serve.js';

const start = servedBrokers();

describe('stream response', () => {
  it('flushes status and SSE headers before any event', async () => {
    const { served } = await start();
    const reader = await openSse(served.url);
    expect(reader.status).toBe(200);
    expect(reader.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(reader.headers['cache-control']).toBe('no-cache, no-transform');
    expect(reader.headers['x-accel-buffering']).toBe('no');
    expect(reader.headers['content-length']).toBeUndefined();
    expect(reader.events).toEqual([]);
    reader.close();
  });

  it('opens with an empty comment and the retry hint, then events, byte for byte', async () => {
    const { broker, served } = await start();
    const raw = await openRaw(served.port, 'GET /?retry=2500 HTTP/1.1\r\nHost: x\r\n\r\n');
    await raw.until((t) => t.includes('retry: 2500'));
    await broker.broadcast({ id: 'a', event: 'tick', data: 'line1\nline2' });
    const text = await raw.until((t) => t.includes('line2'));
    const body = dechunk(text.slice(text.indexOf('\r\n\r\n') + 4));
    expect(body).toBe(':\nretry: 2500\n\nid: a\nevent: tick\ndata: line1\ndata: line2\n\n');
    raw.socket.destroy();
  });
});

describe('HEAD', () => {
  it('answers the head with no body, registers nothing, and frees the socket for the next request', async () => {
    const { broker, served } = await start();
    const raw = await openRaw(served.port, 'HEAD /?client=ada HTTP/1.1\r\nHost: x\r\n\r\nGET /?client=ada HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = await raw.until((t) => t.split('HTTP/1.1 200').length === 3 && t.endsWith(':\n\r\n'));
    const [head, second] = text.split('HTTP/1.1 200').slice(1);
    expect(head).toContain('content-type: text/event-stream');
    expect(head?.endsWith('\r\n\r\n')).toBe(true); // nothing after the head
    expect(second).toContain('content-type: text/event-stream');
    await waitFor(() => broker.stats().connections === 1, 'only the GET is open');
    expect([...broker.connections()].map((c) => c.clientId)).toEqual(['ada']);
    raw.socket.destroy();
  });
});

describe('fan-out', () => {
  it('delivers one broadcast to 1,000 subscribers', async () => {
    const { broker, served } = await start();
    const readers = [];
    for (let i = 0; i < 1000; i += 100) {
      readers.push(...(await Promise.all(Array.from({ length: 100 }, () => openSse(served.url)))));
    }
    await waitFor(() => broker.stats().connections === 1000, 'all 1,000 streams open');
    const id = await broker.broadcast({ event: 'hello', data: { n: 1 } });
    const received = await Promise.all(readers.map((r) => r.waitForEvents(1)));
    for (const [event] of received) expect(event).toEqual({ event: 'hello', data: '{"n":1}', id });
    expect(broker.stats().delivered).toBe(1000);
    for (const r of readers) r.close();
    await waitFor(() => broker.stats().connections === 0, 'all streams released');
  }, 60_000);

  it('routes topics and writes an event on several of them once', async () => {
    const { broker, served } = await start();
    const a = await openSse(`${served.url}?topic=a`);
    const ab = await openSse(`${served.url}?topic=a&topic=b`);
    const b = await openSse(`${served.url}?topic=b`);
    await waitFor(() => broker.stats().connections === 3, 'streams open');
    await broker.publish('a', { data: 'to-a' });
    await broker.publish(['a', 'b'], { data: 'to-both' });
    await broker.publish('b', { data: 'to-b' });
    await ab.waitForEvents(3);
    await a.waitForEvents(2);
    await b.waitForEvents(2);
    expect(a.events.map((e) => e.data)).toEqual(['to-a', 'to-both']);
    expect(ab.events.map((e) => e.data)).toEqual(['to-a', 'to-both', 'to-b']);
    expect(b.events.map((e) => e.data)).toEqual(['to-both', 'to-b']);
    for (const r of [a, ab, b]) r.close();
  });

  it('sends to every session of one client and nobody else', async () => {
    const { broker, served } = await start();
    const tab1 = await openSse(`${served.url}?client=ada`);
    const tab2 = await openSse(`${served.url}?client=ada`);
    const other = await openSse(`${served.url}?client=bob`);
    await waitFor(() => broker.stats().connections === 3, 'streams open');
    await broker.send('ada', { event: 'note', data: 'for ada' });
    await broker.broadcast({ event: 'all', data: 'everyone' });
    await tab1.waitForEvents(2);
    await tab2.waitForEvents(2);
    await other.waitForEvents(1);
    expect(tab1.events.map((e) => e.event)).toEqual(['note', 'all']);
    expect(tab2.events.map((e) => e.event)).toEqual(['note', 'all']);
    expect(other.events.map((e) => e.event)).toEqual(['all']);
    for (const r of [tab1, tab2, other]) r.close();
  });

  it('unsubscribe stops a topic on a live stream and subscribe starts one, on the broker and the connection', async () => {
    const { broker, served } = await start();
    const viaBroker = await openSse(`${served.url}?topic=a&client=b1`);
    const viaConnection = await openSse(`${served.url}?topic=a&client=c1`);
    await waitFor(() => broker.stats().connections === 2, 'streams open');
    const [first, second] = served.connections;
    if (!first || !second) throw new Error('two connections expected');
    broker.unsubscribe(first, ['a']);
    second.unsubscribe('a');
    await broker.publish('a', { data: 'nobody' });
    expect(broker.stats().delivered).toBe(0);
    broker.subscribe(first, ['b']);
    second.subscribe(['b']);
    await broker.publish('b', { data: 'to b' });
    await viaBroker.waitForEvents(1);
    await viaConnection.waitForEvents(1);
    expect(viaBroker.events.map((e) => e.data)).toEqual(['to b']);
    expect(viaConnection.events.map((e) => e.data)).toEqual(['to b']);
    expect(broker.stats().delivered).toBe(2);
    viaBroker.close();
    viaConnection.close();
  });

  /** The SSE blocks of each HTTP chunk of a raw response body after the stream's opening. */
  const chunksOf = (body: string): string[] => {
    const chunks: string[] = [];
    for (let at = 0; at < body.length; ) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = Number.parseInt(body.slice(at, lineEnd), 16);
      if (lineEnd === -1 || !(size > 0)) break;
      chunks.push(body.slice(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    return chunks;
  };

  it("writes a tick's first delivery during the publish and the rest of a burst in one more write", async () => {
    const { broker, served } = await start();
    const raw = await openRaw(served.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const head = await raw.until((t) => t.includes('\r\n\r\n2\r\n:\n\r\n')); // the opening comment chunk
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    const before = broker.stats().bytes;
    void broker.broadcast({ data: '0' });
    // Written to the socket inside the call, before the publisher yields: one pass, as by hand.
    expect(broker.stats().bytes).toBeGreaterThan(before);
    for (let n = 1; n < 100; n++) void broker.broadcast({ data: String(n) });
    const text = await raw.until((t) => t.includes('data: 99\n'));
    const chunks = chunksOf(text.slice(head.length));
    // Two chunks: the first event, then the other 99 joined.
    expect(chunks.map((chunk) => chunk.match(/data: /g)?.length)).toEqual([1, 99]);
    expect(dechunk(text.slice(head.length)).match(/data: /g)).toHaveLength(100);
    // The next tick starts again with a write at once.
    await new Promise((resolve) => setImmediate(resolve));
    const written = broker.stats().bytes;
    void broker.broadcast({ data: 'next' });
    expect(broker.stats().bytes).toBeGreaterThan(written);
    raw.socket.destroy();
  });

  it("joins a transport's batch (deliveries marked `more`) into one write", async () => {
    const listeners = new Set<TransportListener>();
    const batchTransport: Transport = {
      publish: () => 'unused',
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      replay: async () => ({ messages: [] }),
      close() {},
    };
    const { broker, served } = await start({ transport: batchTransport });
    const raw = await openRaw(served.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const head = await raw.until((t) => t.includes('\r\n\r\n2\r\n:\n\r\n'));
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    for (let n = 0; n < 50; n++) {
      const message: TransportMessage = { id: String(n), channels: ['*'], frame: `id: ${n}\ndata: ${n}\n\n`, position: n };
      for (const listener of listeners) listener.message(message, n < 49);
    }
    const text = await raw.until((t) => t.includes('data: 49\n'));
    expect(chunksOf(text.slice(head.length)).map((chunk) => chunk.match(/data: /g)?.length)).toEqual([50]);
    raw.socket.destroy();
  });

  it("keeps a stream's own sends and deliveries of one tick in call order", async () => {
    const { broker, served } = await start();
    const reader = await openSse(served.url);
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    const [connection] = served.connections;
    void broker.broadcast({ data: 'b1' });
    connection?.send({ data: 's1' });
    void broker.broadcast({ data: 'b2' });
    connection?.send({ data: 's2' });
    await new Promise((resolve) => setImmediate(resolve));
    connection?.send({ data: 's3' });
    void broker.broadcast({ data: 'b3' });
    const events = await reader.waitForEvents(6);
    expect(events.map((e) => e.data)).toEqual(['b1', 's1', 'b2', 's2', 's3', 'b3']);
    reader.close();
  });

  it('assigns increasing ids and keeps ids the publisher gives, including 0', async () => {
    const broker = createBroker();
    const ids = [await broker.broadcast({ data: 'a' }), await broker.broadcast({ data: 'b' })];
    const [m1, s1] = (ids[0] as string).split('-').map(Number) as [number, number];
    const [m2, s2] = (ids[1] as string).split('-').map(Number) as [number, number];
    expect(m2 > m1 || (m2 === m1 && s2 > s1)).toBe(true);
    expect(await broker.broadcast({ id: 0, data: 'c' })).toBe('0');
    await broker.close();
  });
});

describe('replay', () => {
  it('a reconnect with Last-Event-ID gets exactly the missed events, then live ones', async () => {
    const { broker, served } = await start();
    const first = await openSse(`${served.url}?topic=t`);
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    for (let n = 1; n <= 3; n++) await broker.publish('t', { data: `e${n}` });
    const seen = await first.waitForEvents(3);
    first.close();
    await waitFor(() => broker.stats().connections === 0, 'stream released');
    for (let n = 4; n <= 8; n++) await broker.publish('t', { data: `e${n}` });
    await broker.publish('other', { data: 'not for us' });

    const again = await openSse(`${served.url}?topic=t`, { headers: { 'last-event-id': seen[2]?.id as string } });
    await again.waitForEvents(5);
    await broker.publish('t', { data: 'e9' });
    await again.waitForEvents(6);
    expect(again.events.map((e) => e.data)).toEqual(['e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
    expect(broker.stats().replayed).toBe(5);
    again.close();
  });

  it('accepts the id as a lastEventId query parameter', async () => {
    const { broker, served } = await start();
    const id = await broker.broadcast({ data: 'old' });
    await broker.broadcast({ data: 'new' });
    const reader = await openSse(`${served.url}?lastEventId=${encodeURIComponent(id)}`);
    expect((await reader.waitForEvents(1))[0]?.data).toBe('new');
    reader.close();
  });

  it('re-decodes a UTF-8 Last-Event-ID header that Node read as Latin-1', async () => {
    const { broker, served } = await start();
    await broker.broadcast({ id: 'café-1', data: 'one' });
    await broker.broadcast({ id: 'café-2', data: 'two' });
    const head = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nLast-Event-ID: café-1\r\n\r\n', 'utf8').toString('latin1');
    const raw = await openRaw(served.port, '');
    raw.socket.write(Buffer.from(head, 'latin1'));
    const text = await raw.until((t) => t.includes('data: two'));
    expect(text).not.toContain('data: one');
    expect(Buffer.from(text, 'latin1').toString('utf8')).toContain('id: café-2');
    raw.socket.destroy();
  });

  it('joins replay and live without a gap or duplicate at the seam', async () => {
    const memory = createMemoryTransport();
    let releaseReplay: () => void = () => {};
    const slowReplay: Transport = {
      ...memory,
      publish: memory.publish,
      subscribe: memory.subscribe,
      async replay(channels, lastEventId) {
        await new Promise<void>((resolve) => {
          releaseReplay = resolve;
        });
        // The snapshot is taken after the live event: it is in both, and must arrive once.
        return memory.replay(channels, lastEventId);
      },
    };
    const { broker, served } = await start({ transport: slowReplay });
    const from = await broker.broadcast({ data: 'e0' });
    await broker.broadcast({ data: 'e1' });
    const pending = openSse(served.url, { headers: { 'last-event-id': from } });
    await waitFor(() => broker.stats().connections === 1, 'stream admitted, replay pending');
    await broker.broadcast({ data: 'e2' }); // live while the replay is in flight
    releaseReplay();
    const reader = await pending;
    await broker.broadcast({ data: 'e3' });
    await broker.broadcast({ data: 'end' });
    // Everything before 'end' has arrived once 'end' has: a duplicate would sit before it.
    await waitFor(() => reader.events.some((e) => e.data === 'end'), 'the last event');
    expect(reader.events.map((e) => e.data)).toEqual(['e1', 'e2', 'e3', 'end']);
    reader.close();
  });

  it('signals an id older than the history with the gap event', async () => {
    const { broker, served } = await start({ history: { historySize: 2 } });
    const first = await broker.broadcast({ data: 'e1' });
    for (let n = 2; n <= 5; n++) await broker.broadcast({ data: `e${n}` });
    const reader = await openSse(served.url, { headers: { 'last-event-id': first } });
    const [gap] = await reader.waitForEvents(1);
    expect(gap?.event).toBe(GAP_EVENT);
    expect(JSON.parse(gap?.data ?? '')).toEqual({ lastEventId: first, reason: 'expired' });
    await broker.broadcast({ data: 'live' });
    expect((await reader.waitForEvents(2))[1]?.data).toBe('live');
    expect(broker.stats().gaps).toBe(1);
    reader.close();
  });

  it('treats an empty Last-Event-ID as none: no replay, no gap', async () => {
    const { broker, served } = await start();
    await broker.broadcast({ data: 'before' });
    const reader = await openSse(served.url, { headers: { 'last-event-id': '' } });
    await broker.broadcast({ data: 'live' });
    const [first] = await reader.waitForEvents(1);
    expect(first?.data).toBe('live');
    expect(broker.stats()).toMatchObject({ gaps: 0, replayed: 0 });
    reader.close();
  });

  it('signals an unknown or oversized id as unknown', async () => {
    const { broker, served } = await start();
    await broker.broadcast({ data: 'e1' });
    const unknown = await openSse(served.url, { headers: { 'last-event-id': 'never-issued' } });
    const huge = await openSse(served.url, { headers: { 'last-event-id': 'x'.repeat(5000) } });
    const [a] = await unknown.waitForEvents(1);
    const [b] = await huge.waitForEvents(1);
    expect(JSON.parse(a?.data ?? '')).toEqual({ lastEventId: 'never-issued', reason: 'unknown' });
    expect(JSON.parse(b?.data ?? '')).toEqual({ lastEventId: null, reason: 'unknown' });
    unknown.close();
    huge.close();
  });
});

describe('slow clients', () => {
  it('closes a client that stops reading at the byte cap while the others get everything', async () => {
    const { broker, served } = await start({ maxBufferedBytes: 64 * 1024 });
    const fast = await Promise.all([openSse(served.url), openSse(served.url)]);
    const stalled = await openRaw(served.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await stalled.until((t) => t.includes('\r\n\r\n'));
    stalled.socket.pause();
    await waitFor(() => broker.stats().connections === 3, 'streams open');
    const payload = 'x'.repeat(32 * 1024);
    // The readers share this process, so pace publishing on them: they keep up, the stalled one can't.
    for (let n = 1; n <= 600; n++) {
      await broker.broadcast({ data: payload });
      await Promise.all(fast.map((r) => r.waitForEvents(n, 20_000)));
    }
    await waitFor(() => broker.stats().slowClientCloses === 1, 'stalled client closed');
    expect(broker.stats().connections).toBe(2);
    for (const r of fast) expect(r.events.every((e) => e.data === payload)).toBe(true);
    for (const r of fast) r.close();
    stalled.socket.destroy();
  }, 60_000);

  it("holds a backed-up socket to a byte cap below the socket's own high-water mark", async () => {
    // Node's socket reports itself full only at 16 KiB: a 4 KiB cap must hold on its own, for
    // deliveries written at once during the publish as for queued ones.
    const cap = 4096;
    const { broker, served } = await start({ maxBufferedBytes: cap });
    const stalled = await openRaw(served.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await stalled.until((t) => t.includes('\r\n\r\n'));
    stalled.socket.pause();
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    const sink = served.sinkOf(served.connections[0]);
    const payload = 'x'.repeat(1000);
    let most = 0;
    for (let n = 0; n < 20_000 && broker.stats().slowClientCloses === 0; n++) {
      void broker.broadcast({ data: payload });
      await new Promise((resolve) => setImmediate(resolve));
      most = Math.max(most, sink?.closed ? 0 : (sink?.bufferedBytes ?? 0));
    }
    expect(broker.stats().slowClientCloses).toBe(1);
    expect(most).toBeLessThanOrEqual(cap);
    stalled.socket.destroy();
  }, 60_000);

  it('delivers events intact to a client that fell behind and reads again', async () => {
    // Behind a backed-up socket, large chunks go out in pieces (size line, the history's bytes,
    // CRLF) and small ones framed whole: the wire must not tell the difference.
    const { broker, served } = await start({ maxBufferedBytes: 64 * 1024 * 1024 });
    const behind = await openRaw(served.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await behind.until((t) => t.includes('\r\n\r\n'));
    behind.socket.pause();
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    const sink = served.sinkOf(served.connections[0]);
    const filler = 'f'.repeat(64 * 1024);
    let fillers = 0;
    while ((sink?.bufferedBytes ?? 0) === 0 && fillers < 4_000) {
      await broker.broadcast({ event: 'filler', data: filler });
      fillers++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(sink?.bufferedBytes).toBeGreaterThan(0);
    const sizes = [1023, 1024, 5, 40_000, 2048, 0, 70_000, 1500];
    const sent = sizes.map((size, n) => `${n}:é€😀`.padEnd(size, String.fromCharCode(97 + n)));
    for (const data of sent) await broker.broadcast({ event: 'check', data });
    await broker.broadcast({ event: 'end', data: 'end' });
    behind.socket.resume();
    await waitFor(() => behind.received().endsWith('data: end\n\n\r\n'), 'every event read', 30_000);
    const body = dechunk(behind.received().slice(behind.received().indexOf('\r\n\r\n') + 4));
    const text = Buffer.from(body, 'latin1').toString('utf8');
    const checks = text
      .split('\n\n')
      .filter((block) => block.includes('event: check'))
      .map((block) => /^data: (.*)$/m.exec(block)?.[1] ?? '');
    expect(checks).toEqual(sent);
    expect(text.split('event: filler').length - 1).toBe(fillers);
    behind.socket.destroy();
  }, 60_000);

  it('keeps a client that stops reading but whose host still answers: it is slow, not gone', async () => {
    // The peer's kernel acknowledges with a zero window, so closeUnresponsive must leave it be.
    const { broker, served } = await start({ heartbeatInterval: 100, maxBufferedBytes: 64 * 1024 * 1024 });
    const stalled = await openRaw(served.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await stalled.until((t) => t.includes('\r\n\r\n'));
    stalled.socket.pause();
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    const payload = 'x'.repeat(64 * 1024);
    // Well past both kernels' buffers: the server side is left probing a zero window.
    for (let n = 0; n < 200; n++) await broker.broadcast({ data: payload });
    const sink = served.sinkOf(served.connections[0]);
    expect(sink?.bufferedBytes).toBeGreaterThan(0);
    // Count the sweeps that asked the kernel, rather than sleeping: 60 rounds (3 s unloaded) is
    // well past the 3 unanswered retransmissions (1.4 s) that would mark a vanished peer.
    const sweeps = countSweeps(sink);
    await waitFor(() => sweeps.count >= 60, '60 heartbeat sweeps', 20_000);
    expect(broker.stats()).toMatchObject({ connections: 1, unresponsiveCloses: 0, slowClientCloses: 0 });
    expect(sweeps.verdicts).not.toContain(true);
    stalled.socket.destroy();
  }, 30_000);
});

describe('heartbeat cadence', () => {
  it('an idle stream gets a heartbeat every interval, not every other one', async () => {
    const { broker, served } = await start({ heartbeatInterval: 60 });
    const reader = await openSse(served.url);
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    // The sweep asks the sink twice per interval: it is the clock here, not a sleep.
    const sweeps = countSweeps(served.sinkOf(served.connections[0]));
    await waitFor(() => sweeps.count >= 20, 'ten intervals', 20_000);
    const heartbeats = reader.comments.length - 1; // minus the opening comment
    expect(heartbeats).toBeGreaterThanOrEqual(8);
    reader.close();
  });
});

/** Wraps a sink's `unresponsive()` to count the heartbeat sweeps that asked it, and what it said. */
function countSweeps(sink: Sink | undefined, verdict?: () => boolean) {
  const seen = { count: 0, verdicts: [] as boolean[] };
  if (!sink?.unresponsive) throw new Error('a Node sink with unresponsive() expected');
  const ask = sink.unresponsive.bind(sink);
  sink.unresponsive = () => {
    seen.count++;
    const answer = verdict ? verdict() : ask();
    seen.verdicts.push(answer);
    return answer;
  };
  return seen;
}

describe('dead peers (closeUnresponsive), with the kernel verdict simulated', () => {
  // The kernel side (a peer that stops acknowledging) needs a private network namespace: the
  // resilience app's abrupt-disconnect test, where `unshare -n` works. This runs everywhere.
  it('drops a stream whose sink reports its peer gone, with reason unresponsive, and resets the socket', async () => {
    const reasons: string[] = [];
    const { broker, served } = await start({ heartbeatInterval: 20, onDisconnect: (_c, reason) => reasons.push(reason) });
    const reader = await openSse(served.url);
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    let gone = false;
    const sweeps = countSweeps(served.sinkOf(served.connections[0]), () => gone);
    await waitFor(() => sweeps.count >= 2, 'two sweeps');
    expect(broker.stats().connections).toBe(1);
    gone = true;
    await waitFor(() => broker.stats().unresponsiveCloses === 1, 'the stream dropped');
    await reader.done;
    expect(reasons).toEqual(['unresponsive']);
    expect(broker.stats().connections).toBe(0);
  });

  it('drops a stream whose sink throws from unresponsive(), and the round goes on for the others', async () => {
    const reports: unknown[] = [];
    const reasons: string[] = [];
    const { broker, served } = await start({
      heartbeatInterval: 20,
      onError: (error, context) => reports.push([(error as Error).message, context.phase]),
      onDisconnect: (_c, reason) => reasons.push(reason),
    });
    const broken = await openSse(served.url);
    const reader = await openSse(served.url);
    await waitFor(() => broker.stats().connections === 2, 'two streams');
    countSweeps(served.sinkOf(served.connections[0]), () => {
      throw new Error('probe broke');
    });
    // Without the guard the throw escapes the heartbeat timer (an uncaught exception) and no
    // stream after the broken one gets a heartbeat again.
    await waitFor(() => reader.comments.length >= 4, 'three heartbeats on the other stream');
    await broken.done;
    expect(reasons).toEqual(['error']);
    expect(reports).toEqual([['probe broke', 'write']]);
    expect(broker.stats().connections).toBe(1);
    reader.close();
  });

  it('leaves such a stream open when closeUnresponsive is false', async () => {
    const { broker, served } = await start({ heartbeatInterval: 20, closeUnresponsive: false });
    const reader = await openSse(served.url);
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    const sink = served.sinkOf(served.connections[0]);
    const sweeps = countSweeps(sink, () => true);
    // Heartbeats still flow (the sweep runs); the sink is simply never asked.
    await waitFor(() => reader.comments.length >= 4, 'three heartbeats');
    expect(sweeps.count).toBe(0);
    expect(broker.stats()).toMatchObject({ connections: 1, unresponsiveCloses: 0 });
    reader.close();
  });
});

describe('lifecycle', () => {
  it('cleans up when a client leaves: signal, callback, subscriptions', async () => {
    const reasons: string[] = [];
    const { broker, served } = await start({ onDisconnect: (_c, reason) => reasons.push(reason) });
    const reader = await openSse(`${served.url}?topic=t`);
    await waitFor(() => served.connections.length === 1, 'stream open');
    const connection = served.connections[0];
    const aborted = new Promise((resolve) => connection?.signal.addEventListener('abort', resolve));
    reader.close();
    await aborted;
    expect(reasons).toEqual(['client']);
    expect(broker.stats().connections).toBe(0);
    expect(connection?.closed).toBe(true);
    expect(connection?.send({ data: 'late' })).toBe(false);
  });

  it('sends heartbeat comments only on idle streams', async () => {
    const { broker, served } = await start({ heartbeatInterval: 40 });
    const idle = await openSse(`${served.url}?topic=quiet`);
    const busy = await openSse(`${served.url}?topic=busy`);
    await waitFor(() => broker.stats().connections === 2, 'streams open');
    const timer = setInterval(() => void broker.publish('busy', { data: 'x' }), 10);
    // On the condition, not a fixed sleep: three heartbeats on the idle stream (opening comment + 3).
    await waitFor(() => idle.comments.length >= 4, 'three heartbeats on the idle stream', 10_000);
    clearInterval(timer);
    expect(busy.comments).toEqual(['']); // only the opening comment every stream starts with
    expect(busy.text()).not.toMatch(/data: x\n:/); // never a comment inside an event
    idle.close();
    busy.close();
  });

  it('close() ends every stream gracefully and the server closes', async () => {
    const broker = createBroker();
    const local = await serveBroker(broker);
    const readers = await Promise.all([openSse(local.url), openSse(local.url), openSse(local.url)]);
    await waitFor(() => broker.stats().connections === 3, 'streams open');
    await broker.close();
    await Promise.all(readers.map((r) => r.done));
    await new Promise<void>((resolve) => local.server.close(() => resolve()));
    expect(broker.stats().connections).toBe(0);
    await expect(broker.broadcast({ data: 'x' })).rejects.toMatchObject({ code: 'BROKER_CLOSED' });
  });

  it('pipes an async iterable and calls return() when the client leaves', async () => {
    let finished = false;
    async function* ticks() {
      try {
        for (let n = 0; ; n++) {
          yield { event: 'n', data: n };
          await new Promise((r) => setTimeout(r, 5));
        }
      } finally {
        finished = true;
      }
    }
    const { served } = await start();
    const reader = await openSse(served.url);
    await waitFor(() => served.connections.length === 1, 'stream open');
    const piped = served.connections[0]?.pipe(ticks());
    await reader.waitForEvents(5);
    expect(reader.events.slice(0, 5).map((e) => e.data)).toEqual(['0', '1', '2', '3', '4']);
    reader.close();
    await piped;
    await waitFor(() => finished, 'generator finally ran');
  });

  it('pipes strings and byte chunks as data', async () => {
    const { served } = await start();
    const reader = await openSse(served.url);
    await waitFor(() => served.connections.length === 1, 'stream open');
    await served.connections[0]?.pipe(['a', new TextEncoder().encode('b\nc')]);
    const events = await reader.waitForEvents(2);
    expect(events.map((e) => e.data)).toEqual(['a', 'b\nc']);
    reader.close();
  });
});

describe('admission', () => {
  /** The answer to a refused request; an accepted stream is closed at once, so its 200 fails fast. */
  async function statusOf(url: string, headers: Record<string, string> = {}) {
    const reader = await openSse(url, { headers });
    if (reader.status === 200) reader.close();
    await reader.done.catch(() => {});
    return { status: reader.status, headers: reader.headers, body: reader.text() };
  }

  it('answers authorize rejections with 401 and 403', async () => {
    const { served } = await start({
      authorize: (req) => {
        const auth = req.header('authorization');
        if (auth === undefined) return false;
        if (auth !== 'Bearer good') return reject(403, 'Forbidden.');
        return { id: 'ada' };
      },
    });
    expect(await statusOf(served.url)).toMatchObject({ status: 401, body: 'Authentication required.' });
    expect(await statusOf(served.url, { authorization: 'Bearer bad' })).toMatchObject({ status: 403 });
    const ok = await openSse(served.url, { headers: { authorization: 'Bearer good' } });
    expect(ok.status).toBe(200);
    await waitFor(() => served.connections.length === 1, 'stream open');
    expect(served.connections[0]?.clientId).toBe('ada');
    ok.close();
  });

  it('rejects topics the principal may not read, and too many topics', async () => {
    const { served } = await start({ authorizeTopic: (topic) => topic !== 'secret', maxTopicsPerConnection: 3 });
    expect((await statusOf(`${served.url}?topic=news&topic=secret`)).status).toBe(403);
    expect((await statusOf(`${served.url}?topic=news`)).status).toBe(200);
    expect((await statusOf(`${served.url}?topic=a&topic=b&topic=c&topic=d`)).status).toBe(400);
  });

  it('limits total streams with 503 and per-client streams with 429, both with Retry-After', async () => {
    const { broker, served } = await start({ maxConnections: 2, maxConnectionsPerClient: 1, retryAfter: 7 });
    const a = await openSse(`${served.url}?client=ada`);
    await waitFor(() => broker.stats().connections === 1, 'one open');
    const perClient = await statusOf(`${served.url}?client=ada`);
    expect(perClient.status).toBe(429);
    expect(perClient.headers['retry-after']).toBe('7');
    const b = await openSse(`${served.url}?client=bob`);
    await waitFor(() => broker.stats().connections === 2, 'two open');
    const total = await statusOf(`${served.url}?client=cy`);
    expect(total.status).toBe(503);
    expect(total.headers['retry-after']).toBe('7');
    expect(broker.stats().rejected).toBe(2);
    a.close();
    b.close();
  });
});

describe('admission hooks that fail', () => {
  // Admission runs before any sink exists, so the broker is driven directly with a request view.
  const request = { url: '/events', method: 'GET', header: () => undefined };
  const neverOpened = () => {
    throw new Error('open() must not be called for a refused stream');
  };
  const failureOf = (options: BrokerOptions) =>
    createBroker(options)
      .stream(request, { topics: ['news'] }, neverOpened)
      .then(
        () => undefined,
        (error: unknown) => error,
      );

  it('wraps what authorize, authorizeTopic and clientId throw in SseHookError, the original as cause', async () => {
    const secret = new Error('db password=hunter2');
    const failures = await Promise.all([
      failureOf({ authorize: () => Promise.reject(secret) }),
      failureOf({
        authorizeTopic: () => {
          throw secret;
        },
      }),
      failureOf({
        clientId: () => {
          throw secret;
        },
      }),
    ]);
    expect(failures.map((error) => (error as SseHookError).hook)).toEqual(['authorize', 'authorizeTopic', 'clientId']);
    for (const error of failures) {
      expect(error).toBeInstanceOf(SseHookError);
      expect(error).toMatchObject({ code: 'HOOK_FAILED', status: 500, statusCode: 500, expose: false, cause: secret });
      const { message, stack } = error as SseHookError;
      expect(`${message}${stack}`).not.toContain('hunter2');
      // No frames: error pages that print stacks show nothing of the server's files.
      expect(stack).toBe(`SseHookError: ${message}`);
    }
  });

  it('passes refusals through: a thrown SseRejectedError, and an exposed 4xx http-errors style error', async () => {
    const thrown = await failureOf({
      authorize: () => {
        throw reject(403, 'Not on this plan.');
      },
    });
    expect(thrown).toMatchObject({ code: 'REJECTED', status: 403, message: 'Not on this plan.' });
    expect((thrown as SseRejectedError).stack).toBe('SseRejectedError: Not on this plan.');
    const httpError = Object.assign(new Error('Token expired.'), { status: 401, expose: true, headers: { 'www-authenticate': 'Bearer' } });
    const converted = await failureOf({ authorize: () => Promise.reject(httpError) });
    expect(converted).toBeInstanceOf(SseRejectedError);
    expect(converted).toMatchObject({
      status: 401,
      message: 'Token expired.',
      headers: { 'www-authenticate': 'Bearer' },
      cause: httpError,
    });
    // A 5xx or unexposed error is a fault, whatever its shape.
    const fault = await failureOf({ authorize: () => Promise.reject(Object.assign(new Error('x'), { status: 502, expose: true })) });
    expect(fault).toBeInstanceOf(SseHookError);
  });

  it('wraps throws of any shape: throwing getters, proxies, primitives, forged refusals', async () => {
    const throwingStatus = {
      expose: true,
      get status(): number {
        throw new Error('status getter: secret');
      },
    };
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('proxy: secret');
        },
        getPrototypeOf() {
          throw new Error('proxy: secret');
        },
      },
    );
    const forged = {
      [Symbol.for('ssekit.error')]: true,
      code: 'REJECTED',
      status: 401,
      message: 'x',
      headers: { 'x-a': 'b\r\nset-cookie: s=1' },
    };
    const outOfRange = Object.assign(new Error('x'), { status: 200, expose: true });
    const thrown: unknown[] = [throwingStatus, hostile, 'a string', undefined, null, Symbol('s'), 42, forged, outOfRange];
    for (const value of thrown) {
      const failure = await failureOf({
        authorize: () => {
          throw value;
        },
      });
      expect(failure, String(typeof value)).toBeInstanceOf(SseHookError);
      expect((failure as SseHookError).message).not.toContain('secret');
    }
  });

  it('refuses a stream when authorize returns a refusal made by another copy of core', async () => {
    // The CommonJS build is a second copy: its SseRejectedError is another class.
    const otherCopy = createRequire(import.meta.url)('@ssekit/core') as typeof import('../src/index.js');
    const refusal = otherCopy.reject(403, 'Not on this plan.');
    expect(refusal).not.toBeInstanceOf(SseRejectedError);
    const failure = await failureOf({ authorize: () => refusal });
    expect(failure).toBeInstanceOf(SseRejectedError);
    expect(failure).toMatchObject({ status: 403, message: 'Not on this plan.', cause: refusal });
  });
});

describe('memory', () => {
  it('heap returns to its baseline after 10,000 connect/disconnect cycles', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('run with --expose-gc');
    const { broker, served } = await start({ heartbeatInterval: 1000 });
    const cycle = async () => {
      const r = await openSse(`${served.url}?topic=t`);
      r.close();
      await r.done;
    };
    const run = async (count: number) => {
      for (let i = 0; i < count; i += 100) await Promise.all(Array.from({ length: 100 }, cycle));
      await waitFor(() => broker.stats().connections === 0, 'all released', 10_000);
    };
    await run(500); // warm up JIT, pools and caches
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 50));
        gc();
      }
      return process.memoryUsage().heapUsed;
    };
    const baseline = await settle();
    await run(10_000);
    const after = await settle();
    expect(after - baseline).toBeLessThan(2 * 1024 * 1024);
  }, 120_000);
});

export type { Broker };

describe('a transport that becomes ready asynchronously', () => {
  it('opens no stream before the transport can deliver what is published next, and refuses with 503 if it never can', async () => {
    const memory = createMemoryTransport();
    let asked = 0;
    let becomeReady: () => void = () => {};
    let failReady: (error: Error) => void = () => {};
    const late: Transport = {
      ...memory,
      ready: () => {
        asked++;
        return new Promise<void>((resolve, reject) => {
          becomeReady = resolve;
          failReady = reject;
        });
      },
    };
    const { broker, served } = await start({ transport: late });
    const pending = openSse(served.url);
    await waitFor(() => asked === 1, 'admission waiting for the transport');
    // Published while the transport is not ready: the stream has not opened, so it is not the stream's.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(broker.stats().connections).toBe(0);
    becomeReady();
    const reader = await pending;
    await waitFor(() => broker.stats().connections === 1, 'stream open once ready');
    await broker.broadcast({ data: 'after ready' });
    expect((await reader.waitForEvents(1))[0]?.data).toBe('after ready');
    const refused = openSse(served.url);
    await waitFor(() => asked === 2, 'second admission waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
    failReady(new Error('redis down'));
    const answer = await refused;
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    reader.close();
  });
});

describe('client keys of anonymous streams', () => {
  it('gives streams admitted side by side keys of their own, even while the transport gets ready', async () => {
    const memory = createMemoryTransport();
    const waiting: Array<() => void> = [];
    const late: Transport = { ...memory, ready: () => new Promise<void>((resolve) => waiting.push(resolve)) };
    const { broker, served } = await start({ transport: late });
    const pending = [openSse(served.url), openSse(served.url)];
    await waitFor(() => waiting.length === 2, 'both admissions waiting');
    for (const resolve of waiting) resolve();
    const readers = await Promise.all(pending);
    await waitFor(() => broker.stats().connections === 2, 'both open');
    const keys = served.connections.map((c) => c.clientId);
    expect(new Set(keys).size).toBe(2);
    expect(served.connections.map((c) => c.id)).toEqual(keys);
    await broker.send(keys[0] as string, { data: 'only for the first' });
    await readers[0]?.waitForEvents(1);
    await broker.broadcast({ data: 'end' });
    await readers[1]?.waitForEvents(1);
    expect(readers[1]?.events.map((e) => e.data)).toEqual(['end']);
    for (const reader of readers) reader.close();
  });
});

describe('transport outage', () => {
  it('answers 503 when the transport cannot get ready, and a refusal of its own with its status', async () => {
    const memory = createMemoryTransport();
    let failure: unknown = new SseTransportError('redis down');
    const failing: Transport = { ...memory, ready: () => Promise.reject(failure) };
    const { broker, served } = await start({ transport: failing });
    expect((await fetch(served.url)).status).toBe(503);
    failure = reject(429, 'this node is full');
    const refused = await fetch(served.url);
    expect(refused.status).toBe(429); // was a 503 "reconnect shortly"
    expect(await refused.text()).toBe('this node is full');
    expect(broker.stats()).toMatchObject({ connections: 0, rejected: 2 });
  });

  it('ends a reconnecting stream when history cannot be read, instead of skipping events', async () => {
    const memory = createMemoryTransport();
    const failing: Transport = {
      ...memory,
      replay: () => Promise.reject(new Error('redis down')),
    };
    const { broker, served } = await start({ transport: failing });
    const id = await broker.broadcast({ data: 'e1' });
    const reader = await openSse(served.url, { headers: { 'last-event-id': id } });
    await reader.done;
    expect(reader.events).toEqual([]);
    expect(broker.stats().connections).toBe(0);
  });
});

describe('a sink that throws', () => {
  /** A third-party sink breaking its contract: it throws from `write` or `bufferedBytes` after the opening. */
  class ThrowingSink implements Sink {
    closed = false;
    private writes = 0;
    private readonly closeListeners: Array<() => void> = [];
    constructor(private readonly where: 'write' | 'bufferedBytes' | 'onDrain' | 'end') {}
    get bufferedBytes(): number {
      if (this.where === 'bufferedBytes' && this.writes > 0) throw new Error('sink broke');
      return 0;
    }
    write(): boolean {
      if (this.where === 'write' && this.writes > 0) throw new Error('sink broke');
      this.writes++;
      return this.where !== 'onDrain' || this.writes === 1; // full after the opening: the stream waits for drain
    }
    onDrain() {
      if (this.where === 'onDrain') throw new Error('sink broke');
      return () => {};
    }
    onClose(listener: () => void) {
      this.closeListeners.push(listener);
    }
    end() {
      if (this.where === 'end') throw new Error('sink broke');
      this.abort();
    }
    abort() {
      this.closed = true;
      for (const listener of this.closeListeners.splice(0)) listener();
    }
  }
  const request = {
    url: 'http://x/',
    method: 'GET',
    header: (name: string) => (name === 'accept' ? 'text/event-stream' : undefined),
    raw: null,
  };

  it.each(['write', 'bufferedBytes', 'onDrain'] as const)(
    'throwing from %s drops that stream only: the others get every event once, in order',
    async (where) => {
      const reports: unknown[] = [];
      const disconnects: string[] = [];
      let broker!: Broker;
      const started = await start({
        heartbeatInterval: 0,
        onError: (error, context) => reports.push([(error as Error).message, context.phase, context.connection?.id]),
        onDisconnect: (_connection, reason) => {
          disconnects.push(reason);
          // A hook that publishes: it must not run inside the fan-out that found the broken sink.
          if (reason === 'error') void broker.broadcast({ data: 'bye' });
        },
      });
      broker = started.broker;
      const before = await openSse(started.served.url);
      const sink = new ThrowingSink(where);
      const broken = await broker.stream(request, {}, () => sink);
      const after = await openSse(started.served.url);
      await waitFor(() => broker.stats().connections === 3, 'three streams');

      await broker.broadcast({ data: 'e1' }); // paced: written during the fan-out
      await new Promise((resolve) => setTimeout(resolve, 10));
      await Promise.all([broker.broadcast({ data: 'e2' }), broker.broadcast({ data: 'e3' })]); // a burst: queued

      const expected = ['e1', 'bye', 'e2', 'e3'];
      for (const reader of [before, after]) await reader.waitForEvents(expected.length);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(before.events.map((e) => e.data)).toEqual(expected);
      expect(after.events.map((e) => e.data)).toEqual(expected);
      expect(reports).toEqual([['sink broke', 'write', broken.id]]);
      expect(disconnects).toEqual(['error']);
      expect(broken.closed).toBe(true);
      expect(sink.closed).toBe(true);
      expect(broker.stats().connections).toBe(2);
      before.close();
      after.close();
    },
  );

  it('throwing from end() is reported and the sink dropped; the shutdown still ends every other stream', async () => {
    const reports: unknown[] = [];
    const { broker, served } = await start({
      heartbeatInterval: 0,
      onError: (error, context) => reports.push([(error as Error).message, context.phase]),
    });
    const before = await openSse(served.url);
    const sink = new ThrowingSink('end');
    await broker.stream(request, {}, () => sink);
    const after = await openSse(served.url);
    await waitFor(() => broker.stats().connections === 3, 'three streams');
    await broker.broadcast({ data: 'last' });
    await broker.close();
    await Promise.all([before.done, after.done]);
    expect(before.events.map((e) => e.data)).toEqual(['last']);
    expect(after.events.map((e) => e.data)).toEqual(['last']);
    expect(reports).toEqual([['sink broke', 'write']]);
    expect(sink.closed).toBe(true);
  });

  it('a sink that throws while close() waits for a replay to be written is reported and dropped at once', async () => {
    const reports: unknown[] = [];
    const reasons: string[] = [];
    const broker = createBroker({
      heartbeatInterval: 0,
      closeTimeout: 5_000,
      onError: (error, context) => reports.push([(error as Error).message, context.phase]),
      onDisconnect: (_c, reason) => reasons.push(reason),
    });
    const first = await broker.broadcast({ data: 'h1' });
    await broker.broadcast({ data: 'h2' });
    await broker.broadcast({ data: 'h3' });
    // The opening and the replayed events fill it; the next write (the live event queued behind
    // the replay) throws.
    const sink = new ReplaySink('write', 2, 2);
    const stream = await broker.stream(sseRequest(first), {}, () => sink);
    await waitFor(() => sink.drains.length === 1, 'the replay waits for drain');
    await broker.broadcast({ data: 'live' });
    stream.close(); // graceful: what was queued goes first
    for (const drain of sink.drains.splice(0)) drain(); // the socket drains; the next write throws
    // Without the fix the close waited for closeTimeout (5 s) and nothing was reported.
    await waitFor(() => sink.closed, 'the sink dropped', 1_000);
    expect(reports).toEqual([['sink broke', 'write']]);
    expect(reasons).toEqual(['server']);
    expect(sink.written.map((text) => text.includes('h2') && !text.includes('live'))).toEqual([false, true]);
    await broker.close();
  });

  it('a sink whose onDrain throws during a replay is dropped, and the stream released', async () => {
    const reports: unknown[] = [];
    const broker = createBroker({
      heartbeatInterval: 0,
      onError: (error, context) => reports.push([(error as Error).message, context.phase]),
    });
    const first = await broker.broadcast({ data: 'h1' });
    await broker.broadcast({ data: 'h2' });
    const sink = new ReplaySink('onDrain', 2);
    const stream = await broker.stream(sseRequest(first), {}, () => sink);
    await waitFor(() => stream.closed && broker.stats().connections === 0, 'released');
    expect(stream.closeReason).toBe('error');
    expect(reports).toEqual([['sink broke', 'write']]);
    expect(sink.closed).toBe(true);
    await broker.close();
  });

  it('broker.close() resolves even for a sink that can neither end nor abort', async () => {
    const reports: unknown[] = [];
    const broker = createBroker({
      heartbeatInterval: 0,
      closeTimeout: 100,
      onError: (error, context) => reports.push([(error as Error).message, context.phase]),
    });
    await broker.stream(request, {}, () => new ReplaySink('end and abort'));
    const started = Date.now();
    await broker.close(); // hung for ever without the bound
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(reports).toEqual([['sink broke', 'write']]);
  });
});

/** A sink for the replay and shutdown paths: full from write `fullAt` on, throws where told from write `failAt` on. */
class ReplaySink implements Sink {
  closed = false;
  readonly written: string[] = [];
  readonly drains: Array<() => void> = [];
  private readonly closeListeners: Array<() => void> = [];
  constructor(
    private readonly where: 'write' | 'onDrain' | 'end and abort',
    private readonly fullAt = Number.POSITIVE_INFINITY,
    private readonly failAt = 1,
  ) {}
  get bufferedBytes(): number {
    return 0;
  }
  write(chunk: Uint8Array): boolean {
    if (this.where === 'write' && this.written.length >= this.failAt) throw new Error('sink broke');
    this.written.push(new TextDecoder().decode(chunk));
    return this.written.length < this.fullAt;
  }
  onDrain(listener: () => void) {
    if (this.where === 'onDrain') throw new Error('sink broke');
    this.drains.push(listener);
    return () => {};
  }
  onClose(listener: () => void) {
    if (this.closed) queueMicrotask(listener);
    else this.closeListeners.push(listener);
  }
  end() {
    if (this.where === 'end and abort') throw new Error('sink broke');
    this.abort();
  }
  abort() {
    if (this.where === 'end and abort') throw new Error('sink broke again');
    this.closed = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}

/** A stream request that accepts events, from a client that last saw `lastEventId` (when given). */
const sseRequest = (lastEventId?: string) => ({
  url: 'http://x/',
  method: 'GET',
  header: (name: string) => (name === 'accept' ? 'text/event-stream' : name === 'last-event-id' ? lastEventId : undefined),
  raw: null,
});

describe('a publish from inside a fan-out (a close hook, a presence notice)', () => {
  it('is delivered after the event being fanned out, to every stream, in publish order', async () => {
    let broker!: Broker;
    const started = await start({
      heartbeatInterval: 0,
      maxBufferedBytes: 200,
      // Runs inside the fan-out below: the replaying stream is dropped as slow while E is handed out.
      onDisconnect: (_c, reason) => {
        if (reason === 'slow') void broker.broadcast({ data: 'bye' });
      },
    });
    broker = started.broker;
    const first = await broker.broadcast({ data: 'h1' });
    await broker.broadcast({ data: 'h2' });
    const before = await openSse(started.served.url);
    // Replaying from h1, full after its first replay write: live events queue behind it, past the cap.
    const sink = new ReplaySink('write', 2, Number.POSITIVE_INFINITY);
    await broker.stream(sseRequest(first), {}, () => sink);
    const after = await openSse(started.served.url);
    await waitFor(() => sink.drains.length === 1 && broker.stats().connections === 3, 'the replay waits for drain');
    await broker.broadcast({ data: `E${'x'.repeat(300)}` });
    for (const reader of [before, after]) await reader.waitForEvents(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const seen = (reader: typeof before) => reader.events.map((event) => event.data.slice(0, 3));
    expect(broker.stats().slowClientCloses).toBe(1);
    expect(seen(before)).toEqual(['Exx', 'bye']);
    expect(seen(after)).toEqual(['Exx', 'bye']); // was ['bye', 'Exx']: the hook's event overtook E
    const ids = (reader: typeof before) => reader.events.map((event) => event.id);
    expect(ids(after)).toEqual(ids(before));
    before.close();
    after.close();
  });
});
