import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { EVENT_TYPE } from './event.mjs';

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
    publish(data, seq) {
      const id = String(seq);
      for (const stream of streams) void stream.writeSSE({ id, event: EVENT_TYPE, data }).catch(() => {});
    },
  };
}
