// @fastify/sse: `reply.sse.send` per reply, replies kept per topic (`?topic=`). Replay as its
// README shows it: the app keeps the history (here an array of the last `history.historySize`
// events) and `reply.sse.replay` sends the missed ones, one awaited `send` each.
import fastifySse from '@fastify/sse';
import Fastify from 'fastify';
import { EVENT_TYPE, eventId, seqOf } from './event.mjs';
import { createSubscribers } from './topics.mjs';

export async function create(options = {}) {
  const subscribers = createSubscribers();
  const historySize = options.history?.historySize ?? 0;
  const history = [];
  const app = Fastify();
  // Identity serializer: the runner publishes ready JSON text. Heartbeats out of the way.
  await app.register(fastifySse, { serializer: (data) => data, heartbeatInterval: 3_600_000 });
  app.get('/', { sse: true }, async (request, reply) => {
    reply.sse.keepAlive();
    reply.sse.sendHeaders();
    // @fastify/sse leaves the head in Node's buffer until the first event; clients wait for it.
    reply.raw.flushHeaders();
    if (historySize > 0 && reply.sse.lastEventId !== null) {
      await reply.sse.replay(async (lastEventId) => {
        const after = seqOf(lastEventId) + 1 - (history[0]?.seq ?? 0);
        for (const message of history.slice(Math.max(0, after))) await reply.sse.send(message.event);
      });
    }
    reply.sse.onClose(subscribers.add(reply, request.query.topic));
  });
  await app.ready();
  return {
    server: app.server,
    count: () => subscribers.all.size,
    publish(data, seq, topic) {
      const event = { id: eventId(seq), event: EVENT_TYPE, data };
      if (historySize > 0) {
        history.push({ seq, event });
        if (history.length > historySize) history.shift();
      }
      for (const reply of subscribers.of(topic)) void reply.sse.send(event).catch(() => {});
    },
  };
}
