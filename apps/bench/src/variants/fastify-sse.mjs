import fastifySse from '@fastify/sse';
import Fastify from 'fastify';
import { EVENT_TYPE } from './event.mjs';

export async function create() {
  const replies = new Set();
  const app = Fastify();
  // Identity serializer: the runner publishes ready JSON text. Heartbeats out of the way.
  await app.register(fastifySse, { serializer: (data) => data, heartbeatInterval: 3_600_000 });
  app.get('/', { sse: true }, async (_request, reply) => {
    reply.sse.keepAlive();
    reply.sse.sendHeaders();
    // @fastify/sse leaves the head in Node's buffer until the first event; clients wait for it.
    reply.raw.flushHeaders();
    replies.add(reply);
    reply.sse.onClose(() => replies.delete(reply));
  });
  await app.ready();
  return {
    server: app.server,
    count: () => replies.size,
    publish(data, seq) {
      const id = String(seq);
      for (const reply of replies) void reply.sse.send({ id, event: EVENT_TYPE, data }).catch(() => {});
    },
  };
}
