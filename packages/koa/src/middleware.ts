import {
  type AdmissionRequest,
  type Authorized,
  type Broker,
  type BrokerOptions,
  type Connection,
  createBroker,
  type EventMap,
  type RegisteredEvents,
  type RegisteredPrincipal,
  type RegisteredTopics,
  type StreamOptions,
  type TopicMap,
} from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import type { Context, Middleware, Next } from 'koa';
import { releaseKoaHook } from './release.js';

/**
 * What the admission hooks (`authorize`, `authorizeTopic`, `clientId`) receive from this adapter:
 * `request.raw` is the Koa `ctx` (`request.raw.cookies.get('sid')`, `request.raw.state.user`, …).
 */
export type KoaStreamRequest = AdmissionRequest<Context>;

/**
 * Options of {@link koaSse}: a broker to use, or options to create one (its hooks'
 * `request.raw` is the Koa `ctx`).
 */
export interface KoaSseOptions<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>
  extends BrokerOptions<P, Context> {
  /** The broker to stream from (typed or not); one is created from the other options when omitted. */
  broker?: Broker<E, P, T>;
}

/** The middleware, with the broker it streams from. */
export interface KoaSse<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>
  extends Middleware {
  /** Publish, broadcast, send, stats, close: typed like the broker given, or by the app's `Register`. */
  readonly broker: Broker<E, P, T>;
}

declare module 'koa' {
  interface BaseContext {
    /**
     * Opens an event stream on this request. Admission failures (401/403/429/503) throw an
     * `SseRejectedError` with `status`, `expose` and `headers`, which Koa's error handling
     * answers like `ctx.throw()`, before any byte is sent. Resolves to the live connection, typed
     * by the `Register` declaration of `@ssekit/core` (or by explicit generics).
     * @example
     * ```ts
     * router.get('/events', async (ctx) => {
     *   const stream = await ctx.sse({ topics: ['news'] });
     *   stream.send({ event: 'hello', data: 'welcome' });
     * });
     * ```
     */
    sse<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>(
      options?: StreamOptions<NoInfer<T>>,
    ): Promise<Connection<E, P, T>>;
  }
}

/**
 * Koa middleware that adds `ctx.sse()`. Headers set before the stream opens (by `@koa/cors`, for
 * example) are sent with it. Once open, Koa steps aside (`ctx.respond = false`): no double
 * responses, and nothing is piped, so a client leaving raises no `ERR_STREAM_PREMATURE_CLOSE`.
 * Koa's own finish hook is released too: a client that resets its connection is not reported as
 * an app `error`, and an idle stream does not keep `ctx` alive.
 *
 * @example
 * ```ts
 * const sse = koaSse();
 * app.use(sse);
 * setInterval(() => sse.broker.publish('clock', { data: Date.now() }), 2000);
 * router.get('/events', async (ctx) => { await ctx.sse({ topics: ['clock'] }); });
 * ```
 */
export function koaSse<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>(
  options: KoaSseOptions<E, P, T> & ({ broker: Broker<E, P, T> } | Authorized<P, Context>),
): KoaSse<E, P, T>;
/** Without `authorize` (and without a broker) a stream's principal is `undefined`: `P | undefined`. */
export function koaSse<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>(
  options?: KoaSseOptions<E, P, T>,
): KoaSse<E, P | undefined, T>;
export function koaSse<E extends EventMap, P>(options: KoaSseOptions<E, P> = {}): KoaSse<E, P> {
  const { broker: given, ...brokerOptions } = options;
  const broker = given ?? (createBroker(brokerOptions as BrokerOptions<P>) as Broker<E, P>);
  // `ctx.sse()` is declared once for all apps (typed by the app's `Register`), so it hands out untyped connections.
  const untyped = broker as unknown as Broker;
  const middleware = (ctx: Context, next: Next) => {
    ctx.sse = ((streamOptions: StreamOptions = {}) =>
      untyped.stream(toStreamRequest(ctx.req, ctx), streamOptions, () => {
        ctx.respond = false;
        releaseKoaHook(ctx.res);
        return createNodeSink(ctx.res);
      })) as Context['sse'];
    return next();
  };
  return Object.assign(middleware, { broker });
}
