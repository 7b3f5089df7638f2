import { type Broker, type BrokerOptions, type Connection, createBroker, type EventMap, type StreamOptions } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { releaseRouterState } from './release.js';

/** Options of {@link expressSse}: a broker to use, or options to create one. */
export interface ExpressSseOptions<E extends EventMap = EventMap, P = unknown> extends BrokerOptions<P> {
  /** The broker to stream from (typed or not); one is created from the other options when omitted. */
  broker?: Broker<E, P>;
}

/** The middleware, with the broker it streams from. */
export interface ExpressSse<E extends EventMap = EventMap, P = unknown> extends RequestHandler {
  /** Publish, broadcast, send, stats, close. */
  readonly broker: Broker<E, P>;
}

declare global {
  namespace Express {
    interface Response {
      /**
       * Opens an event stream on this response. Admission failures (401/403/429/503) reject with
       * an `SseRejectedError` carrying `status` and `headers`, before any byte is sent; Express 5
       * hands it to your error handlers. Resolves to the live connection.
       * @example
       * ```ts
       * app.get('/events', async (req, res) => {
       *   const stream = await res.sse({ topics: ['news'] });
       *   stream.send({ event: 'hello', data: 'welcome' });
       * });
       * ```
       */
      sse(options?: StreamOptions): Promise<Connection>;
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
export function expressSse<E extends EventMap = EventMap, P = unknown>(options: ExpressSseOptions<E, P> = {}): ExpressSse<E, P> {
  const { broker: given, ...brokerOptions } = options;
  const broker = given ?? createBroker<E, P>(brokerOptions);
  // `res.sse()` is declared once for all apps, so it hands out untyped connections.
  const untyped = broker as unknown as Broker;
  const middleware = (req: Request, res: Response, next: NextFunction) => {
    res.sse = (streamOptions: StreamOptions = {}) =>
      untyped.stream(toStreamRequest(req), streamOptions, () => {
        releaseRouterState(req);
        return createNodeSink(res);
      });
    next();
  };
  return Object.assign(middleware, { broker });
}
