import {
  acceptsEventStream,
  type Broker,
  type BrokerOptions,
  type Connection,
  createBroker,
  SseRejectedError,
  type StreamOptions,
} from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** Options of {@link ssePlugin}: a broker to use, or options to create one. */
export interface SsePluginOptions extends BrokerOptions {
  /**
   * The broker to stream from, typed or not (`createBroker<Events>()`); one is created from the
   * other options when omitted.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any broker, whatever its event map and principal
  broker?: Broker<any, any>;
  /**
   * Close the broker (ending every stream) when Fastify closes, so `fastify.close()` never waits
   * on open streams.
   * @default true
   */
  closeBrokerOnClose?: boolean;
  /**
   * Milliseconds that `fastify.close()` gives other requests once the broker has closed; any
   * connection still open then is dropped. Node's own close waits forever on a socket that
   * connected but never sent a request (`fetch` leaves one after each aborted stream), so without
   * this a shutdown can hang on a client. `false` leaves it to Fastify's `forceCloseConnections`.
   * Applies with `closeBrokerOnClose`.
   * @default 1_000
   */
  forceCloseAfter?: number | false;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The broker behind `reply.sse()`: publish, broadcast, send, stats. */
    sseBroker: Broker;
  }
  interface FastifyRequest {
    /** True when the client's `Accept` header admits `text/event-stream` (or is absent). */
    acceptsSse(): boolean;
  }
  interface FastifyReply {
    /**
     * Opens an event stream on this reply: admission (401/403/429/503 become normal Fastify
     * errors, before any byte), then headers collected on the reply (CORS, …) plus the SSE
     * headers, then replay after `Last-Event-ID`. Resolves to the live connection.
     * @example
     * ```ts
     * fastify.get('/events', { sse: true }, async (request, reply) => {
     *   const stream = await reply.sse({ topics: ['news'] });
     *   stream.send({ event: 'hello', data: 'welcome' });
     * });
     * ```
     */
    sse(options?: StreamOptions): Promise<Connection>;
  }
  interface RouteShorthandOptions {
    /** `true`: an event-stream-only route; clients that refuse `text/event-stream` get 406. */
    sse?: boolean;
  }
}

const plugin: FastifyPluginAsync<SsePluginOptions> = async (fastify, options) => {
  const { broker: given, closeBrokerOnClose = true, forceCloseAfter = 1_000, ...brokerOptions } = options;
  const broker: Broker = given ?? createBroker(brokerOptions);

  fastify.decorate('sseBroker', broker);
  fastify.decorateRequest('acceptsSse', function acceptsSse(this: FastifyRequest) {
    return acceptsEventStream(this.headers.accept);
  });
  fastify.decorateReply('sse', function sse(this: FastifyReply, streamOptions: StreamOptions = {}) {
    return broker.stream(toStreamRequest(this.request.raw, this.request), streamOptions, () => {
      // From here on the response is ours: Fastify must not send anything itself.
      this.hijack();
      return createNodeSink(this.raw, { headers: this.getHeaders() });
    });
  });

  fastify.addHook('onRoute', (route) => {
    if ((route as { sse?: boolean }).sse !== true) return;
    const refuseOthers = async (request: FastifyRequest) => {
      if (!request.acceptsSse())
        throw new SseRejectedError(406, 'This route only serves text/event-stream; send `Accept: text/event-stream`.');
    };
    route.onRequest = [...toArray(route.onRequest), refuseOthers] as typeof route.onRequest;
  });

  if (closeBrokerOnClose) {
    fastify.addHook('preClose', async () => {
      await broker.close();
      if (forceCloseAfter !== false) dropConnectionsAfter(fastify.server, forceCloseAfter);
    });
  }
};

/** Drops what is still connected `ms` from now, unless the server has closed by then. */
function dropConnectionsAfter(
  server: { closeAllConnections?: () => void; once(event: 'close', listener: () => void): unknown },
  ms: number,
) {
  const timer = setTimeout(() => server.closeAllConnections?.(), ms);
  timer.unref?.();
  server.once('close', () => clearTimeout(timer));
}

function toArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * The Fastify plugin: `await fastify.register(ssePlugin, options)` adds `reply.sse()`,
 * `request.acceptsSse()`, the `sse: true` route option and `fastify.sseBroker`.
 *
 * @example
 * ```ts
 * await fastify.register(ssePlugin, { heartbeatInterval: 15_000 });
 * setInterval(() => fastify.sseBroker.publish('clock', { data: Date.now() }), 2000);
 * fastify.get('/events', { sse: true }, async (_req, reply) => { await reply.sse({ topics: ['clock'] }); });
 * ```
 */
export const ssePlugin = fp(plugin, { fastify: '5.x', name: '@ssekit/fastify' });
