import type { AddressInfo } from 'node:net';
import fastifyStatic from '@fastify/static';
import { ssePlugin } from '@ssekit/fastify';
import Fastify, { type FastifyReply } from 'fastify';
import type { ApiResult } from '../api.js';
import { isSource } from '../demo.js';
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
  // The assistant: answers are resumable streams, started by POST, resumed by GET (here or on
  // the other demo server, whose page needs CORS), stopped by DELETE.
  app.post('/api/answers', async (request, reply) => {
    const answer = demo.ask(request.body);
    return isSource(answer) ? reply.eventStream(answer, { resumable: true }) : send(reply, answer);
  });
  app.options<{ Params: { id: string } }>('/api/answers/:id', async (request, reply) =>
    reply.headers(demo.cors(request.headers.origin)).code(204).send(),
  );
  app.get<{ Params: { id: string } }>('/api/answers/:id', { eventStream: true }, async (request, reply) => {
    reply.headers(demo.cors(request.headers.origin));
    await reply.eventStream({ resume: request.params.id });
  });
  app.delete<{ Params: { id: string } }>('/api/answers/:id', async (request, reply) => {
    reply.headers(demo.cors(request.headers.origin));
    return send(reply, await demo.stopAnswer(request.headers.authorization, request.params.id));
  });

  await app.listen({ port, host });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
};

const send = (reply: FastifyReply, result: ApiResult) => reply.code(result.status).send(result.body);
