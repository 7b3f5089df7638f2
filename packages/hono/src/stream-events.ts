import {
  type AdmissionRequest,
  type Broker,
  type Connection,
  createWebSink,
  type EventMap,
  fromFetchRequest,
  type RegisteredEvents,
  type RegisteredPrincipal,
  type RegisteredTopics,
  refusalResponse,
  type StreamOptions,
  type StreamSource,
  type TopicMap,
} from '@ssekit/core';
import { createNodeSink, type NodeResponse } from '@ssekit/core/node';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
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
 * `ReadableStream` and ends when `c.req.raw.signal` aborts. A refused stream (406 for a client
 * that refuses `text/event-stream`, 401/403/429/503) is answered here, before any byte, with its
 * status, `Retry-After` and a short text body: a refusal is an answer, not a fault, so it does
 * not go through `app.onError` (which would turn it into a 500 in many apps). A failing
 * `authorize` hook (`SseHookError`) is thrown, for `app.onError` to answer with a 500.
 * Headers set earlier on `c` (by `hono/cors`, for example) go out with the stream.
 *
 * @param then - what runs on the open stream: a callback that gets the connection (on Fetch
 *   runtimes it runs after the `Response` is returned, so it may keep sending for as long as it
 *   likes), or a source (an async generator, a `ReadableStream`, …) piped into the stream, which
 *   ends when the source does; the iterator's `return()` is called when the client leaves. A
 *   callback that throws, or a source that fails, is reported through the broker's `onError` and
 *   the stream ends.
 * @example
 * ```ts fragment
 * app.get('/events', (c) => streamEvents(c, { broker, topics: ['news'] }, (stream) => {
 *   stream.send({ event: 'hello', data: 'welcome' });
 * }));
 * app.get('/tokens', (c) => streamEvents(c, { broker }, llm.stream(prompt)));
 * ```
 */
export async function streamEvents<E extends EventMap = RegisteredEvents, P = RegisteredPrincipal, T extends TopicMap = RegisteredTopics>(
  c: Context,
  options: StreamEventsOptions<E, P, T>,
  then?: ((connection: Connection<E, P, T>) => unknown) | StreamSource,
): Promise<Response> {
  const { broker, ...given } = options;
  const streamOptions = { route: c.req.routePath, ...given }; // the route's template labels its metrics
  const request = fromFetchRequest(c.req.raw, c);
  const outgoing = nodeResponseOf(c);
  try {
    if (outgoing) {
      await broker.stream(
        request,
        streamOptions,
        (headers) => {
          const sink = createNodeSink(outgoing, { headers: { ...Object.fromEntries(c.res.headers), ...headers } });
          claimResponse(outgoing, sink);
          return sink;
        },
        then,
      );
      return alreadySent();
    }
    // Bun's per-request idle timeout (10 s by default) would cut a quiet stream between heartbeats.
    liftIdleTimeout(c);
    const { sink, stream, headers } = createWebSink({ signal: requestSignal(c) });
    let own: Readonly<Record<string, string>> | undefined;
    await broker.stream(
      request,
      streamOptions,
      (streamHeaders) => {
        own = streamHeaders;
        return sink;
      },
      then,
    );
    return c.body(stream, 200, { ...headers, ...own });
  } catch (error) {
    const refusal = refusalResponse(error);
    if (!refusal) throw error;
    return c.text(refusal.body, refusal.status as ContentfulStatusCode, refusal.headers);
  }
}

/** The Node response behind `c` when Hono runs on `@hono/node-server` (`c.env.outgoing`). */
function nodeResponseOf(c: Context): NodeResponse | undefined {
  const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return outgoing && typeof (outgoing as NodeResponse).writeHead === 'function' ? (outgoing as NodeResponse) : undefined;
}

/**
 * On Bun, `c.env` is the server, whose `timeout(request, seconds)` sets one request's idle
 * timeout: 0 lifts it for the stream (heartbeats keep proxies and clients from giving up).
 * Other runtimes have no such timeout on a streaming response, or no such method.
 */
function liftIdleTimeout(c: Context): void {
  const server = c.env as { timeout?: (request: Request, seconds: number) => void } | undefined;
  if (typeof server?.timeout === 'function') server.timeout(c.req.raw, 0);
}

/**
 * The request's abort signal, which ends the stream when the client leaves; none on Deno, where
 * reading `request.signal` prints a warning about its legacy behaviour (it also aborts after a
 * successful response) and the runtime cancels the body stream itself when the client leaves.
 */
function requestSignal(c: Context): AbortSignal | undefined {
  return 'Deno' in globalThis ? undefined : c.req.raw.signal;
}
