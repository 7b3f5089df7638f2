// The baseline: a hand-written node:http server at its best, one pre-encoded Buffer per event
// written to every response.
import http from 'node:http';
import { frame } from './event.mjs';

export function create() {
  const clients = new Set();
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    clients.add(res);
    res.on('close', () => clients.delete(res));
  });
  return {
    server,
    count: () => clients.size,
    publish(data, seq) {
      const bytes = Buffer.from(frame(seq, data));
      for (const res of clients) res.write(bytes);
    },
  };
}
