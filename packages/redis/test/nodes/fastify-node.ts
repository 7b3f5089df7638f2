// A test server on Fastify: `reply.eventStream()` from @ssekit/fastify over the Redis transport.
import { ssePlugin } from '@ssekit/fastify';
import Fastify from 'fastify';
import { createTestNode, streamOptions } from './node-common.js';

const node = createTestNode();
const app = Fastify();
await app.register(ssePlugin, { broker: node.broker, closeBrokerOnClose: false });
app.get('/events', { eventStream: true }, async (request, reply) => {
  await reply.eventStream(streamOptions(request.url));
});
app.post<{ Params: { verb: string } }>('/control/:verb', async (request, reply) => {
  const result = await node.control(request.params.verb, request.body);
  return reply.code(result.status).send(result.body);
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
node.announce(typeof address === 'object' && address ? address.port : 0, () => app.close());
