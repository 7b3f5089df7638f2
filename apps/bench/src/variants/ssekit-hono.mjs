import { createAdaptorServer } from '@hono/node-server';
import { createBroker } from '@ssekit/core';
import { streamEvents } from '@ssekit/hono';
import { Hono } from 'hono';
import { brokerPublish, splitOptions } from './topics.mjs';

export function create(options) {
  const { ids, broker: brokerOptions } = splitOptions(options);
  const broker = createBroker({ heartbeatInterval: 0, ...brokerOptions });
  const app = new Hono();
  app.get('/', (c) => {
    const topic = c.req.query('topic');
    return streamEvents(c, topic === undefined ? { broker } : { broker, topics: [topic] });
  });
  return {
    server: createAdaptorServer({ fetch: app.fetch }),
    count: () => broker.stats().connections,
    publish: brokerPublish(broker, { ids }),
  };
}
