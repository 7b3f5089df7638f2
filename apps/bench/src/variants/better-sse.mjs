import http from 'node:http';
import { createChannel, createSession } from 'better-sse';
import { EVENT_TYPE } from './event.mjs';

export function create() {
  const channel = createChannel();
  const server = http.createServer(async (req, res) => {
    const session = await createSession(req, res, { keepAlive: null, serializer: (data) => data });
    channel.register(session);
  });
  return {
    server,
    count: () => channel.sessionCount,
    publish: (data, seq) => channel.broadcast(data, EVENT_TYPE, { eventId: String(seq) }),
  };
}
