import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';

export function create() {
  const streams = new Set();
  const app = new Hono();
  app.get('/', (c) =>
    streamSSE(c, async (stream) => {
      streams.add(stream);
      await new Promise((resolve) => stream.onAbort(resolve));
      streams.delete(stream);
    }),
  );
  return {
    server: createAdaptorServer({ fetch: app.fetch }),
    count: () => streams.size,
    publish(data) {
      for (const stream of streams) void stream.writeSSE({ data }).catch(() => {});
    },
  };
}
