import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import {
  type Broker,
  type BrokerOptions,
  type Connection,
  createBroker,
  type Sink,
  SseRejectedError,
  type StreamOptions,
} from '../../src/index.js';
import { createNodeSink, toStreamRequest } from '../../src/node/index.js';

export interface Served {
  url: string;
  port: number;
  server: http.Server;
  /** The broker's open connections, oldest first. */
  readonly connections: Connection[];
  /** The sink under a connection (what its socket holds: `bufferedBytes`). */
  sinkOf(connection: Connection | undefined): Sink | undefined;
  close(): Promise<void>;
}

/**
 * A plain node:http server that opens a broker stream on every request. Query parameters pick
 * the stream options: `?topic=a&topic=b&client=ada&retry=100&route=/events`.
 */
export async function serveBroker(broker: Broker, onStream?: (connection: Connection) => void): Promise<Served> {
  const sinks = new WeakMap<Connection, Sink>();
  const server = http.createServer(async (req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const options: StreamOptions = { topics: query.getAll('topic') };
    const client = query.get('client');
    if (client) options.clientId = client;
    const retry = query.get('retry');
    if (retry) options.retry = Number(retry);
    const route = query.get('route');
    if (route) options.route = route;
    try {
      let sink: Sink | undefined;
      const connection = await broker.stream(toStreamRequest(req), options, () => {
        sink = createNodeSink(res);
        return sink;
      });
      if (sink) sinks.set(connection, sink);
      onStream?.(connection);
    } catch (error) {
      if (error instanceof SseRejectedError) {
        res.writeHead(error.status, { ...error.headers, 'content-type': 'text/plain; charset=utf-8' });
        res.end(error.message);
      } else {
        res.writeHead(500).end();
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    server,
    sinkOf: (connection) => (connection ? sinks.get(connection) : undefined),
    get connections() {
      return [...broker.connections()];
    },
    async close() {
      await broker.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A `start(options, onStream?)` for a test file: a broker created with `defaults` and `options`,
 * served on node:http, and closed (with its server) after each test.
 */
export function servedBrokers(defaults: BrokerOptions = {}) {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });
  return async (options: BrokerOptions = {}, onStream?: (connection: Connection) => void) => {
    const broker = createBroker({ ...defaults, ...options });
    served = await serveBroker(broker, onStream);
    return { broker, served };
  };
}
