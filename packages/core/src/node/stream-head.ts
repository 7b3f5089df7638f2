/**
 * `createNodeSink`: sends an event stream's head on a Node response and hands the response to
 * the sink.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { HTTP2_FORBIDDEN_HEADERS, SSE_HEADERS } from '../headers.js';
import { type NodeResponse, NodeResponseSink, type NodeSink } from './node-sink.js';

/** Options of {@link createNodeSink}. */
export interface NodeSinkOptions {
  /**
   * Extra response headers (CORS headers a framework collected, for example). Headers already set
   * on the response with `setHeader` are kept too. The SSE headers always win.
   */
  headers?: Record<string, string | number | readonly string[] | undefined>;
}

/**
 * Starts an event stream on a Node response and returns it as a {@link NodeSink}: writes status
 * 200 and the SSE headers, flushes them at once (so the client's `open` fires before the first
 * event) and turns Nagle's algorithm off.
 *
 * @example
 * ```ts
 * http.createServer(async (req, res) => {
 *   await broker.stream(toStreamRequest(req), { topics: ['news'] }, () => createNodeSink(res));
 * });
 * ```
 */
export function createNodeSink(res: NodeResponse, options: NodeSinkOptions = {}): NodeSink {
  const http2 = 'stream' in res;
  const headers = { ...res.getHeaders(), ...options.headers, ...SSE_HEADERS } as OutgoingHttpHeaders;
  if (http2) for (const name of HTTP2_FORBIDDEN_HEADERS) delete headers[name];
  for (const name of Object.keys(headers)) if (headers[name] === undefined) delete headers[name];
  // Headers set earlier with setHeader would merge in again; clear them so each is sent once.
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  const writable = res as ServerResponse;
  writable.writeHead(200, headers);
  // HTTP/2 compat responses send their head in writeHead; HTTP/1.1 needs an explicit flush.
  writable.flushHeaders?.();
  if (!http2) writable.socket?.setNoDelay(true);
  return new NodeResponseSink(writable);
}
