import { SSE_HEADERS } from './headers.js';
import type { StreamRequest } from './request.js';
import type { Sink } from './sink.js';

/** Options of {@link createWebSink}. */
export interface WebSinkOptions {
  /** Ends the stream when this signal aborts (pass the request's `signal`). */
  signal?: AbortSignal;
  /**
   * Bytes the stream buffers before `write` reports it full.
   * @default 65_536
   */
  highWaterMark?: number;
}

/** A {@link Sink} with the Web Streams body to put in a `Response`. */
export interface WebSink {
  sink: Sink;
  stream: ReadableStream<Uint8Array>;
  /** The SSE response headers (merge your own, such as CORS, before them). */
  headers: Readonly<Record<string, string>>;
}

/**
 * A {@link Sink} over a `ReadableStream`, for Fetch runtimes (Bun, Deno, Workers, Hono):
 * return `new Response(stream, { headers })` and write events through the sink.
 *
 * @example
 * ```ts
 * Bun.serve({ fetch: (req) => {
 *   const { sink, stream, headers } = createWebSink({ signal: req.signal });
 *   void broker.stream(fromFetchRequest(req), {}, () => sink);
 *   return new Response(stream, { headers });
 * } });
 * ```
 */
export function createWebSink(options: WebSinkOptions = {}): WebSink {
  const highWaterMark = options.highWaterMark ?? 65_536;
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let closed = false;
  /** `end()` was called while chunks were still queued: close once the consumer has taken them. */
  let ending = false;
  const drainListeners = new Set<() => void>();
  const closeListeners: Array<() => void> = [];

  const finish = () => {
    if (closed) return;
    closed = true;
    options.signal?.removeEventListener('abort', onAbort);
    drainListeners.clear();
    for (const listener of closeListeners.splice(0)) listener();
  };
  const onAbort = () => {
    try {
      controller?.close();
    } catch {
      // already closed or errored
    }
    finish();
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      // Called whenever the consumer wants more: that is the drain signal.
      pull() {
        if (ending) {
          if (queueEmpty()) closeNow();
          return;
        }
        for (const listener of [...drainListeners]) listener();
      },
      cancel: finish,
    },
    { highWaterMark, size: (chunk) => chunk.byteLength },
  );
  const queueEmpty = () => (controller?.desiredSize ?? 0) >= highWaterMark;
  const closeNow = () => {
    controller?.close();
    finish();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const sink: Sink = {
    write(chunk) {
      if (closed || ending || !controller) return false;
      controller.enqueue(chunk);
      return (controller.desiredSize ?? 0) > 0;
    },
    get bufferedBytes() {
      return closed || !controller ? 0 : Math.max(0, highWaterMark - (controller.desiredSize ?? 0));
    },
    get closed() {
      return closed;
    },
    onDrain(listener) {
      const once = () => {
        drainListeners.delete(once);
        listener();
      };
      drainListeners.add(once);
      return () => drainListeners.delete(once);
    },
    onClose(listener) {
      if (closed) queueMicrotask(listener);
      else closeListeners.push(listener);
    },
    // The stream counts as closed only once the runtime has taken every queued chunk, so a
    // graceful shutdown that waits for it does not exit with the last events still in the queue.
    end() {
      if (closed || ending) return;
      if (queueEmpty()) return closeNow();
      ending = true;
      drainListeners.clear();
    },
    abort() {
      if (closed) return;
      controller?.error(new Error('ssekit: stream dropped (slow client)'));
      finish();
    },
  };
  return { sink, stream, headers: SSE_HEADERS };
}

/**
 * A framework-neutral view of a Fetch `Request` for `broker.stream()`.
 */
export function fromFetchRequest(request: Request, raw: unknown = request): StreamRequest {
  return {
    url: request.url,
    method: request.method,
    header: (name) => request.headers.get(name) ?? undefined,
    raw,
  };
}
