// Hono's streamSSE: `writeSSE` per stream, streams kept per topic (`?topic=`). No replay: Hono
// keeps no history.
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { EVENT_TYPE, eventId } from './event.mjs';
import { createSubscribers } from './topics.mjs';

export function create() {
  const subscribers = createSubscribers();
  const app = new Hono();
  app.get('/', (c) =>
    streamSSE(c, async (stream) => {
      const remove = subscribers.add(stream, c.req.query('topic'));
      await new Promise((resolve) => stream.onAbort(resolve));
      remove();
    }),
  );
  return {
    server: createAdaptorServer({ fetch: app.fetch }),
    count: () => subscribers.all.size,
    publish(data, seq, topic) {
      const id = eventId(seq);
      for (const stream of subscribers.of(topic)) void stream.writeSSE({ id, event: EVENT_TYPE, data }).catch(() => {});
    },
  };
}
