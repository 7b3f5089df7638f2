// better-sse: one channel for broadcasts, and one channel per topic (`?topic=`). No replay:
// better-sse reads `Last-Event-ID` (`session.lastId`) but keeps no history to serve it from.
import http from 'node:http';
import { createChannel, createSession } from 'better-sse';
import { EVENT_TYPE, eventId } from './event.mjs';
import { topicOf } from './topics.mjs';

export function create() {
  const channel = createChannel();
  const channels = new Map();
  const server = http.createServer(async (req, res) => {
    const session = await createSession(req, res, { keepAlive: null, serializer: (data) => data });
    channel.register(session);
    const topic = topicOf(req.url);
    if (topic === undefined) return;
    let topicChannel = channels.get(topic);
    if (!topicChannel) {
      topicChannel = createChannel();
      channels.set(topic, topicChannel);
    }
    topicChannel.register(session);
  });
  return {
    server,
    count: () => channel.sessionCount,
    publish: (data, seq, topic) =>
      (topic === undefined ? channel : channels.get(topic))?.broadcast(data, EVENT_TYPE, { eventId: eventId(seq) }),
  };
}
