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
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { releaseRouterState } from './release.js';

/**
 * What the admission hooks (`authorize`, `authorizeTopic`, `clientId`) receive from this adapter:
 * `request.raw` is the Express `req` (`req.raw.cookies` with `cookie-parser`, `req.raw.user`, …).
 */
export type ExpressStreamRequest = AdmissionRequest<Request>;

/**
 * Options of {@link expressSse}: a broker to use, or options to create one (its hooks'
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
    interface Response {
      /**
       * Opens an event stream on this response. Admission failures (401/403/429/503) reject with
       * an `SseRejectedError` carrying `status` and `headers`, before any byte is sent; Express 5
       * hands it to your error handlers. Resolves to the live connection, typed by the `Register`
       * declaration of `@ssekit/core` (or by explicit generics).
       * @example
       * ```ts
       * app.get('/events', async (req, res) => {
       *   const stream = await res.sse({ topics: ['news'] });
       *   stream.send({ event: 'hello', data: 'welcome' });
       * });
       * ```
       */
      sse<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>(
        options?: StreamOptions<NoInfer<T>>,
      ): Promise<Connection<E, P, T>>;
    }
  }
}

/**
 * Express middleware that adds `res.sse()`. Headers set before it (by `cors`, for example) are
 * sent with the stream. Works behind `compression`: event streams carry
 * `Cache-Control: no-transform`, which `compression` honours by not compressing them.
 *
 * @example
 * ```ts
 * const sse = expressSse({ heartbeatInterval: 15_000 });
 * app.use(sse);
 * setInterval(() => sse.broker.publish('clock', { data: Date.now() }), 2000);
 * app.get('/events', async (req, res) => { await res.sse({ topics: ['clock'] }); });
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
  const { broker: given, ...brokerOptions } = options;
  const broker = given ?? (createBroker(brokerOptions as BrokerOptions<P>) as Broker<E, P>);
  // `res.sse()` is declared once for all apps (typed by the app's `Register`), so it hands out untyped connections.
  const untyped = broker as unknown as Broker;
  const middleware = (req: Request, res: Response, next: NextFunction) => {
    res.sse = ((streamOptions: StreamOptions = {}) =>
      untyped.stream(toStreamRequest(req), streamOptions, () => {
        releaseRouterState(req);
        return createNodeSink(res);
      })) as Response['sse'];
    next();
  };
  return Object.assign(middleware, { broker });
}
