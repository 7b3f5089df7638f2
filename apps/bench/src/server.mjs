// The server under test, in its own process. The parent tells it which variant to run, then asks
// it to publish; it reports its own CPU time for the publishing window.
import http from 'node:http';
import { createBroker } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';

const variant = process.argv[2];
const variants = {
  // The baseline: what a hand-written server does at best, one pre-encoded Buffer to every res.
  baseline() {
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
      publish(seq, payload) {
        const bytes = Buffer.from(`id: ${seq}\ndata: ${payload}\n\n`);
        for (const res of clients) res.write(bytes);
      },
    };
  },
  core() {
    const broker = createBroker({ heartbeatInterval: 0 });
    const server = http.createServer((req, res) => {
      broker.stream(toStreamRequest(req), {}, () => createNodeSink(res)).catch(() => res.destroy());
    });
    return {
      server,
      count: () => broker.stats().connections,
      publish(_seq, payload) {
        void broker.broadcast({ data: payload });
      },
    };
  },
};

const make = variants[variant];
if (!make) throw new Error(`unknown variant ${variant}; use one of ${Object.keys(variants).join(', ')}`);
const target = make();
target.server.listen(0, '127.0.0.1', () => process.send({ type: 'listening', port: target.server.address().port }));

process.on('message', async (message) => {
  if (message.type === 'count') process.send({ type: 'count', count: target.count() });
  if (message.type === 'publish') {
    const start = process.cpuUsage();
    for (let i = 0; i < message.events; i++) {
      target.publish(message.firstSeq + i, JSON.stringify({ s: message.firstSeq + i, pad: 'x'.repeat(message.pad) }));
      // One event per turn of the loop, so sockets are written as they would be under paced load.
      await new Promise((resolve) => setImmediate(resolve));
    }
    process.send({ type: 'published', cpu: process.cpuUsage(start) });
  }
  if (message.type === 'cpu-since') process.send({ type: 'cpu', cpu: process.cpuUsage(message.start) });
  if (message.type === 'cpu-now') process.send({ type: 'cpu-now', cpu: process.cpuUsage() });
  if (message.type === 'exit') process.exit(0);
});
