import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Broker, type EventMap, SseRejectedError, type StreamOptions } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

/** What the server saw of one request. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** A node:http server on 127.0.0.1 that can be killed and brought back on the same port. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Every request received, across restarts, oldest first. */
  readonly requests: RecordedRequest[];
  /** Destroys every open connection; the server keeps listening. */
  dropConnections(): void;
  /** Destroys every connection and stops listening. */
  stop(): Promise<void>;
  /** Listens again on the same port with the same handler. */
  start(): Promise<void>;
}

const running = new Set<TestServer>();

/** Starts a server on port 0 that records requests and hands them to `handler`. */
export async function serve(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  let server: http.Server | undefined;
  let port = 0;
  const listen = async () => {
    const next = http.createServer((req, res) => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      void handler(req, res);
    });
    await new Promise<void>((resolve) => next.listen(port, '127.0.0.1', resolve));
    server = next;
    port = (next.address() as AddressInfo).port;
  };
  await listen();
  const served: TestServer = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    requests,
    dropConnections: () => server?.closeAllConnections(),
    async stop() {
      const current = server;
      server = undefined;
      if (!current) return;
      const closed = new Promise<void>((resolve) => current.close(() => resolve()));
      current.closeAllConnections();
      await closed;
    },
    start: listen,
  };
  running.add(served);
  return served;
}

/** Stops every server started by {@link serve}. */
export async function stopServers(): Promise<void> {
  await Promise.all([...running].map((served) => served.stop()));
  running.clear();
}

/**
 * A handler that opens a broker stream on every request, the way an adapter does, and answers
 * refusals with their status and headers.
 */
export function streamFrom<E extends EventMap>(broker: Broker<E>, options: StreamOptions = {}): Handler {
  return async (req, res) => {
    try {
      await broker.stream(toStreamRequest(req), options, () => createNodeSink(res));
    } catch (error) {
      if (error instanceof SseRejectedError) {
        res.writeHead(error.status, { ...error.headers, 'content-type': 'text/plain; charset=utf-8' }).end(error.message);
      } else {
        res.writeHead(500).end();
      }
    }
  };
}

/** Reads a request body as text. */
export async function readBody(req: http.IncomingMessage): Promise<string> {
  let body = '';
  req.setEncoding('utf8');
  for await (const chunk of req) body += chunk;
  return body;
}

/** Resolves after `ms` milliseconds. */
export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
