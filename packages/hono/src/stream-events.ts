import {
  type AdmissionRequest,
  type Broker,
  type Connection,
  createWebSink,
  type EventMap,
  fromFetchRequest,
  isSseError,
  type RegisteredEvents,
  type RegisteredPrincipal,
  type RegisteredTopics,
  type SseRejectedError,
  type StreamOptions,
  type TopicMap,
} from '@ssekit/core';
import { createNodeSink, type NodeResponse } from '@ssekit/core/node';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { claimResponse } from './claim-response.js';

/**
 * What the admission hooks (`authorize`, `authorizeTopic`, `clientId`) receive from this adapter:
 * `request.raw` is the Hono context `c` (`request.raw.req.header('cookie')`, `request.raw.get('user')`, …).
 * Annotate the hook with it: `createBroker({ authorize: (request: HonoStreamRequest) => … })`.
 */
export type HonoStreamRequest = AdmissionRequest<Context>;

/** Options of {@link streamEvents}. */
export interface StreamEventsOptions<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>
  extends StreamOptions<T> {
  /** The broker to stream from (typed or not); its types type the connection. */
  broker: Broker<E, P, T>;
}

/**
 * `@hono/node-server` skips writing a response that carries `x-hono-already-sent` (its
 * `RESPONSE_ALREADY_SENT`), but only when it is a native `Response`: `serve()` swaps in a
 * lightweight subclass whose instances take a path that ignores the header. So build it from the
 * native class, which the lightweight one keeps as its parent, without importing node-server.
 */
function alreadySent(): Response {
  const parent: unknown = Object.getPrototypeOf(Response);
  const Native = typeof parent === 'function' && parent !== Function.prototype ? (parent as typeof Response) : Response;
  return new Native(null, { headers: { 'x-hono-already-sent': 'true' } });
}

/**
 * Opens an event stream for a Hono route and returns its `Response`.
 *
 * On Node under `@hono/node-server` it writes through core's Node bridge (the fast path: no Web
 * Streams in between); on Bun, Deno, Workers and other Fetch runtimes it streams through a
 * `ReadableStream` and ends when `c.req.raw.signal` aborts. Admission failures (401/403/429/503)
 * throw an `HTTPException` (its `cause` is the `SseRejectedError`, its response carries the status and
 * `Retry-After`) into Hono's `onError`, before any byte.
 * Headers set earlier on `c` (by `hono/cors`, for example) go out with the stream.
 *
 * @param onOpen - called with the live connection; on Fetch runtimes it runs after the
 *   `Response` is returned, so it may keep sending for as long as it likes.
 * @example
 * ```ts
 * app.get('/events', (c) => streamEvents(c, { broker, topics: ['news'] }, (stream) => {
 *   stream.send({ event: 'hello', data: 'welcome' });
 * }));
 * ```
 */
export async function streamEvents<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>(
  c: Context,
  options: StreamEventsOptions<E, P, T>,
  onOpen?: (connection: Connection<E, P, T>) => unknown,
): Promise<Response> {
  const { broker, ...streamOptions } = options;
  const request = fromFetchRequest(c.req.raw, c);
  const outgoing = nodeResponseOf(c);
  try {
    if (outgoing) {
      const connection = await broker.stream(request, streamOptions, () => {
        const sink = createNodeSink(outgoing, { headers: Object.fromEntries(c.res.headers) });
        claimResponse(outgoing, sink);
        return sink;
      });
      runOnOpen(connection, onOpen);
      return alreadySent();
    }
    const { sink, stream, headers } = createWebSink({ signal: c.req.raw.signal });
    const connection = await broker.stream(request, streamOptions, () => sink);
    queueMicrotask(() => runOnOpen(connection, onOpen));
    return c.body(stream, 200, { ...headers });
  } catch (error) {
    // By code, not `instanceof`: the refusal may come from another copy of core in the process.
    throw isSseError(error) && error.code === 'REJECTED' ? toHttpException(error as SseRejectedError) : error;
  }
}

/** Hono answers an `HTTPException` with its response; other errors become 500s. */
function toHttpException(error: SseRejectedError): HTTPException {
  const res = new Response(error.message, {
    status: error.status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...error.headers },
  });
  return new HTTPException(error.status as 400, { res, message: error.message, cause: error });
}

function runOnOpen<E extends EventMap, P, T extends TopicMap>(
  connection: Connection<E, P, T>,
  onOpen?: (connection: Connection<E, P, T>) => unknown,
): void {
  if (!onOpen) return;
  // An error after the head is sent cannot become an error response; end the stream instead.
  Promise.resolve()
    .then(() => onOpen(connection))
    .catch(() => connection.close());
}

/** The Node response behind `c` when Hono runs on `@hono/node-server` (`c.env.outgoing`). */
function nodeResponseOf(c: Context): NodeResponse | undefined {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return outgoing && typeof (outgoing as NodeResponse).writeHead === 'function' ? (outgoing as NodeResponse) : undefined;
}
