/**
 * `@ssekit/core/node`: the bridge from Node's `http` / `http2` compat responses to a core
 * {@link Sink}. The Fastify, Express and Koa adapters (and Hono on `@hono/node-server`) share it.
 *
 * @module
 */
export { type ClosableServer, type CloseServerOptions, closeServer } from './close-server.js';
export { createNodeSink, type NodeRequest, type NodeResponse, type NodeSinkOptions } from './node-sink.js';
export { toStreamRequest } from './stream-request.js';
