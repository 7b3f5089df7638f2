/**
 * A test server for presence: a broker on the Redis transport behind node:http, with presence
 * timings from PRESENCE_TTL / PRESENCE_INTERVAL and notices on topics that start with `room`.
 * Streams: `/events?topic=room&client=ada`. Control: `POST /control/presence {"topic"}` answers
 * `broker.presence(topic)`; `POST /control/publish {"topics","event"}` publishes. Prints
 * `listening <port>`; exits when its standard input closes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBroker, type StreamOptions } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { createRedisTransport } from '../../src/index.js';

const env = process.env;
const transport = createRedisTransport({
  redis: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  streamKey: env.STREAM_KEY ?? 'ssekit:test',
  presence: { ttl: Number(env.PRESENCE_TTL ?? 15_000), interval: Number(env.PRESENCE_INTERVAL ?? 5_000) },
});
const broker = createBroker({
  transport,
  heartbeatInterval: 0,
  closeTimeout: 1_000,
  presence: { notify: (topic) => topic.startsWith('room') },
  onError: (error, context) => console.error('onError', context.phase, error),
});

const readBody = async (req: http.IncomingMessage): Promise<Record<string, unknown>> => {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
};

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  try {
    if (url.pathname === '/events') {
      const options: StreamOptions = { topics: url.searchParams.getAll('topic') };
      const client = url.searchParams.get('client');
      if (client) options.clientId = client;
      await broker.stream(toStreamRequest(req), options, () => createNodeSink(res));
      return;
    }
    const body = await readBody(req);
    let answer: unknown;
    if (url.pathname === '/control/presence') answer = await broker.presence(String(body.topic));
    else if (url.pathname === '/control/publish')
      answer = { id: await broker.publish(body.topics as string[], body.event as { data: string }) };
    else {
      res.writeHead(404).end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  } catch (error) {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(error) }));
    else res.destroy();
  }
});

server.listen(0, '127.0.0.1', () => {
  process.on('SIGTERM', () => {
    void broker.close().then(() => server.close(() => process.exit(0)));
  });
  process.stdin.on('close', () => process.exit(1));
  process.stdin.resume();
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
