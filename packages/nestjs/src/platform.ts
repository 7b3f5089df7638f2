/**
 * The one place that knows Nest runs on Express or Fastify: both hand over a raw Node
 * request/response pair, which core's Node bridge streams on. @internal
 */
import type { IncomingMessage } from 'node:http';
import type { Sink } from '@ssekit/core';
import { createNodeSink, type NodeRequest, type NodeResponse } from '@ssekit/core/node';

/** Express's `req` (a Node request itself) or Fastify's `request` (the Node one is `raw`). */
export interface PlatformRequest {
  readonly raw?: IncomingMessage;
}

/** Express's `res` (a Node response itself) or Fastify's `reply` (the Node one is `raw`). */
export interface PlatformResponse {
  readonly raw?: NodeResponse;
  /** Fastify: from here on the response is ours, and Fastify must not send anything itself. */
  hijack?(): unknown;
  /** Headers set so far (CORS, `@Header()`); on Fastify they live on the reply until it is sent. */
  getHeaders?(): Record<string, string | number | readonly string[] | undefined>;
  /** Express's `res.header()` and Fastify's `reply.header()`. */
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

/** The Node request under the platform's request. */
export function nodeRequest(request: PlatformRequest): NodeRequest {
  return (request.raw ?? request) as NodeRequest;
}

/** Sends the stream's head on the Node response (with the headers set so far) and returns it as a sink. */
export function openSink(response: PlatformResponse, headers?: Readonly<Record<string, string>>): Sink {
  response.hijack?.();
  return createNodeSink((response.raw ?? response) as NodeResponse, { headers: { ...response.getHeaders?.(), ...headers } });
}

/** Sets a header on the platform's response, where its exception filters will send it. */
export function setHeader(response: PlatformResponse, name: string, value: string): void {
  if (response.header) response.header(name, value);
  else response.setHeader?.(name, value);
}
