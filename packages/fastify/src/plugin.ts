import {
  acceptsEventStream,
  type Broker,
  type BrokerOptions,
  type Connection,
  notAcceptable,
  resolveBroker,
  type SourceOptions,
  type StreamOptions,
  type StreamSource,
  sseArguments,
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
     * Opens an event stream on this reply: admission (406 for a client that refuses
     * `text/event-stream`, 401/403/429/503: normal Fastify errors, before any byte), then headers
     * collected on the reply (CORS, …) plus the SSE headers, then replay after `Last-Event-ID`.
     * Resolves to the live connection.
     * @example
     * ```ts fragment
     * fastify.get('/events', { sse: true }, async (request, reply) => {
     *   const stream = await reply.sse({ topics: ['news'] });
     *   stream.send({ event: 'hello', data: 'welcome' });
     * });
     * ```
     */
    sse(options?: StreamOptions): Promise<Connection>;
    /**
     * Opens an event stream and pipes `source` into it (an async generator, a `ReadableStream`,
     * …; see `connection.pipe`), ending the stream when the source ends and calling the
     * iterator's `return()` when the client leaves. A source that throws is reported through the
     * broker's `onError`. Resolves to the connection once it is open.
     * @example
     * ```ts fragment
     * fastify.get('/tokens', async (request, reply) => reply.sse(llm.stream(prompt)));
     * ```
     */
    sse<T>(source: StreamSource<T>, options?: SourceOptions<T>): Promise<Connection>;
  }
  interface RouteShorthandOptions {
    /**
     * `true`: an event-stream-only route; clients that refuse `text/event-stream` get 406 before
     * any hook or handler runs (`reply.sse()` answers them 406 on any route; a dual route checks
     * `request.acceptsSse()` before calling it).
     */
    sse?: boolean;
  }
}

const plugin: FastifyPluginAsync<SsePluginOptions> = async (fastify, options) => {
  const { broker: given, closeBrokerOnClose = true, forceCloseAfter = 1_000, ...brokerOptions } = options;
  const broker: Broker = resolveBroker({ broker: given, ...brokerOptions });

  fastify.decorate('sseBroker', broker);
  fastify.decorateRequest('acceptsSse', function acceptsSse(this: FastifyRequest) {
    return acceptsEventStream(this.headers.accept);
  });
  fastify.decorateReply('sse', function sse(this: FastifyReply, first?: StreamOptions | StreamSource, second?: SourceOptions) {
    const { options: streamOptions, body } = sseArguments(first, second);
    return broker.stream(
      toStreamRequest(this.request.raw, this.request),
      streamOptions,
      () => {
        // From here on the response is ours: Fastify must not send anything itself.
        this.hijack();
        return createNodeSink(this.raw, { headers: this.getHeaders() });
      },
      body,
    );
  });

  fastify.addHook('onRoute', (route) => {
    if ((route as { sse?: boolean }).sse !== true) return;
    // `reply.sse()` refuses such clients too; this answers them before body parsing and handlers run.
    const refuseOthers = async (request: FastifyRequest) => {
      const refusal = notAcceptable(request.headers.accept);
      if (refusal) throw refusal;
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
