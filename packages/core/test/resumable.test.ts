import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openSse, type SseReader, settlesWithin, waitFor } from '@ssekit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Broker,
  type BrokerOptions,
  createBroker,
  DONE_EVENT,
  FAILED_EVENT,
  GAP_EVENT,
  refusalResponse,
  STREAM_ID_HEADER,
  type StreamOptions,
} from '../src/index.js';
import { createNodeSink, toStreamRequest } from '../src/node/index.js';

/** Tokens `t1`…`tN`, one per macrotask (so a reader can drop between any two), returning `N`. */
async function* tokens(count: number, log?: { returned: boolean }) {
  try {
    for (let i = 1; i <= count; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      yield `t${i}`;
    }
    return count;
  } finally {
    if (log) log.returned = true;
  }
}

interface App {
  broker: Broker;
  url: string;
  log: { returned: boolean };
  close(): Promise<void>;
}

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/**
 * `POST /answers?n=N[&fail=K]` starts a resumable answer of N tokens (failing after K);
 * `GET /answers/:id` resumes one; `DELETE /answers/:id` stops one. The `x-user` header is the
 * client key.
 */
async function start(options: BrokerOptions = {}, resumable: StreamOptions['resumable'] = true): Promise<App> {
  const broker = createBroker({ heartbeatInterval: 0, clientId: (_p, request) => request.header('x-user'), ...options });
  const log = { returned: false };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const id = url.pathname.split('/')[2];
    try {
      if (req.method === 'DELETE' && id) {
        const stopped = await broker.stopStream(id, req.headers['x-user'] as string | undefined);
        res.writeHead(stopped ? 204 : 404).end();
        return;
      }
      const open = (headers?: Readonly<Record<string, string>>) => createNodeSink(res, { headers });
      if (req.method === 'POST') {
        const n = Number(url.searchParams.get('n') ?? 10);
        const fail = url.searchParams.get('fail');
        const source = fail === null ? tokens(n, log) : failing(Number(fail));
        await broker.stream(toStreamRequest(req), { resumable }, open, source);
      } else {
        await broker.stream(toStreamRequest(req), { resume: id ?? '' }, open);
      }
    } catch (error) {
      const refusal = refusalResponse(error);
      res.writeHead(refusal?.status ?? 500, refusal?.headers).end(refusal?.body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/answers`;
  app = {
    broker,
    url,
    log,
    close: async () => {
      await broker.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return app;
}

async function* failing(after: number) {
  for (let i = 1; i <= after; i++) yield `t${i}`;
  throw new Error('model exploded: secret details');
}

const post = (url: string, user = 'ada') => openSse(url, { method: 'POST', headers: { 'x-user': user } });
const resume = (base: string, id: string, lastEventId?: string, user = 'ada') =>
  openSse(`${base}/${id}`, { headers: { 'x-user': user, ...(lastEventId !== undefined && { 'last-event-id': lastEventId }) } });
const tokensOf = (reader: SseReader) => reader.events.filter((e) => e.event === 'message').map((e) => e.data);
const expected = (n: number) => Array.from({ length: n }, (_, i) => `t${i + 1}`);

describe('resumable streams: start by POST, resume by GET', () => {
  it('the POST streams every token with ids 1…N, then ssekit:done with the return value, then ends', async () => {
    const { url } = await start();
    const reader = await post(`${url}?n=5`);
    expect(reader.status).toBe(200);
    const id = reader.headers[STREAM_ID_HEADER] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await reader.done;
    expect(tokensOf(reader)).toEqual(expected(5));
    expect(reader.events.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6']);
    const done = reader.events.at(-1);
    expect(done?.event).toBe(DONE_EVENT);
    expect(JSON.parse(done?.data ?? '')).toEqual({ reason: 'complete', value: 5 });
  });

  it('a reader dropped at any token resumes with Last-Event-ID: every token exactly once, in order', async () => {
    const { url } = await start();
    for (let run = 0; run < 12; run++) {
      const n = 30;
      const dropAt = 1 + ((run * 7) % (n - 1));
      const first = await post(`${url}?n=${n}`);
      const id = first.headers[STREAM_ID_HEADER] as string;
      await first.waitForEvents(dropAt);
      first.close();
      const seen = tokensOf(first);
      const last = first.events.at(-1)?.id as string;
      const second = await resume(url, id, last);
      await second.done;
      expect([...seen, ...tokensOf(second)]).toEqual(expected(n));
      expect(second.events.at(-1)?.event).toBe(DONE_EVENT);
    }
  });

  it('a resume after the producer finished replays it all, then ends', async () => {
    const { url } = await start();
    const first = await post(`${url}?n=8`);
    const id = first.headers[STREAM_ID_HEADER] as string;
    await first.done;
    const again = await resume(url, id);
    await again.done;
    expect(tokensOf(again)).toEqual(expected(8));
    const tail = await resume(url, id, '6');
    await tail.done;
    expect(tokensOf(tail)).toEqual(['t7', 't8']);
    expect(tail.events.map((e) => e.event)).toEqual(['message', 'message', DONE_EVENT]);
  });

  it('an id that is not the stream’s gets a gap notice, then the stream from the start', async () => {
    const { url } = await start();
    const first = await post(`${url}?n=3`);
    const id = first.headers[STREAM_ID_HEADER] as string;
    await first.done;
    const odd = await resume(url, id, 'not-a-number');
    await odd.done;
    expect(odd.events[0]?.event).toBe(GAP_EVENT);
    expect(tokensOf(odd)).toEqual(expected(3));
  });

  it('after its TTL a stream is gone: 404, not a hang', async () => {
    const { url } = await start({}, { ttl: 50 });
    const first = await post(`${url}?n=2`);
    const id = first.headers[STREAM_ID_HEADER] as string;
    await first.done;
    let status = 200;
    for (let i = 0; i < 100 && status !== 404; i++) {
      const reader = await resume(url, id);
      status = reader.status;
      reader.close();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(404);
    const unknown = await resume(url, 'no-such-stream');
    expect(unknown.status).toBe(404);
  });

  it('another client cannot attach to or stop someone’s stream (404), its owner can', async () => {
    const { url } = await start();
    const first = await post(`${url}?n=1000`);
    const id = first.headers[STREAM_ID_HEADER] as string;
    await first.waitForEvents(1);
    const intruder = await resume(url, id, undefined, 'eve');
    expect(intruder.status).toBe(404);
    expect(intruder.text()).not.toContain('t1');
    const eveStop = await fetch(`${url}/${id}`, { method: 'DELETE', headers: { 'x-user': 'eve' } });
    expect(eveStop.status).toBe(404);
    const stop = await fetch(`${url}/${id}`, { method: 'DELETE', headers: { 'x-user': 'ada' } });
    expect(stop.status).toBe(204);
    await first.done;
    const done = first.events.at(-1);
    expect(done?.event).toBe(DONE_EVENT);
    expect(JSON.parse(done?.data ?? '')).toEqual({ reason: 'stopped' });
    expect(tokensOf(first).length).toBeLessThan(1000);
  });

  it('stop reaches the producer: its generator is returned (finally runs), readers end', async () => {
    const { url, log } = await start();
    const first = await post(`${url}?n=100000`);
    const id = first.headers[STREAM_ID_HEADER] as string;
    await first.waitForEvents(3);
    const other = await resume(url, id, '2');
    await other.waitForEvents(1);
    await fetch(`${url}/${id}`, { method: 'DELETE', headers: { 'x-user': 'ada' } });
    await Promise.all([first.done, other.done]);
    await waitFor(() => log.returned, 'the generator was returned');
    expect(first.events.at(-1)?.event).toBe(DONE_EVENT);
    expect(other.events.at(-1)?.event).toBe(DONE_EVENT);
    // Both saw the same tokens after id 2.
    expect(tokensOf(other)).toEqual(tokensOf(first).slice(2));
  });

  it('a source that throws ends every reader with ssekit:error, nothing of the error on the wire, reported once', async () => {
    const reported: unknown[] = [];
    const { url } = await start({ onError: (error, context) => reported.push([context.phase, context.streamId, error]) });
    const reader = await post(`${url}?fail=3`);
    await reader.done;
    expect(tokensOf(reader)).toEqual(expected(3));
    expect(reader.events.at(-1)).toMatchObject({ event: FAILED_EVENT, data: '{"reason":"source-failed"}' });
    expect(reader.text()).not.toContain('secret');
    expect(reported).toHaveLength(1);
    expect((reported[0] as unknown[])[0]).toBe('produce');
    expect((reported[0] as unknown[])[1]).toBe(reader.headers[STREAM_ID_HEADER]);
  });

  it('caps: past maxEvents the producer stops and readers get ssekit:error (limit)', async () => {
    const { url, log } = await start({ resumable: { maxEvents: 4 } });
    const reader = await post(`${url}?n=50`);
    await reader.done;
    expect(tokensOf(reader)).toEqual(expected(4));
    expect(reader.events.at(-1)).toMatchObject({ event: FAILED_EVENT, data: '{"reason":"limit"}' });
    await waitFor(() => log.returned, 'the generator was returned');
  });

  it('caps: past maxBytes the same', async () => {
    const { url } = await start({ resumable: { maxBytes: 60 } });
    const reader = await post(`${url}?n=50`);
    await reader.done;
    expect(tokensOf(reader).length).toBeGreaterThan(0);
    expect(tokensOf(reader).length).toBeLessThan(10);
    expect(reader.events.at(-1)).toMatchObject({ event: FAILED_EVENT, data: '{"reason":"limit"}' });
  });

  it('one client may run at most maxPerClient producers at once: 429 past it', async () => {
    const { url } = await start({ resumable: { maxPerClient: 2 } });
    const a = await post(`${url}?n=100000`);
    const b = await post(`${url}?n=100000`);
    const c = await post(`${url}?n=3`);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 429]);
    expect(c.headers['retry-after']).toBe('5');
    const other = await post(`${url}?n=3`, 'bob');
    expect(other.status).toBe(200);
    await other.done;
  });

  it('maxDuration ends a reader cleanly; the resume continues without a token missing or repeated', async () => {
    const { url } = await start({ maxDuration: 30 });
    const first = await post(`${url}?n=400`);
    const id = first.headers[STREAM_ID_HEADER] as string;
    const seen: string[] = [];
    let reader = first;
    for (let hops = 0; hops < 200; hops++) {
      await reader.done;
      seen.push(...tokensOf(reader));
      if (reader.events.at(-1)?.event === DONE_EVENT) break;
      reader = await resume(url, id, reader.events.at(-1)?.id ?? String(seen.length));
    }
    expect(seen).toEqual(expected(400));
  });

  it('whenAbandoned: stop ends a producer nobody reads; a later reader gets what was made and done (abandoned)', async () => {
    const { url, log } = await start({}, { whenAbandoned: 'stop', abandonTimeout: 40 });
    const first = await post(`${url}?n=1000000`);
    const id = first.headers[STREAM_ID_HEADER] as string;
    await first.waitForEvents(2);
    first.close();
    await waitFor(() => log.returned, 'the abandoned producer stopped', 5_000);
    const later = await resume(url, id);
    await later.done;
    const done = later.events.at(-1);
    expect(done?.event).toBe(DONE_EVENT);
    expect(JSON.parse(done?.data ?? '')).toEqual({ reason: 'abandoned' });
  });

  it('a reader that does not read holds at most about a batch and its socket buffer, not the stream', async () => {
    const big = 'x'.repeat(4096);
    const broker = createBroker({ heartbeatInterval: 0, maxBufferedBytes: 256 * 1024 });
    const stream = await broker.createStream(
      (function* () {
        for (let i = 0; i < 6000; i++) yield big; // ~24 MB
      })(),
      { maxBytes: 64 * 1024 * 1024 },
    );
    await stream.finished;
    const server = http.createServer((req, res) => {
      void broker.stream(toStreamRequest(req), { resume: stream.id }, (headers) => createNodeSink(res, { headers }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const reader = await openSse(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    reader.response.pause();
    await waitFor(() => broker.stats().bytes > 0, 'writing started');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const written = broker.stats().bytes;
    // Paced by drain: what the kernel's loopback buffers take (a few MB here), not 24 MB at once.
    expect(written).toBeLessThan(12 * 1024 * 1024);
    expect(broker.stats().slowClientCloses).toBe(0);
    reader.response.resume();
    await reader.done;
    expect(reader.events.filter((e) => e.data === big)).toHaveLength(6000);
    await broker.close();
    server.closeAllConnections();
    server.close();
  });

  it('broker.createStream: detached producer, finished resolves with the outcome; HEAD starts nothing', async () => {
    const { broker, url } = await start();
    const answer = await broker.createStream(tokens(3));
    await expect(answer.finished).resolves.toEqual({ reason: 'complete', value: 3 });
    expect(answer.signal.aborted).toBe(true);
    const head = await fetch(`${url}?n=3`, { method: 'HEAD', headers: { 'x-user': 'ada', accept: 'text/event-stream' } });
    expect(head.status).toBe(200);
    expect(head.headers.get(STREAM_ID_HEADER)).toBeNull();
  });

  it("a stop does not wait for the source's next item (a model still thinking): the stream ends at once", async () => {
    const broker = createBroker({ heartbeatInterval: 0 });
    const thinking = new Promise<never>(() => {});
    let asked = false;
    async function* slowModel() {
      yield 't1';
      asked = true; // the producer stored t1 and asks for the next token
      await thinking; // which never comes
    }
    const answer = await broker.createStream(slowModel());
    await waitFor(() => asked, 'the producer waiting on the model');
    answer.stop();
    expect(await settlesWithin(answer.finished, 2_000)).toBe(true);
    await expect(answer.finished).resolves.toEqual({ reason: 'stopped' });
    expect(answer.signal.aborted).toBe(true);
    await broker.close();
  });
});
