// The baseline: a hand-written node:http server at its best, one pre-encoded Buffer per event
// written to every response. With `?topic=`, subscribers are kept per topic (a `Map` of sets).
// With `history: { historySize }`, it keeps the last events' Buffers in an array and writes a
// reconnecting client's missed events (after its `Last-Event-ID`) in one write before live ones:
// no pacing by the socket, every replaying client gets its own concatenated copy.
import http from 'node:http';
import { frame, seqOf } from './event.mjs';
import { createSubscribers, topicOf } from './topics.mjs';

export function create(options = {}) {
  const subscribers = createSubscribers();
  const historySize = options.history?.historySize ?? 0;
  /** `{ seq, bytes }` of the last `historySize` events, oldest first (broadcasts only). */
  const history = [];
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const lastEventId = req.headers['last-event-id'];
    if (lastEventId !== undefined && history.length > 0) {
      const after = seqOf(lastEventId) + 1 - history[0].seq;
      if (after < history.length) res.write(Buffer.concat(history.slice(Math.max(0, after)).map((e) => e.bytes)));
    }
    res.on('close', subscribers.add(res, topicOf(req.url)));
  });
  return {
    server,
    count: () => subscribers.all.size,
    publish(data, seq, topic) {
      const bytes = Buffer.from(frame(seq, data));
      if (historySize > 0) {
        history.push({ seq, bytes });
        if (history.length > historySize) history.shift();
      }
      for (const res of subscribers.of(topic)) res.write(bytes);
    },
  };
}
