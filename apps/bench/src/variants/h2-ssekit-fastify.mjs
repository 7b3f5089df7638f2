// @ssekit/fastify on Fastify's HTTP/2 server (`http2: true` over TLS).
import { createBroker } from '@ssekit/core';
import { ssePlugin } from '@ssekit/fastify';
import Fastify from 'fastify';
import { certificate } from '../tls.mjs';
import { EVENT_TYPE } from './event.mjs';

export async function create() {
  const broker = createBroker({ heartbeatInterval: 0 });
  const app = Fastify({ http2: true, https: certificate() });
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
