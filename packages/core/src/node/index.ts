/**
 * `@ssekit/core/node`: the bridge from Node's `http` / `http2` compat responses to a core
 * {@link Sink}. The Fastify, Express and Koa adapters (and Hono on `@hono/node-server`) share it.
 *
 * @module
 */
export { type ClosableServer, type CloseServerOptions, closeServer } from './close-server.js';
export type { NodeRequest, NodeResponse, NodeSink } from './node-sink.js';
export { createNodeSink, type NodeSinkOptions } from './stream-head.js';
export { toStreamRequest } from './stream-request.js';
