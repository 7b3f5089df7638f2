import { dechunk, openRaw, openSse, waitFor } from '@ssekit/test-utils';
import { describe, expect, it } from 'vitest';
import { type BrokerOptions, type Connection, SOURCE_ERROR_EVENT } from '../src/index.js';
import { servedBrokers } from './helpers/serve.js';

const serve = servedBrokers({ heartbeatInterval: 0 });
const start = (onStream: (connection: Connection) => void, options: BrokerOptions = {}) => serve(options, onStream);

describe('close delivers what was sent before it', () => {
  it('send then close in one tick: the event arrives, then the stream ends', async () => {
    const { served } = await start((c) => {
      c.send({ event: 'last', data: 'x' });
      c.close();
    });
    const reader = await openSse(served.url);
    await reader.done;
    expect(reader.events.map((e) => [e.event, e.data])).toEqual([['last', 'x']]);
  });

  it('several sends then close in one tick arrive in order', async () => {
    const { served } = await start((c) => {
      c.send({ data: 'a' });
      c.send({ data: 'b' });
      c.comment('between');
      c.send({ data: 'c' });
      c.close();
    });
    const reader = await openSse(served.url);
    await reader.done;
    expect(reader.events.map((e) => e.data)).toEqual(['a', 'b', 'c']);
  });

  it('pipe, then a done event, then close: every token and done arrive', async () => {
    async function* tokens() {
      for (const token of ['Hel', 'lo', ' wor', 'ld']) {
        await new Promise((resolve) => setImmediate(resolve));
        yield token;
      }
    }
    const { served } = await start((c) => {
      void (async () => {
        await c.pipe(tokens(), { map: (data) => ({ event: 'token', data }) });
        c.send({ event: 'done', data: { tokens: 4 } });
        c.close();
      })();
    });
    const reader = await openSse(served.url);
    await reader.done;
    expect(reader.events.map((e) => e.data)).toEqual(['Hel', 'lo', ' wor', 'ld', '{"tokens":4}']);
  });

  it('broadcast then broker.close(): the event is delivered before the streams end', async () => {
    const { broker, served } = await start(() => {});
    const readers = await Promise.all([openSse(served.url), openSse(served.url)]);
    await waitFor(() => broker.stats().connections === 2, 'streams open');
    void broker.broadcast({ event: 'bye', data: 'shutting down' });
    await broker.close();
    await Promise.all(readers.map((r) => r.done));
    for (const reader of readers) expect(reader.events.map((e) => e.event)).toEqual(['bye']);
  });

  it('a send after the stream ended returns false instead of throwing', async () => {
    const sent: boolean[] = [];
    const { served } = await start((c) => {
      c.close();
      sent.push(c.send({ data: 'late' }), c.comment('late'));
    });
    const reader = await openSse(served.url);
    await reader.done;
    expect(sent).toEqual([false, false]);
    expect(reader.events).toEqual([]);
  });

  it('an invalid event still throws its typed error, even on an ended stream', async () => {
    const errors: unknown[] = [];
    const { served } = await start((c) => {
      c.close();
      try {
        c.send({ event: 'bad\nname', data: 'x' });
      } catch (error) {
        errors.push(error);
      }
    });
    const reader = await openSse(served.url);
    await reader.done;
    expect(errors).toMatchObject([{ code: 'INVALID_EVENT_NAME' }]);
  });

  it('drops a closed stream whose client never reads what is left, after closeTimeout', async () => {
    const payload = 'x'.repeat(512 * 1024);
    const { broker, served } = await start(
      (c) => {
        for (let n = 0; n < 16; n++) c.send({ data: payload }); // 8 MiB in one tick: an empty socket takes it
        c.close();
      },
      { closeTimeout: 300 },
    );
    const stalled = await openRaw(served.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    stalled.socket.pause();
    await waitFor(() => broker.stats().connections === 0 && broker.stats().bytes > 8 * 1024 * 1024, 'stream closed');
    // The server drops the socket (its half: a paused client only sees it once it reads).
    const server = served.server;
    const sockets = () => new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count)));
    const deadline = Date.now() + 15_000; // hang guard
    while ((await sockets()) > 0) {
      if (Date.now() > deadline) throw new Error('the socket was never dropped');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    stalled.socket.destroy();
  });
});

describe('a piped source that throws', () => {
  it('tells the client with the source-error event, ends the stream, reports once through onError, and resolves pipe()', async () => {
    const failures: unknown[] = [];
    const phases: string[] = [];
    let settled: string | undefined;
    async function* failing() {
      yield 'first';
      throw new Error('upstream said: password=hunter2');
    }
    const onError: BrokerOptions['onError'] = (error, context) => {
      failures.push(error);
      phases.push(context.phase);
    };
    const { broker, served } = await start(
      (c) => {
        c.pipe(failing()).then(
          () => (settled = 'resolved'),
          () => (settled = 'rejected'),
        );
      },
      { onError },
    );
    const raw = await openRaw(served.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await raw.until((t) => t.endsWith('0\r\n\r\n'));
    raw.socket.destroy();
    const body = dechunk(raw.received().slice(raw.received().indexOf('\r\n\r\n') + 4));
    expect(body).toBe(`:\ndata: first\n\nevent: ${SOURCE_ERROR_EVENT}\ndata: {"reason":"source-failed"}\n\n`);
    expect(body).not.toContain('hunter2');
    await waitFor(() => failures.length === 1 && settled !== undefined, 'pipe() reported and settled');
    expect((failures[0] as Error).message).toContain('hunter2');
    expect(phases).toEqual(['pipe']);
    expect(settled).toBe('resolved');
    expect(broker.stats().connections).toBe(0);
  });

  it('sends the event onError returns, or none for null', async () => {
    const failing = (): AsyncIterable<string> => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('quota')) }),
    });
    const modes = ['custom', 'none'];
    const { served } = await start(
      (c) => {
        const mode = modes.shift();
        void c.pipe(failing(), {
          onError: (error) => (mode === 'custom' ? { event: 'failed', data: { retryable: (error as Error).message === 'quota' } } : null),
        });
      },
      { onError: () => {} },
    );
    const custom = await openSse(served.url);
    await custom.done;
    expect(custom.events).toEqual([{ event: 'failed', data: '{"retryable":true}', id: undefined }]);
    const none = await openSse(served.url);
    await none.done;
    expect(none.events).toEqual([]);
  });
});
