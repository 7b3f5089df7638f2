import { createBroker } from '@ssekit/core';
import { ssePlugin } from '@ssekit/fastify';
import Fastify from 'fastify';
import { brokerPublish, splitOptions } from './topics.mjs';

export async function create(options) {
  const { ids, broker: brokerOptions } = splitOptions(options);
  const broker = createBroker({ heartbeatInterval: 0, ...brokerOptions });
  const app = Fastify();
  await app.register(ssePlugin, { broker });
  app.get('/', async (request, reply) => {
    const topic = request.query.topic;
    await (topic === undefined ? reply.eventStream() : reply.eventStream({ topics: [topic] }));
  });
  await app.ready();
  return { server: app.server, count: () => broker.stats().connections, publish: brokerPublish(broker, { ids }) };
}
