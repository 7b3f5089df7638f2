import { type Broker, type BrokerOptions, type Connection, createBroker, type StreamOptions } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Options of {@link expressSse}: a broker to use, or options to create one. */
export interface ExpressSseOptions extends BrokerOptions {
  /** The broker to stream from; one is created from the other options when omitted. */
  broker?: Broker;
}

/** The middleware, with the broker it streams from. */
export interface ExpressSse extends RequestHandler {
  /** Publish, broadcast, send, stats, close. */
  readonly broker: Broker;
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
export function expressSse(options: ExpressSseOptions = {}): ExpressSse {
  const { broker: given, ...brokerOptions } = options;
  const broker = given ?? createBroker(brokerOptions);
  const middleware = (req: Request, res: Response, next: NextFunction) => {
    res.sse = (streamOptions: StreamOptions = {}) => broker.stream(toStreamRequest(req), streamOptions, () => createNodeSink(res));
    next();
  };
  return Object.assign(middleware, { broker });
}
