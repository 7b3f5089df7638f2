import cors from '@fastify/cors';
import {
  afterOpen,
  CORS_ORIGIN,
  createContractBroker,
  localServer,
  runContractSuite,
  sourceFromUrl,
  streamOptionsFromUrl,
} from '@ssekit/contract';
import Fastify from 'fastify';
import { ssePlugin } from '../src/index.js';

runContractSuite({
  name: 'fastify',
  async start(options) {
    const broker = createContractBroker(options);
    const app = Fastify();
    await app.register(cors, { origin: [CORS_ORIGIN] });
    await app.register(ssePlugin, { broker });
    // GET streams; POST starts resumable answers.
    app.route({
      method: ['GET', 'POST'],
      url: '/events',
      eventStream: true,
      handler: async (request, reply) => {
        const source = sourceFromUrl(request.url, broker);
        if (source) return reply.eventStream(source, streamOptionsFromUrl(request.url));
        await afterOpen(request.url, await reply.eventStream(streamOptionsFromUrl(request.url)));
      },
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return localServer(broker, url, () => app.close());
  },
});
