import type { AddressInfo } from 'node:net';
import fastifyStatic from '@fastify/static';
import { ssePlugin } from '@ssekit/fastify';
import Fastify, { type FastifyReply } from 'fastify';
import type { ApiResult } from '../api.js';
import type { Serve } from './serve-options.js';

export const serveFastify: Serve = async (demo, { port, host, publicDir }) => {
  const app = Fastify();
  // Fastify would close the broker on app.close(); the demo closes it itself, like the others.
  await app.register(ssePlugin, { broker: demo.broker, closeBrokerOnClose: false });
  await app.register(fastifyStatic, { root: publicDir });

  app.get('/api/events', { eventStream: true }, async (_request, reply) => {
    demo.welcome(await reply.eventStream({ topics: demo.topics }));
  });
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await demo.metrics();
    return reply.type(contentType).send(body);
  });
  app.post('/api/notify', async (request, reply) => send(reply, await demo.notify(request.headers.authorization, request.body)));
  app.post('/api/drop', async (request, reply) => send(reply, demo.drop(request.headers.authorization, request.body)));

  await app.listen({ port, host });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
};

const send = (reply: FastifyReply, result: ApiResult) => reply.code(result.status).send(result.body);
