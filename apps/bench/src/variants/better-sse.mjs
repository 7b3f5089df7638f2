import http from 'node:http';
import { createChannel, createSession } from 'better-sse';

export function create() {
  const channel = createChannel();
  const server = http.createServer(async (req, res) => {
    const session = await createSession(req, res, { keepAlive: null, serializer: (data) => data });
    channel.register(session);
  });
  return { server, count: () => channel.sessionCount, publish: (data) => channel.broadcast(data) };
}
