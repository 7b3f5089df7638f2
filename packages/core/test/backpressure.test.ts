import { openRaw, type RawClient, settlesWithin, waitFor } from '@ssekit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from '../src/index.js';
import { servedBrokers } from './helpers/serve.js';

// A byte cap far above what a paused socket's kernel buffers hold, so the stream is never dropped
// as slow: these tests are about the socket's own backpressure, reported through the Node sink.
const start = servedBrokers({ maxBufferedBytes: 512 * 1024 * 1024, heartbeatInterval: 0 });
const payload = 'x'.repeat(64 * 1024);
/** Far more than loopback's kernel buffers take (a few MiB): reaching it means nothing pushed back. */
const BOUND = 1_000;

let raw: RawClient | undefined;
afterEach(() => {
  raw?.socket.destroy();
  raw = undefined;
});

/** One stream whose client reads the head and then stops reading. */
async function pausedStream() {
  const { broker, served } = await start();
  raw = await openRaw(served.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await raw.until((t) => t.includes('\r\n\r\n'));
  raw.socket.pause();
  await waitFor(() => broker.stats().connections === 1, 'stream open');
  const connection = served.connections[0] as Connection;
  return { broker, served, connection, client: raw };
}

describe('socket backpressure through the Node sink', () => {
  it('send() reports a full socket, and drained() waits until the client reads again', async () => {
    const { broker, connection, client } = await pausedStream();
    let sends = 0;
    while (sends < BOUND) {
      sends++;
      const more = connection.send({ data: payload });
      await new Promise((resolve) => setImmediate(resolve)); // let the tick's write reach the socket
      // `false` right after a send may only mean the tick's write is still to be made; a socket
      // that stays full after it is what this test wants.
      if (!more && !connection.writable) break;
    }
    expect(sends).toBeLessThan(BOUND);
    expect(connection.writable).toBe(false);
    const drained = connection.drained();
    // The client is paused, so nothing can drain: a drained() that settles now is a lie.
    expect(await settlesWithin(drained, 100)).toBe(false);
    client.socket.resume();
    expect(await settlesWithin(drained, 20_000)).toBe(true); // hang guard
    expect(connection.writable).toBe(true);
    expect(broker.stats()).toMatchObject({ connections: 1, slowClientCloses: 0 });
  }, 30_000);

  it('pipe() stops pulling from its source while the client does not read, and resumes when it does', async () => {
    const { connection, client } = await pausedStream();
    let pulled = 0;
    async function* source() {
      while (pulled < BOUND) {
        pulled++;
        yield payload;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const piped = connection.pipe(source());
    // Either the socket pushes back (writable turns false) or the pipe runs through the bound.
    await waitFor(() => !connection.writable || pulled >= BOUND, 'the socket pushes back', 20_000);
    expect(pulled).toBeLessThan(BOUND);
    const stalledAt = pulled;
    expect(await settlesWithin(piped, 100)).toBe(false);
    expect(pulled).toBe(stalledAt);
    client.socket.resume();
    await waitFor(() => pulled > stalledAt, 'pulling again once the client reads', 20_000);
    connection.close();
    await piped;
    expect(pulled).toBeLessThan(BOUND);
  }, 30_000);

  it('pipe() of a source that never yields to the event loop stops pulling too: its items wait for the write, not without bound', async () => {
    const { connection, client } = await pausedStream();
    let pulled = 0;
    async function* source() {
      while (pulled < BOUND) {
        pulled++;
        yield payload; // one promise job per item, never a macrotask
      }
    }
    const piped = connection.pipe(source());
    await waitFor(() => !connection.writable || pulled >= BOUND, 'the socket pushes back', 20_000);
    expect(pulled).toBeLessThan(BOUND);
    client.socket.resume();
    connection.close();
    await piped;
  }, 30_000);
});

describe("a stream's own sends are written a tick at a time", () => {
  it('a piped source that yields an item per promise job goes out in a few writes, not one per item', async () => {
    const TOKENS = 2_000;
    async function* tokens() {
      for (let i = 1; i <= TOKENS; i++) yield `t${i}`;
    }
    const { served } = await start();
    raw = await openRaw(served.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => served.connections.length === 1, 'stream open');
    const connection = served.connections[0] as Connection;
    void connection.pipe(tokens()).then(() => connection.close());
    await raw.until((text) => text.endsWith('\r\n0\r\n\r\n'), 10_000);
    const body = raw.received();
    const { chunks, text } = readChunks(body.slice(body.indexOf('\r\n\r\n') + 4));
    expect(text.match(/^data: t\d+$/gm)).toHaveLength(TOKENS); // every token, in one piece each
    // One HTTP chunk per write: with a write per item there would be about 2,000.
    expect(chunks).toBeLessThan(20);
  });
});

/** The HTTP/1.1 chunks of a body: how many, and their text joined. */
function readChunks(body: string): { chunks: number; text: string } {
  let offset = 0;
  let chunks = 0;
  let text = '';
  for (;;) {
    const end = body.indexOf('\r\n', offset);
    const size = Number.parseInt(body.slice(offset, end), 16);
    if (size === 0) return { chunks, text };
    text += body.slice(end + 2, end + 2 + size);
    offset = end + 2 + size + 2;
    chunks++;
  }
}
