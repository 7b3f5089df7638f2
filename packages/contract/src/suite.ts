import type { Socket } from 'node:net';
import { dechunk, openRaw, openSse, type SseReader, waitFor } from '@ssekit/test-utils';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CORS_ORIGIN,
  type ContractHarness,
  type ContractLog,
  type ContractOptions,
  type ContractServer,
  PIPE_FAILURE_MESSAGE,
  PIPED_TOKENS,
} from './app.js';

const GAP_EVENT = 'ssekit:gap';
const STREAM_HEADERS = 'Host: localhost\r\nAccept: text/event-stream\r\n\r\n';

/**
 * Registers the contract suite for one adapter. Every adapter's test file calls it with a harness
 * that starts that framework's contract app; identical behaviour is the point.
 */
export function runContractSuite(harness: ContractHarness): void {
  describe(`${harness.name}: SSE contract`, () => {
    let server: ContractServer | undefined;
    const readers: SseReader[] = [];
    const sockets: Socket[] = [];
    const start = async (options: ContractOptions = {}) => {
      server = await harness.start(options);
      return server;
    };
    const open = async (server: ContractServer, query = '', headers: Record<string, string> = {}) => {
      const reader = await openSse(`${server.url}/events${query}`, { headers });
      readers.push(reader);
      return reader;
    };
    const openPipelined = async (server: ContractServer, requests: string) => {
      const raw = await openRaw(server.port, requests);
      sockets.push(raw.socket);
      return raw;
    };
    const expectConnections = async (server: ContractServer, count: number, timeout = 5_000) => {
      const deadline = Date.now() + timeout;
      let seen = -1;
      while (Date.now() < deadline) {
        seen = (await server.stats()).connections;
        if (seen === count) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`expected ${count} open streams, server reports ${seen}`);
    };

    const expectLog = async (server: ContractServer, done: (log: ContractLog) => boolean, timeout = 5_000) => {
      const deadline = Date.now() + timeout;
      let log = await server.log();
      while (!done(log)) {
        if (Date.now() > deadline) throw new Error(`the server's log never got there: ${JSON.stringify(log)}`);
        await new Promise((r) => setTimeout(r, 10));
        log = await server.log();
      }
      return log;
    };

    afterEach(async () => {
      for (const reader of readers.splice(0)) reader.close();
      for (const socket of sockets.splice(0)) socket.destroy();
      await server?.shutdown();
      server = undefined;
    });

    it('answers 200 with the SSE headers, flushed before the first event', async () => {
      const s = await start();
      const reader = await open(s);
      expect(reader.status).toBe(200);
      expect(reader.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(reader.headers['cache-control']).toBe('no-cache, no-transform');
      expect(reader.headers['x-accel-buffering']).toBe('no');
      expect(reader.headers['content-length']).toBeUndefined();
      expect(reader.events).toEqual([]);
    });

    it('writes events exactly as sent: opening comment, retry, multi-line, unicode, empty data, ids', async () => {
      const s = await start();
      const raw = await openRaw(s.port, 'GET /events?retry=1234 HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n');
      await raw.until((t) => t.includes('\r\n\r\n'));
      await expectConnections(s, 1);
      await s.broadcast({ id: 'a1', event: 'multi', data: 'one\ntwo\r\nthree\rfour' });
      await s.broadcast({ id: 0, data: 'héllo ✓ 😀' });
      await s.broadcast({ id: 'e', event: 'empty', data: '' });
      await s.broadcast({ id: 'j', data: { nested: [1, 'x'] } });
      const text = await raw.until((t) => t.includes('nested'));
      const body = Buffer.from(dechunk(text.slice(text.indexOf('\r\n\r\n') + 4)), 'latin1').toString('utf8');
      expect(body).toBe(
        ':\nretry: 1234\n\n' +
          'id: a1\nevent: multi\ndata: one\ndata: two\ndata: three\ndata: four\n\n' +
          'id: 0\ndata: héllo ✓ 😀\n\n' +
          'id: e\nevent: empty\ndata: \n\n' +
          'id: j\ndata: {"nested":[1,"x"]}\n\n',
      );
      raw.socket.destroy();
    });

    it('routes topics and broadcasts, and sends to every session of one client', async () => {
      const s = await start();
      const news = await open(s, '?topic=news&client=ada');
      const adaTab2 = await open(s, '?client=ada');
      const sport = await open(s, '?topic=sport&client=bob');
      await expectConnections(s, 3);
      await s.publish('news', { event: 'news', data: 'n1' });
      await s.publish(['news', 'sport'], { event: 'both', data: 'b1' });
      await s.send('ada', { event: 'dm', data: 'for ada' });
      await s.broadcast({ event: 'all', data: 'everyone' });
      await news.waitForEvents(4);
      await adaTab2.waitForEvents(2);
      await sport.waitForEvents(2);
      await new Promise((r) => setTimeout(r, 30));
      expect(news.events.map((e) => e.event)).toEqual(['news', 'both', 'dm', 'all']);
      expect(adaTab2.events.map((e) => e.event)).toEqual(['dm', 'all']);
      expect(sport.events.map((e) => e.event)).toEqual(['both', 'all']);
    });

    it('replays exactly the missed events after Last-Event-ID, then live ones', async () => {
      const s = await start();
      const first = await open(s, '?topic=t');
      await expectConnections(s, 1);
      for (let n = 1; n <= 3; n++) await s.publish('t', { data: `e${n}` });
      const seen = await first.waitForEvents(3);
      first.close();
      await expectConnections(s, 0);
      for (let n = 4; n <= 6; n++) await s.publish('t', { data: `e${n}` });
      const again = await open(s, '?topic=t', { 'last-event-id': seen[2]?.id ?? '' });
      await again.waitForEvents(3);
      await s.publish('t', { data: 'e7' });
      await again.waitForEvents(4);
      expect(again.events.map((e) => e.data)).toEqual(['e4', 'e5', 'e6', 'e7']);
    });

    it('replays a history many times the byte cap to a client that reads, paced by its socket', async () => {
      const s = await start({ maxBufferedBytes: 64 * 1024 });
      const first = await s.broadcast({ data: 'first' });
      const payload = (n: number) => `${n}:`.padEnd(32 * 1024, 'r');
      for (let n = 0; n < 40; n++) await s.broadcast({ data: payload(n) }); // 1.25 MiB, 20x the cap
      const reader = await open(s, '', { 'last-event-id': first });
      await reader.waitForEvents(40, 20_000);
      await s.broadcast({ data: 'live' });
      await reader.waitForEvents(41);
      expect(reader.events.map((e) => e.data)).toEqual([...Array.from({ length: 40 }, (_, n) => payload(n)), 'live']);
      expect((await s.stats()).slowClientCloses).toBe(0);
    });

    it('signals a Last-Event-ID the history cannot serve', async () => {
      const s = await start();
      const reader = await open(s, '', { 'last-event-id': 'not-an-id-we-issued' });
      const [gap] = await reader.waitForEvents(1);
      expect(gap?.event).toBe(GAP_EVENT);
      expect(JSON.parse(gap?.data ?? '{}')).toMatchObject({ reason: 'unknown' });
    });

    it('cleans up promptly when a client disconnects', async () => {
      const s = await start();
      const readers = await Promise.all([open(s, '?topic=x'), open(s, '?topic=x'), open(s)]);
      await expectConnections(s, 3);
      for (const r of readers) r.close();
      await expectConnections(s, 0, 2_000);
      await s.publish('x', { data: 'nobody listens' });
      expect((await s.stats()).delivered).toBe(0);
    });

    it('closes a client that stops reading at the byte cap while the others keep receiving', async () => {
      const s = await start({ maxBufferedBytes: 64 * 1024 });
      const fast = await open(s);
      const stalled = await openRaw(s.port, 'GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n');
      await stalled.until((t) => t.includes('\r\n\r\n'));
      stalled.socket.pause();
      await expectConnections(s, 2);
      const payload = 'x'.repeat(32 * 1024);
      let n = 0;
      while ((await s.stats()).slowClientCloses === 0) {
        if (++n > 2_000) throw new Error('the stalled client was never closed');
        await s.broadcast({ data: payload });
        await fast.waitForEvents(n, 10_000);
      }
      await s.broadcast({ data: 'after' });
      const events = await fast.waitForEvents(n + 1);
      expect(events.at(-1)?.data).toBe('after');
      expect((await s.stats()).connections).toBe(1);
      stalled.socket.destroy();
    }, 60_000);

    it('answers authorize rejections with 401 and 403 before streaming', async () => {
      const s = await start({ auth: true });
      const anonymous = await open(s);
      const forbidden = await open(s, '', { authorization: 'Bearer forbidden' });
      const allowed = await open(s, '', { authorization: 'Bearer ada' });
      expect(anonymous.status).toBe(401);
      expect(forbidden.status).toBe(403);
      expect(allowed.status).toBe(200);
      expect(anonymous.headers['content-type']).not.toContain('text/event-stream');
      await s.send('ada', { data: 'by principal id' });
      expect((await allowed.waitForEvents(1))[0]?.data).toBe('by principal id');
    });

    it('answers connection limits with 429 and 503 and Retry-After', async () => {
      const s = await start({ maxConnections: 2, maxConnectionsPerClient: 1, retryAfter: 9 });
      await open(s, '?client=ada');
      await expectConnections(s, 1);
      const perClient = await open(s, '?client=ada');
      expect(perClient.status).toBe(429);
      expect(perClient.headers['retry-after']).toBe('9');
      await open(s, '?client=bob');
      await expectConnections(s, 2);
      const total = await open(s, '?client=cy');
      expect(total.status).toBe(503);
      expect(total.headers['retry-after']).toBe('9');
    });

    it('shuts down gracefully: every stream ends and the server closes', async () => {
      const s = await start();
      const readers = await Promise.all([open(s), open(s, '?topic=a'), open(s, '?client=z')]);
      await expectConnections(s, 3);
      const shutdown = s.shutdown();
      server = undefined;
      await shutdown;
      await Promise.all(readers.map((r) => r.done));
      expect(readers.every((r) => r.ended())).toBe(true);
    });

    it('delivers what was sent in the same tick as close(), in order, then ends the stream', async () => {
      const s = await start();
      const one = await open(s, '?then=send-close');
      await one.done;
      expect(one.events.map((e) => e.data)).toEqual(['only']);
      const two = await open(s, '?then=send-send-close');
      await two.done;
      expect(two.events.map((e) => e.data)).toEqual(['a', 'b']);
      await expectConnections(s, 0);
    });

    it('delivers every piped token, then the done event, then ends (the LLM pattern)', async () => {
      const s = await start();
      const reader = await open(s, '?then=pipe-done');
      await reader.done;
      expect(reader.events.map((e) => [e.event, e.data])).toEqual([
        ...PIPED_TOKENS.map((token) => ['message', token]),
        ['done', String(PIPED_TOKENS.length)],
      ]);
      await expectConnections(s, 0);
    });

    it('answers 406 to a client that refuses text/event-stream, and opens nothing', async () => {
      const s = await start();
      for (const accept of ['application/json', 'text/html, application/json;q=0.9', 'text/event-stream;q=0']) {
        const refused = await open(s, '', { accept });
        expect(refused.status).toBe(406);
        expect(refused.headers['content-type'] ?? '').not.toContain('text/event-stream');
      }
      expect((await s.stats()).connections).toBe(0);
      const anything = await open(s, '', { accept: 'application/json, */*;q=0.1' });
      expect(anything.status).toBe(200);
      await expectConnections(s, 1);
    });

    it('reports a piped source that throws once, through the broker onError: the client gets the error event (no secret), then the end', async () => {
      const s = await start();
      const reader = await open(s, '?then=pipe-throws');
      await reader.done;
      expect(reader.events.map((e) => [e.event, e.data])).toEqual([
        ['message', PIPED_TOKENS[0]],
        ['ssekit:error', '{"reason":"source-failed"}'],
      ]);
      expect(reader.text()).not.toContain('hunter2');
      await expectLog(s, (log) => log.errors.length > 0);
      await new Promise((r) => setTimeout(r, 50)); // a second report would come in now
      expect((await s.log()).errors).toEqual([{ phase: 'pipe', message: PIPE_FAILURE_MESSAGE }]);
      await expectConnections(s, 0);
    });

    for (const source of ['generator', 'readable']) {
      it(`streams a ${source === 'generator' ? 'generator' : 'ReadableStream'} handed to sse(source): every item, then the end`, async () => {
        const s = await start();
        const reader = await open(s, `?source=${source}`);
        await reader.done;
        expect(reader.events.map((e) => e.data)).toEqual(PIPED_TOKENS);
        await expectConnections(s, 0);
        expect((await s.log()).errors).toEqual([]);
      });
    }

    it('calls the return() of a generator handed to sse(source) when the client leaves', async () => {
      const s = await start();
      const reader = await open(s, '?source=forever');
      await reader.waitForEvents(2);
      reader.close();
      await expectLog(s, (log) => log.returned === 1);
      await expectConnections(s, 0);
    });

    it('delivers a broadcast made right before a graceful shutdown, then ends every stream', async () => {
      const s = await start();
      const readers = await Promise.all([open(s), open(s, '?topic=a')]);
      await expectConnections(s, 2);
      const shutdown = s.shutdownAfterBroadcast({ event: 'bye', data: 'last' });
      server = undefined;
      await shutdown;
      await Promise.all(readers.map((r) => r.done));
      for (const reader of readers) expect(reader.events.map((e) => [e.event, e.data])).toEqual([['bye', 'last']]);
    });

    it('answers HEAD with the SSE head and no body at once, and opens no stream', async () => {
      const s = await start();
      // A GET pipelined behind the HEAD is answered only once the HEAD response is complete.
      const raw = await openPipelined(s, `HEAD /events HTTP/1.1\r\n${STREAM_HEADERS}GET /events HTTP/1.1\r\n${STREAM_HEADERS}`);
      const text = await raw.until((t) => {
        const second = t.indexOf('HTTP/1.1 ', 1);
        return second !== -1 && t.includes('\r\n\r\n', second);
      }, 2_000);
      const headEnd = text.indexOf('\r\n\r\n') + 4;
      const head = text.slice(0, headEnd).toLowerCase();
      expect(head).toMatch(/^http\/1\.1 200/);
      expect(head).toContain('content-type: text/event-stream; charset=utf-8');
      expect(head).toContain('cache-control: no-cache, no-transform');
      expect(text.slice(headEnd)).toMatch(/^HTTP\/1\.1 200/);
      await expectConnections(s, 1);
      raw.socket.destroy();
      await expectConnections(s, 0);
    });

    it('releases a stream queued behind a pipelined one when the socket closes', async () => {
      const s = await start({ maxConnectionsPerClient: 4 });
      const request = `GET /events?client=ada HTTP/1.1\r\n${STREAM_HEADERS}`;
      // Four sockets, each with a second stream request queued behind the first: were the queued
      // streams kept after their sockets closed, they would fill ada's four slots.
      for (let n = 0; n < 4; n++) {
        const raw = await openPipelined(s, request + request);
        await raw.until((t) => t.includes('\r\n\r\n'));
        if (!harness.pipelinedRequestsWait) await expectConnections(s, 2);
        raw.socket.destroy();
        await expectConnections(s, 0);
      }
      const fifth = await open(s, '?client=ada');
      expect(fifth.status).toBe(200);
      await expectConnections(s, 1);
    });

    it('answers CORS preflight and adds CORS headers to the stream', async () => {
      const s = await start();
      const preflight = await fetch(`${s.url}/events`, {
        method: 'OPTIONS',
        headers: { origin: CORS_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'last-event-id' },
      });
      expect(preflight.status).toBeGreaterThanOrEqual(200);
      expect(preflight.status).toBeLessThan(300);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(CORS_ORIGIN);
      const stream = await open(s, '', { origin: CORS_ORIGIN });
      expect(stream.status).toBe(200);
      expect(stream.headers['access-control-allow-origin']).toBe(CORS_ORIGIN);
      const stranger = await open(s, '', { origin: 'http://evil.test' });
      expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    });

    describe('resumable streams', () => {
      const tokensOf = (reader: SseReader) => reader.events.filter((e) => e.event === 'message').map((e) => e.data);
      const expected = (n: number) => Array.from({ length: n }, (_, i) => `t${i + 1}`);
      const startAnswer = async (s: ContractServer, n: number) => {
        const reader = await openSse(`${s.url}/events?source=answer&n=${n}&resumable=1`, { method: 'POST' });
        readers.push(reader);
        return reader;
      };
      const resume = async (s: ContractServer, id: string, lastEventId?: string) => {
        const headers: Record<string, string> = lastEventId === undefined ? {} : { 'last-event-id': lastEventId };
        const reader = await openSse(`${s.url}/events?resume=${encodeURIComponent(id)}`, { headers });
        readers.push(reader);
        return reader;
      };

      it('a POST streams the answer with its id in ssekit-stream-id; a drop resumes by GET with every token once', async () => {
        const s = await start();
        const first = await startAnswer(s, 40);
        expect(first.status).toBe(200);
        const id = first.headers['ssekit-stream-id'] as string;
        expect(id).toBeTruthy();
        await first.waitForEvents(13);
        first.close();
        const seen = tokensOf(first);
        const rest = await resume(s, id, first.events.at(-1)?.id);
        await rest.done;
        expect([...seen, ...tokensOf(rest)]).toEqual(expected(40));
        const done = rest.events.at(-1);
        expect(done?.event).toBe('ssekit:done');
        expect(JSON.parse(done?.data ?? '')).toEqual({ reason: 'complete', value: 40 });
      });

      it('two answers POSTed pipelined on one socket: each whole, in order, and nothing held after the socket closes', async () => {
        const s = await start();
        const post = (n: number) =>
          `POST /events?source=answer&n=${n}&resumable=1 HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\nContent-Length: 0\r\n\r\n`;
        const raw = await openPipelined(s, post(5) + post(7));
        if (!harness.pipelinedRequestsWait) {
          const text = await raw.until((t) => t.split('event: ssekit:done').length === 3, 10_000);
          const [first, second] = text
            .split(/^HTTP\/1\.1 /m)
            .slice(1)
            .map((response) => {
              const headEnd = response.indexOf('\r\n\r\n');
              const body = dechunk(response.slice(headEnd + 4));
              return {
                status: response.slice(0, 3),
                id: /^ssekit-stream-id: (.+)$/im.exec(response.slice(0, headEnd))?.[1]?.trim(),
                tokens: [...body.matchAll(/^data: (t\d+)$/gm)].map((m) => m[1]),
                done: /^event: ssekit:done\n(?:id: .*\n)?data: (.*)$/m.exec(body)?.[1],
              };
            });
          expect(first).toMatchObject({ status: '200', tokens: expected(5) });
          expect(JSON.parse(first?.done ?? '')).toEqual({ reason: 'complete', value: 5 });
          expect(second).toMatchObject({ status: '200', tokens: expected(7) });
          expect(JSON.parse(second?.done ?? '')).toEqual({ reason: 'complete', value: 7 });
          expect(first?.id).toBeTruthy();
          expect(second?.id).not.toBe(first?.id);
        } else {
          // Bun stops the first response's body once a request is queued behind it (its tokens never
          // come; the client resumes by GET), and neither runtime reads the second request before
          // the first response ends: only the opening and the release are the same everywhere.
          await raw.until((t) => t.includes('\r\n\r\n'), 10_000);
        }
        raw.socket.destroy();
        await expectConnections(s, 0);
      });

      it('a socket closed mid-answer with another answer queued behind it releases both streams', async () => {
        const s = await start();
        const post = (n: number) =>
          `POST /events?source=answer&n=${n}&resumable=1 HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\nContent-Length: 0\r\n\r\n`;
        const raw = await openPipelined(s, post(2_000) + post(5));
        await raw.until((t) => (harness.pipelinedRequestsWait ? t.includes('\r\n\r\n') : /^data: t3$/m.test(t)), 10_000);
        raw.socket.destroy();
        await expectConnections(s, 0);
      });

      it('a resume after the answer finished replays it, then ends; an unknown id is a 404', async () => {
        const s = await start();
        const first = await startAnswer(s, 5);
        await first.done;
        const id = first.headers['ssekit-stream-id'] as string;
        const again = await resume(s, id);
        await again.done;
        expect(tokensOf(again)).toEqual(expected(5));
        const unknown = await resume(s, 'no-such-stream');
        expect(unknown.status).toBe(404);
      });
    });

    it('works with a spec-following EventSource that reconnects by itself with Last-Event-ID', async () => {
      const s = await start();
      const source = new EventSource(`${s.url}/events?retry=50&topic=t`);
      const got: string[] = [];
      source.onmessage = (event) => got.push(event.data);
      try {
        await waitFor(() => source.readyState === EventSource.OPEN, 'EventSource open');
        await expectConnections(s, 1);
        await s.publish('t', { data: 'e1' });
        await s.publish('t', { data: 'e2' });
        await waitFor(() => got.length === 2, 'two events');
        await s.disconnectAll();
        await s.publish('t', { data: 'e3' }); // published while the client is away
        await waitFor(() => got.length === 3, 'missed event replayed after the reconnect');
        await expectConnections(s, 1);
        await s.publish('t', { data: 'e4' });
        await waitFor(() => got.length === 4, 'live event after reconnect');
        expect(got).toEqual(['e1', 'e2', 'e3', 'e4']);
      } finally {
        source.close();
      }
    });
  });
}
