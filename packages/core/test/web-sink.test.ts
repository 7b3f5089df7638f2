// The Web Streams sink's own contract, read through its real `ReadableStream` as a runtime would
// (the Bun and Deno servers that run it are in @ssekit/hono's runtime suites).
import { waitFor } from '@ssekit/test-utils';
import { describe, expect, it } from 'vitest';
import { createWebSink } from '../src/index.js';

const bytes = (size: number) => new Uint8Array(size).fill(120);

/** Reads everything the stream has queued now and returns the byte count and whether it ended. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, expected: number) {
  let read = 0;
  while (read < expected) {
    const { value, done } = await reader.read();
    if (done) return { read, done: true };
    read += value.byteLength;
  }
  return { read, done: false };
}

describe('createWebSink', () => {
  it('reports full past the high-water mark and calls onDrain once the reader has taken everything', async () => {
    const { sink, stream } = createWebSink({ highWaterMark: 1024 });
    expect(sink.write(bytes(600))).toBe(true);
    expect(sink.write(bytes(600))).toBe(false);
    expect(sink.write(bytes(600))).toBe(false); // held by the sink, past the mark
    let drained = 0;
    sink.onDrain(() => drained++);
    const reader = stream.getReader();
    expect((await drain(reader, 1800)).read).toBe(1800);
    const next = reader.read(); // waits on an empty stream: that is the drain
    await waitFor(() => drained === 1, 'onDrain');
    expect(sink.write(bytes(10))).toBe(true);
    expect((await next).value?.byteLength).toBe(10);
  });

  it("does not count this turn's bytes as buffered, and counts them once the reader has had turns to take them", async () => {
    const { sink } = createWebSink();
    sink.write(bytes(300_000)); // a burst, nobody reading
    expect(sink.bufferedBytes).toBe(0);
    await waitFor(() => sink.bufferedBytes > 0, 'old bytes counted', 2_000);
    expect(sink.bufferedBytes).toBe(300_000);
  });

  it('counts nothing for a reader that keeps up', async () => {
    const { sink, stream } = createWebSink();
    const reader = stream.getReader();
    for (let turn = 0; turn < 20; turn++) {
      expect(sink.bufferedBytes).toBe(0);
      expect(sink.write(bytes(4096))).toBe(true);
      await drain(reader, 4096);
      await new Promise((resolve) => setTimeout(resolve, 2)); // the next turn is the scenario itself
    }
  });

  it('drops quietly: the held chunks are discarded and the reader sees the end, not an error', async () => {
    const { sink, stream } = createWebSink({ highWaterMark: 1024 });
    expect(sink.write(bytes(1100))).toBe(false); // the stream's queue is past the mark
    expect(sink.write(bytes(50_000))).toBe(false); // so the sink holds this one
    let closes = 0;
    sink.onClose(() => closes++);
    sink.abort();
    expect(sink.closed).toBe(true);
    expect(closes).toBe(1);
    expect(sink.write(bytes(10))).toBe(false);
    const reader = stream.getReader();
    expect(await drain(reader, Number.POSITIVE_INFINITY)).toEqual({ read: 1100, done: true });
  });

  it('errors a dropped stream whose reader takes nothing for dropTimeout (the runtime then cuts the connection)', async () => {
    const { sink, stream } = createWebSink({ highWaterMark: 1024, dropTimeout: 20 });
    sink.write(bytes(1100));
    sink.abort();
    // Taking nothing for longer than dropTimeout is the scenario itself.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(stream.getReader().read()).rejects.toThrow('slow client');
  });

  it('ends once the reader has taken what was queued', async () => {
    const { sink, stream } = createWebSink({ highWaterMark: 1024 });
    sink.write(bytes(800));
    sink.write(bytes(800));
    sink.end();
    expect(sink.closed).toBe(false);
    const reader = stream.getReader();
    expect(await drain(reader, Number.POSITIVE_INFINITY)).toEqual({ read: 1600, done: true });
    expect(sink.closed).toBe(true);
  });

  it('closes when the signal aborts and when the reader cancels', async () => {
    const aborted = new AbortController();
    const first = createWebSink({ signal: aborted.signal });
    aborted.abort();
    expect(first.sink.closed).toBe(true);
    const second = createWebSink();
    await second.stream.cancel();
    expect(second.sink.closed).toBe(true);
    expect(second.sink.write(bytes(1))).toBe(false);
  });
});
