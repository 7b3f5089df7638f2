import { createBroker } from '@ssekit/core';
import { ssePlugin } from '@ssekit/fastify';
import Fastify from 'fastify';
import { EVENT_TYPE } from './event.mjs';

export async function create(brokerOptions = {}) {
  const broker = createBroker({ heartbeatInterval: 0, ...brokerOptions });
  const app = Fastify();
  await app.register(ssePlugin, { broker });
  app.get('/', async (_request, reply) => {
    await reply.eventStream();
  });
  await app.ready();
  return {
    server: app.server,
    count: () => broker.stats().connections,
    publish: (data) => void broker.broadcast({ event: EVENT_TYPE, data }),
  };
}
