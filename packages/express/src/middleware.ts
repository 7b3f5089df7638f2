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
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { releaseRouterState } from './release.js';

/**
 * What the admission hooks (`authorize`, `authorizeTopic`, `clientId`) receive from this adapter:
 * `request.raw` is the Express `req` (`req.raw.cookies` with `cookie-parser`, `req.raw.user`, …).
 */
export type ExpressStreamRequest = AdmissionRequest<Request>;

/**
 * Options of {@link expressSse}: a broker to use, or options to create one (not both; its hooks'
 * `request.raw` is the Express `req`).
 */
export interface ExpressSseOptions<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>
  extends BrokerOptions<P, Request> {
  /** The broker to stream from (typed or not); one is created from the other options when omitted. */
  broker?: Broker<E, P, T>;
}

/** The middleware, with the broker it streams from. */
export interface ExpressSse<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>
  extends RequestHandler {
  /** Publish, broadcast, send, stats, close: typed like the broker given, or by the app's `Register`. */
  readonly broker: Broker<E, P, T>;
}

declare global {
  namespace Express {
    interface Locals {
      /**
       * The broker behind `res.sse()`: set by `expressSse()` on `res.locals` for every request it
       * passes, and on `app.locals` from the first one on (at start-up, use the middleware's
       * `.broker`). Absent where the middleware did not run.
       */
      sseBroker?: Broker;
    }
    interface Response {
      /**
       * Opens an event stream on this response. Refusals (406 for a client that refuses
       * `text/event-stream`, 401/403/429/503) reject with an `SseRejectedError` carrying `status`
       * and `headers`, before any byte is sent; Express 5 hands it to your error handlers.
       * Resolves to the live connection, typed by the `Register` declaration of `@ssekit/core`
       * (or by explicit generics). Without `app.use(expressSse())` in front of the route it
       * rejects with an `SseError` that says so.
       * @example
       * ```ts fragment
       * app.get('/events', async (req, res) => {
       *   const stream = await res.sse({ topics: ['news'] });
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
       * app.get('/tokens', async (req, res) => { await res.sse(llm.stream(prompt)); });
       * ```
       */
      sse<I, E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>(
        source: StreamSource<I>,
        options?: SourceOptions<I, E> & StreamOptions<NoInfer<T>>,
      ): Promise<Connection<E, P, T>>;
    }
  }
}

/**
 * `res.sse()` lives on Express's response prototype, so it exists on every response once this
 * package is loaded (as its type says) and can explain itself where the middleware did not run.
 * Each request carries only its broker, on `res.locals` (no closure per request).
 */
function sse(this: Response, first?: StreamOptions | StreamSource, second?: SourceOptions): Promise<Connection> {
  const broker = (this.locals as { sseBroker?: Broker } | undefined)?.sseBroker;
  if (broker === undefined) return Promise.reject(missingMiddleware('res.sse()', 'app.use(expressSse())'));
  const { options, body } = sseArguments(first, second);
  const req = this.req;
  const path: unknown = req.route?.path; // the route's template labels its metrics
  return broker.stream(
    toStreamRequest(req),
    { route: typeof path === 'string' ? `${req.baseUrl}${path}` : undefined, ...options },
    (headers) => {
      releaseRouterState(req);
      return createNodeSink(this, { headers });
    },
    body,
  );
}

Object.defineProperty(express.response, 'sse', { value: sse, configurable: true, writable: true });

/**
 * Express middleware that makes `res.sse()` stream from its broker. Headers set before it (by
 * `cors`, for example) are sent with the stream. Works behind `compression`: event streams carry
 * `Cache-Control: no-transform`, which `compression` honours by not compressing them.
 *
 * The broker is reachable from the middleware (`.broker`), from every request it passed
 * (`res.locals.sseBroker`) and from the app (`app.locals.sseBroker`, once a request passed it).
 *
 * @example
 * ```ts fragment
 * const sse = expressSse({ heartbeatInterval: 15_000 });
 * app.use(sse);
 * setInterval(() => sse.broker.publish('clock', { data: Date.now() }), 2000);
 * app.get('/events', async (req, res) => { await res.sse({ topics: ['clock'] }); });
 * app.post('/news', express.json(), async (req, res) => { res.json({ id: await res.locals.sseBroker?.publish('news', { data: req.body }) }); });
 * ```
 */
export function expressSse<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>(
  options: ExpressSseOptions<E, P, T> & ({ broker: Broker<E, P, T> } | Authorized<P, Request>),
): ExpressSse<E, P, T>;
/** Without `authorize` (and without a broker) a stream's principal is `undefined`: `P | undefined`. */
export function expressSse<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>(
  options?: ExpressSseOptions<E, P, T>,
): ExpressSse<E, P | undefined, T>;
export function expressSse<E extends EventMap, P>(options: ExpressSseOptions<E, P> = {}): ExpressSse<E, P> {
  const broker = resolveBroker<E, P>(options as BrokerOrOptions<E, P>);
  // `res.locals.sseBroker` is declared once for all apps, so it holds an untyped broker.
  const untyped = broker as unknown as Broker;
  const middleware = (req: Request, res: Response, next: NextFunction) => {
    res.locals.sseBroker = untyped;
    req.app.locals.sseBroker ??= untyped;
    next();
  };
  return Object.assign(middleware, { broker });
}
