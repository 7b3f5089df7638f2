/**
 * `@ssekit/core/node`: the bridge from Node's `http` / `http2` compat responses to a core
 * {@link Sink}. The Fastify, Express and Koa adapters (and Hono on `@hono/node-server`) share it.
 *
 * @module
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { HTTP2_FORBIDDEN_HEADERS, SSE_HEADERS } from '../headers.js';
import type { StreamRequest } from '../request.js';
import type { Sink } from '../sink.js';

/** A Node response an event stream can be written to: HTTP/1.1 or the HTTP/2 compat API. */
export type NodeResponse = ServerResponse | Http2ServerResponse;
/** The matching Node request. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;

/** Options of {@link createNodeSink}. */
export interface NodeSinkOptions {
  /**
   * Extra response headers (CORS headers a framework collected, for example). Headers already set
   * on the response with `setHeader` are kept too. The SSE headers always win.
   */
  headers?: Record<string, string | number | readonly string[] | undefined>;
  /**
   * Once the stream has started, ignore `writeHead` and `end` calls on the response from anyone but
   * the sink. For hosts that may still try to answer a response the handler has taken over
   * (`@hono/node-server`, when Hono re-wraps the handler's marker response).
   * @default false
   */
  exclusive?: boolean;
}

/**
 * Starts an event stream on a Node response and returns it as a {@link Sink}: writes status 200
 * and the SSE headers, flushes them at once (so the client's `open` fires before the first event)
 * and turns Nagle's algorithm off.
 *
 * @example
 * ```ts
 * http.createServer(async (req, res) => {
 *   await broker.stream(toStreamRequest(req), { topics: ['news'] }, () => createNodeSink(res));
 * });
 * ```
 */
export function createNodeSink(res: NodeResponse, options: NodeSinkOptions = {}): Sink {
  const http2 = 'stream' in res;
  const headers = { ...res.getHeaders(), ...options.headers, ...SSE_HEADERS } as OutgoingHttpHeaders;
  if (http2) for (const name of HTTP2_FORBIDDEN_HEADERS) delete headers[name];
  for (const name of Object.keys(headers)) if (headers[name] === undefined) delete headers[name];
  // Headers set earlier with setHeader would merge in again; clear them so each is sent once.
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  (res as ServerResponse).writeHead(200, headers);
  // HTTP/2 compat responses send their head in writeHead; HTTP/1.1 needs an explicit flush.
  (res as ServerResponse).flushHeaders?.();
  const socket = http2 ? undefined : (res as ServerResponse).socket;
  socket?.setNoDelay(true);

  const writable = res as ServerResponse;
  let ending = false;
  if (options.exclusive) {
    const end = writable.end;
    writable.writeHead = (() => writable) as never;
    writable.end = ((...args: Parameters<typeof end>) => (ending ? end.apply(writable, args) : writable)) as never;
  }
  let closed = res.destroyed || writable.writableEnded;
  const closeListeners: Array<() => void> = [];
  const onClose = () => {
    if (closed && closeListeners.length === 0) return;
    closed = true;
    const listeners = closeListeners.splice(0);
    for (const listener of listeners) listener();
  };
  res.once('close', onClose);

  return {
    write(chunk) {
      if (closed || writable.destroyed) return false;
      return writable.write(chunk);
    },
    get bufferedBytes() {
      return writable.writableLength ?? 0;
    },
    get closed() {
      return closed || writable.destroyed;
    },
    onDrain(listener) {
      res.once('drain', listener);
      return () => res.removeListener('drain', listener);
    },
    onClose(listener) {
      if (closed) queueMicrotask(listener);
      else closeListeners.push(listener);
    },
    end() {
      ending = true;
      if (!writable.writableEnded) writable.end();
    },
    abort() {
      writable.destroy();
    },
  };
}

/**
 * A framework-neutral view of a Node request for `broker.stream()`.
 *
 * @example
 * ```ts
 * const connection = await broker.stream(toStreamRequest(req), {}, () => createNodeSink(res));
 * ```
 */
export function toStreamRequest(req: NodeRequest, raw: unknown = req): StreamRequest {
  return {
    url: req.url ?? '/',
    method: req.method ?? 'GET',
    header(name) {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    raw,
  };
}
