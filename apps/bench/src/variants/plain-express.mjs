// Plain Express 5 with a hand-written SSE handler (no ssekit): the baseline of the Express row's
// idle-heap budget, since Express itself costs most of that heap (see the README).
import http from 'node:http';
import express from 'express';
import { frame } from './event.mjs';

export function create() {
  const clients = new Set();
  const app = express();
  app.get('/', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    clients.add(res);
    res.on('close', () => clients.delete(res));
  });
  return {
    server: http.createServer(app),
    count: () => clients.size,
    publish(data, seq) {
      const bytes = Buffer.from(frame(seq, data));
      for (const res of clients) res.write(bytes);
    },
  };
}
