import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Broker, createBroker, type EventMap, SseRejectedError } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { afterEach } from 'vitest';

/** A real ssekit stream server on 127.0.0.1: topics come from `?topic=` parameters. */
export interface StreamServer<E extends EventMap> {
  /** `http://127.0.0.1:<port>/events`. */
  readonly url: string;
  /** The broker of the server's current life (a restart makes a new one, with no history). */
  readonly broker: Broker<E>;
  /** Every request's path and query, across restarts, oldest first. */
  readonly requests: string[];
  /** Open streams on the current broker. */
  openStreams(): number;
  /** Streams that ended on the server (the client went away or the server closed them). */
  readonly closedStreams: number;
  /** Stops the server for good: destroys every connection, stops listening. */
  stop(): Promise<void>;
  /** Stops, then listens again on the same port with a fresh broker (a deploy, a crash). */
  restart(): Promise<void>;
}

const running = new Set<StreamServer<EventMap>>();

/**
 * Starts a stream server on a free port. Any path streams; `/marker` answers 204 at once, for
 * tests that check no stream request came before it.
 */
export async function startStreamServer<E extends EventMap>(options: { retry?: number } = {}): Promise<StreamServer<E>> {
  const requests: string[] = [];
  let closedStreams = 0;
  let broker: Broker<E>;
  let server: http.Server | undefined;
  let port = 0;
  const newBroker = () =>
    createBroker<E>({
      heartbeatInterval: 0,
      onDisconnect: () => {
        closedStreams++;
      },
    });
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/marker') return void res.writeHead(204).end();
    requests.push(req.url ?? '');
    const topics = url.searchParams.getAll('topic');
    try {
      await broker.stream(toStreamRequest(req), { topics, retry: options.retry ?? 20 }, () => createNodeSink(res));
    } catch (error) {
      const status = error instanceof SseRejectedError ? error.status : 500;
      res.writeHead(status).end();
    }
  };
  const listen = async () => {
    broker = newBroker();
    const next = http.createServer((req, res) => void handle(req, res));
    await new Promise<void>((resolve) => next.listen(port, '127.0.0.1', resolve));
    port = (next.address() as AddressInfo).port;
    server = next;
  };
  const stop = async () => {
    const current = server;
    server = undefined;
    if (!current) return;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    current.closeAllConnections();
    await closed;
    await broker.close();
  };
  await listen();
  const served: StreamServer<E> = {
    get url() {
      return `http://127.0.0.1:${port}/events`;
    },
    get broker() {
      return broker;
    },
    requests,
    openStreams: () => [...broker.connections()].length,
    get closedStreams() {
      return closedStreams;
    },
    stop,
    async restart() {
      await stop();
      await listen();
    },
  };
  running.add(served as unknown as StreamServer<EventMap>);
  return served;
}

afterEach(async () => {
  await Promise.all([...running].map((served) => served.stop()));
  running.clear();
});
