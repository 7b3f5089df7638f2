import {
  type AdmissionRequest,
  type Authorized,
  type Broker,
  type BrokerOptions,
  type BrokerOrOptions,
  type Connection,
  type EventMap,
  missingMiddleware,
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
import Koa, { type Context, type Middleware, type Next } from 'koa';
import { releaseKoaHook } from './release.js';

/**
 * What the admission hooks (`authorize`, `authorizeTopic`, `clientId`) receive from this adapter:
 * `request.raw` is the Koa `ctx` (`request.raw.cookies.get('sid')`, `request.raw.state.user`, …).
 */
export type KoaStreamRequest = AdmissionRequest<Context>;

/**
 * Options of {@link koaSse}: a broker to use, or options to create one (not both; its hooks'
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
     * The broker behind `ctx.sse()`: set by `koaSse()` on every request it passes, and on
     * `app.context` from the first one on (at start-up, use the middleware's `.broker`).
     * Absent until the middleware ran.
     */
    sseBroker?: Broker;
    /**
     * Opens an event stream on this request. Refusals (406 for a client that refuses
     * `text/event-stream`, 401/403/429/503) throw an `SseRejectedError` with `status`, `expose`
     * and `headers`, which Koa's error handling answers like `ctx.throw()`, before any byte is
     * sent. Resolves to the live connection, typed by the `Register` declaration of
     * `@ssekit/core` (or by explicit generics). Without `app.use(koaSse())` it rejects with an
     * `SseError` that says so.
     * @example
     * ```ts fragment
     * router.get('/events', async (ctx) => {
     *   const stream = await ctx.sse({ topics: ['news'] });
     *   stream.send({ event: 'hello', data: 'welcome' });
     * });
     * ```
     */
    sse<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>(
      options?: StreamOptions<NoInfer<T>>,
    ): Promise<Connection<E, P, T>>;
    /**
     * Opens an event stream and pipes `source` into it (an async generator, a `ReadableStream`,
     * …; see `connection.pipe`), ending the stream when the source ends and calling the
     * iterator's `return()` when the client leaves. A source that throws is reported through
     * the broker's `onError`. Resolves to the connection once it is open.
     * @example
     * ```ts fragment
     * router.get('/tokens', async (ctx) => { await ctx.sse(llm.stream(prompt)); });
     * ```
     */
    sse<I, E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>(
      source: StreamSource<I>,
      options?: SourceOptions<I, E> & StreamOptions<NoInfer<T>>,
    ): Promise<Connection<E, P, T>>;
  }
}

/**
 * `ctx.sse()` lives on Koa's base context, the prototype of every app's `app.context`, so it
 * exists on every context once this package is loaded (as its type says) and can explain itself
 * where the middleware did not run. Each request carries only its broker (no closure per request).
 */
function sse(this: Context, first?: StreamOptions | StreamSource, second?: SourceOptions): Promise<Connection> {
  const broker = this.sseBroker;
  if (broker === undefined) return Promise.reject(missingMiddleware('ctx.sse()', 'app.use(koaSse())'));
  const { options, body } = sseArguments(first, second);
  const matched: unknown = (this as { _matchedRoute?: unknown })._matchedRoute; // @koa/router's template labels its metrics
  return broker.stream(
    toStreamRequest(this.req, this),
    { route: typeof matched === 'string' ? matched : undefined, ...options },
    (headers) => {
      this.respond = false;
      releaseKoaHook(this.res);
      return createNodeSink(this.res, { headers });
    },
    body,
  );
}

Object.defineProperty(Object.getPrototypeOf(new Koa().context), 'sse', { value: sse, configurable: true, writable: true });

/**
 * Koa middleware that makes `ctx.sse()` stream from its broker. Headers set before the stream
 * opens (by `@koa/cors`, for example) are sent with it. Once open, Koa steps aside
 * (`ctx.respond = false`): no double responses, and nothing is piped, so a client leaving raises
 * no `ERR_STREAM_PREMATURE_CLOSE`. Koa's own finish hook is released too: a client that resets its
 * connection is not reported as an app `error`, and an idle stream does not keep `ctx` alive.
 *
 * The broker is reachable from the middleware (`.broker`), from every request it passed
 * (`ctx.sseBroker`) and from the app (`app.context.sseBroker`, once a request passed it).
 *
 * @example
 * ```ts fragment
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
  const broker = resolveBroker<E, P>(options as BrokerOrOptions<E, P>);
  // `ctx.sseBroker` is declared once for all apps, so it holds an untyped broker.
  const untyped = broker as unknown as Broker;
  const middleware = (ctx: Context, next: Next) => {
    ctx.sseBroker = untyped;
    ctx.app.context.sseBroker ??= untyped;
    return next();
  };
  return Object.assign(middleware, { broker });
}
