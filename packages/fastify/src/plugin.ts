import {
  type AdmissionRequest,
  acceptsEventStream,
  type Broker,
  type BrokerOptions,
  type Connection,
  type EventMap,
  notAcceptable,
  type RegisteredEvents,
  type RegisteredPrincipal,
  type RegisteredTopics,
  resolveBroker,
  type SourceOptions,
  type StreamOptions,
  type StreamSource,
  sseArguments,
  type TopicMap,
} from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/**
 * What the admission hooks (`authorize`, `authorizeTopic`, `clientId`) receive from this adapter:
 * `request.raw` is the Fastify request (`request.raw.cookies`, `request.raw.user`, …).
 */
export type FastifyStreamRequest = AdmissionRequest<FastifyRequest>;

/** The broker behind `reply.eventStream()`, typed by the app's `Register` declaration of `@ssekit/core`. */
export type FastifySseBroker = Broker<RegisteredEvents, RegisteredPrincipal, RegisteredTopics>;

/** Any broker when no events are registered; one of the registered events when they are. */
// biome-ignore lint/suspicious/noExplicitAny: whatever its principal and topics (and events, when none are registered)
type BrokerOption = string extends keyof RegisteredEvents ? Broker<any, any, any> : Broker<RegisteredEvents, any, any>;

/**
 * Options of {@link ssePlugin}: a broker to use, or options to create one. The hooks'
 * `request.raw` is the Fastify request, and `authorize` returns the registered principal.
 */
export interface SsePluginOptions extends BrokerOptions<RegisteredPrincipal, FastifyRequest> {
  /**
   * The broker to stream from; one is created from the other options when omitted. Its events
   * must be the ones registered in `Register` (declare them there to type `fastify.sseBroker`).
   */
  broker?: BrokerOption;
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

// Names chosen so that `@fastify/sse` can be installed beside this plugin (it declares `reply.sse`
// as a property and `sse` as a route option, with other shapes): nothing here merges with them.
declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The broker behind `reply.eventStream()`: publish, broadcast, send, stats. Typed by the
     * `Register` declaration of `@ssekit/core` (untyped without one).
     */
    sseBroker: FastifySseBroker;
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
     * Resolves to the live connection, typed by the `Register` declaration of `@ssekit/core` (or
     * by explicit generics).
     *
     * Called `reply.sse()` in earlier releases: renamed so that `@fastify/sse` can be installed beside it.
     * @example
     * ```ts fragment
     * fastify.get('/events', { eventStream: true }, async (request, reply) => {
     *   const stream = await reply.eventStream({ topics: ['news'] });
     *   stream.send({ event: 'notice', data: 'welcome' });
     * });
     * ```
     */
    eventStream<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>(
      options?: StreamOptions<NoInfer<T>>,
    ): Promise<Connection<E, P, T>>;
    /**
     * Opens an event stream and pipes `source` into it (an async generator, a `ReadableStream`,
     * …; see `connection.pipe`), ending the stream when the source ends and calling the
     * iterator's `return()` when the client leaves. A source that throws is reported through the
     * broker's `onError`. Resolves to the connection once it is open.
     * @example
     * ```ts fragment
     * fastify.get('/tokens', async (request, reply) => reply.eventStream(llm.stream(prompt)));
     * ```
     */
    eventStream<I, E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>(
      source: StreamSource<I>,
      options?: SourceOptions<I, E> & StreamOptions<NoInfer<T>>,
    ): Promise<Connection<E, P, T>>;
  }
  interface RouteShorthandOptions {
    /**
     * `true`: an event-stream-only route; clients that refuse `text/event-stream` get 406 before
     * any hook or handler runs (`reply.eventStream()` answers them 406 on any route; a dual route
     * checks `request.acceptsSse()` before calling it). Called `sse: true` in earlier releases;
     * that name is `@fastify/sse`'s.
     */
    eventStream?: boolean;
  }
}

const plugin: FastifyPluginAsync<SsePluginOptions> = async (fastify, options) => {
  const { broker: given, closeBrokerOnClose = true, forceCloseAfter = 1_000, ...brokerOptions } = options;
  const broker: Broker = resolveBroker({ broker: given, ...(brokerOptions as BrokerOptions) });

  fastify.decorate('sseBroker', broker as FastifySseBroker);
  fastify.decorateRequest('acceptsSse', function acceptsSse(this: FastifyRequest) {
    return acceptsEventStream(this.headers.accept);
  });
  fastify.decorateReply(
    'eventStream',
    function eventStream(this: FastifyReply, first?: StreamOptions | StreamSource, second?: SourceOptions) {
      const { options: streamOptions, body } = sseArguments(first, second);
      return broker.stream(
        toStreamRequest(this.request.raw, this.request),
        { route: this.request.routeOptions.url, ...streamOptions }, // the route's template labels its metrics
        (headers) => {
          // From here on the response is ours: Fastify must not send anything itself.
          this.hijack();
          return createNodeSink(this.raw, { headers: { ...this.getHeaders(), ...headers } });
        },
        body,
      );
    },
  );

  fastify.addHook('onRoute', (route) => {
    if ((route as { eventStream?: boolean }).eventStream !== true) return;
    // `reply.eventStream()` refuses such clients too; this answers them before body parsing and handlers run.
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
 * The Fastify plugin: `await fastify.register(ssePlugin, options)` adds `reply.eventStream()`,
 * `request.acceptsSse()`, the `eventStream: true` route option and `fastify.sseBroker`.
 *
 * @example
 * ```ts
 * await fastify.register(ssePlugin, { heartbeatInterval: 15_000 });
 * setInterval(() => fastify.sseBroker.publish('clock', { data: Date.now() }), 2000);
 * fastify.get('/events', { eventStream: true }, async (_req, reply) => { await reply.eventStream({ topics: ['clock'] }); });
 * ```
 */
export const ssePlugin = fp(plugin, { fastify: '5.x', name: '@ssekit/fastify' });
