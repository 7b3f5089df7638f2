import { createAdaptorServer } from '@hono/node-server';
import { createBroker } from '@ssekit/core';
import { streamEvents } from '@ssekit/hono';
import { Hono } from 'hono';
import { EVENT_TYPE } from './event.mjs';

export function create() {
  const broker = createBroker({ heartbeatInterval: 0 });
  const app = new Hono();
  app.get('/', (c) => streamEvents(c, { broker }));
  return {
    server: createAdaptorServer({ fetch: app.fetch }),
    count: () => broker.stats().connections,
    publish: (data) => void broker.broadcast({ event: EVENT_TYPE, data }),
  };
}
