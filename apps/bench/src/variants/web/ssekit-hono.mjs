// ssekit's Hono adapter on Bun or Deno: the broker writing through the Web Streams sink.
import { createBroker } from '@ssekit/core';
import { streamEvents } from '@ssekit/hono';
import { Hono } from 'hono';
import { EVENT_TYPE } from '../event.mjs';

export function create() {
  const broker = createBroker({ heartbeatInterval: 0 });
  const app = new Hono();
  app.get('/', (c) => streamEvents(c, { broker }));
  return {
    fetch: app.fetch,
    count: () => broker.stats().connections,
    publish: (data) => void broker.broadcast({ event: EVENT_TYPE, data }),
  };
}
