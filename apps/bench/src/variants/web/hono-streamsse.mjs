// Hono's own `streamSSE` on Bun or Deno: `writeSSE` per stream per event.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { EVENT_TYPE, eventId } from '../event.mjs';

export function create() {
  const streams = new Set();
  const app = new Hono();
  app.get('/', (c) =>
    streamSSE(c, async (stream) => {
      streams.add(stream);
      await stream.write(':\n\n'); // the head goes out with the first chunk
      await new Promise((resolve) => stream.onAbort(resolve));
      streams.delete(stream);
    }),
  );
  return {
    fetch: app.fetch,
    count: () => streams.size,
    publish(data, seq) {
      const id = eventId(seq);
      for (const stream of streams) void stream.writeSSE({ id, event: EVENT_TYPE, data }).catch(() => {});
    },
  };
}
