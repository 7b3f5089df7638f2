/**
 * The policy every adapter shares, written once: which broker an adapter streams from, how
 * `sse(...)` reads its arguments, and how a refusal becomes a response.
 */
import { type Broker, createBroker } from './broker.js';
import type { BrokerOptions, StreamOptions } from './broker-options.js';
import type { PipeOptions } from './connection.js';
import { isSseError, SseError, type SseRejectedError } from './errors.js';
import { isStreamSource, type StreamBody, type StreamSource } from './source.js';
import type { EventMap } from './types.js';

/** An adapter's options: a broker to use, or the options to create one (never both). */
export type BrokerOrOptions<E extends EventMap = EventMap, P = unknown> = BrokerOptions<P> & {
  /** The broker to stream from; one is created from the other options when omitted. */
  broker?: Broker<E, P>;
};

/**
 * The broker an adapter streams from: the one given, or a new one made from the broker options.
 * Giving both is a mistake (the options would be ignored silently), so it throws.
 *
 * @throws TypeError when `broker` is given together with broker options.
 * @example
 * ```ts
 * const broker = resolveBroker({ heartbeatInterval: 5_000 }); // a new broker
 * resolveBroker({ broker }) === broker; // true
 * ```
 */
export function resolveBroker<E extends EventMap = EventMap, P = unknown>(options: BrokerOrOptions<E, P> = {}): Broker<E, P> {
  const { broker, ...brokerOptions } = options;
  // The adapters' own overloads decide whether P may be undefined (no `authorize`); here it is P.
  if (broker === undefined) return createBroker<E, P>(brokerOptions) as Broker<E, P>;
  // Only broker options count: a framework may pass its own (Fastify's `prefix`) alongside.
  const ignored = Object.keys(brokerOptions).filter(
    (key) => Object.hasOwn(BROKER_OPTION_KEYS, key) && brokerOptions[key as keyof typeof brokerOptions] !== undefined,
  );
  if (ignored.length > 0) {
    throw new TypeError(
      `Pass either a broker or broker options, not both: ${ignored.join(', ')} would be ignored. Set them in createBroker().`,
    );
  }
  return broker;
}

/** Every key of `BrokerOptions`; `satisfies` keeps the list complete as options are added. */
const BROKER_OPTION_KEYS = {
  authorize: true,
  authorizeTopic: true,
  clientId: true,
  maxConnections: true,
  maxConnectionsPerClient: true,
  maxTopicsPerConnection: true,
  retryAfter: true,
  serialize: true,
  schemas: true,
  transport: true,
  history: true,
  heartbeatInterval: true,
  closeUnresponsive: true,
  maxBufferedBytes: true,
  retry: true,
  maxDuration: true,
  resumable: true,
  presence: true,
  closeTimeout: true,
  onConnect: true,
  onDisconnect: true,
  onError: true,
} satisfies Record<keyof BrokerOptions, true>;

/** The second argument of `sse(source, options)`: where to stream, and how to turn items into events. */
export type SourceOptions<T = unknown, E extends EventMap = EventMap> = StreamOptions & PipeOptions<T, E>;

/**
 * Reads the arguments of an adapter's `sse()`: `sse(options?)` opens a stream for the route to
 * use; `sse(source, options?)` opens one and pipes `source` into it, closing it when the source
 * ends (see `Connection.pipe`). Returns the stream options and the body for `broker.stream()`.
 */
export function sseArguments(
  first: StreamOptions | StreamSource | undefined,
  second: SourceOptions | undefined,
): { options: StreamOptions; body: StreamBody | undefined } {
  if (!isStreamSource(first)) return { options: (first as StreamOptions | undefined) ?? {}, body: undefined };
  const { map, onError, ...options } = second ?? {};
  // A resumable stream's producer maps items itself (its failure event is `resumable.onError`).
  if (options.resumable) {
    const resumable = { ...(options.resumable === true ? {} : options.resumable), ...(map && { map }) };
    return { options: { ...options, resumable }, body: first };
  }
  if (map === undefined && onError === undefined) return { options, body: first };
  const pipeOptions = { ...(map && { map }), ...(onError && { onError }) };
  return { options, body: (connection) => connection.pipe(first, pipeOptions).then(() => connection.close()) };
}

/**
 * The refusal in `error`, when it is one: an `SseRejectedError` from this copy of ssekit or
 * another (matched by its code, not `instanceof`).
 */
export function refusalOf(error: unknown): SseRejectedError | undefined {
  return isSseError(error) && error.code === 'REJECTED' ? (error as SseRejectedError) : undefined;
}

/** A refusal as an HTTP response: see {@link refusalResponse}. */
export interface RefusalResponse {
  readonly status: number;
  /** `content-type: text/plain; charset=utf-8` and the refusal's own headers (`retry-after`, …). */
  readonly headers: Record<string, string>;
  /** The refusal's message, written for clients. */
  readonly body: string;
}

/**
 * The response that answers a refused stream (401, 403, 406, 429, 503, …), or `undefined` when
 * `error` is not a refusal (a fault: let the framework answer it with a 500). Adapters whose
 * framework reads `status`/`expose`/`headers` off a thrown error (Fastify, Express, Koa) rethrow
 * the refusal; the others (Hono, plain `node:http`) answer with this.
 *
 * @example
 * ```ts fragment
 * try {
 *   await broker.stream(toStreamRequest(req), {}, () => createNodeSink(res));
 * } catch (error) {
 *   const refusal = refusalResponse(error);
 *   if (!refusal) throw error;
 *   res.writeHead(refusal.status, refusal.headers).end(refusal.body);
 * }
 * ```
 */
export function refusalResponse(error: unknown): RefusalResponse | undefined {
  const refusal = refusalOf(error);
  if (!refusal) return undefined;
  return {
    status: refusal.status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...refusal.headers },
    body: refusal.message,
  };
}

/**
 * The error an adapter's `sse()` rejects with when its middleware did not run for the request
 * (code `NOT_INSTALLED`): it names the call and what to add, instead of `x.sse is not a function`.
 *
 * @example
 * ```ts
 * missingMiddleware('res.sse()', 'app.use(expressSse())').message
 * // 'res.sse() needs the ssekit middleware in front of this route: add `app.use(expressSse())` before it.'
 * ```
 */
export function missingMiddleware(call: string, install: string): SseError {
  return new SseError('NOT_INSTALLED', `${call} needs the ssekit middleware in front of this route: add \`${install}\` before it.`);
}
