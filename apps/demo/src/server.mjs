#!/usr/bin/env node
// A small live demo on plain node:http: a broker publishes the time every 2 s to /events and the
// page subscribes with the browser's EventSource. The four-framework demo replaces it.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { createBroker } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';

const port = Number(process.env.PORT ?? 3000);
const broker = createBroker({ retry: 1000 });
const page = await readFile(new URL('../public/index.html', import.meta.url));

setInterval(() => void broker.publish('clock', { event: 'tick', data: { at: new Date().toISOString() } }), 2000).unref();

const server = http.createServer(async (req, res) => {
  if (req.url === '/' || req.url === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  } else if (req.url?.startsWith('/events')) {
    await broker.stream(toStreamRequest(req), { topics: ['clock'] }, () => createNodeSink(res));
  } else {
    res.writeHead(404).end();
  }
});

server.listen(port, () => console.log(`ssekit demo: open http://localhost:${port}`));
const shutdown = async () => {
  await broker.close();
  server.close();
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
