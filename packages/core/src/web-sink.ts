import { SSE_HEADERS } from './headers.js';
import { RecentBytes } from './loop-turns.js';
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
  /**
   * Milliseconds a dropped stream (`abort()`, a slow client) has to hand the runtime what it still
   * holds (at most about `highWaterMark`) before it is errored, which makes the runtime cut the
   * connection and, on Deno, print the error. Until then a drop prints nothing.
   * @default 10_000
   */
  dropTimeout?: number;
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
 * Chunks go straight into the stream's queue while it holds less than `highWaterMark` bytes, and
 * wait in the sink's own queue after that (so a drop can discard them). Bytes written in this turn
 * of the event loop or the one before do not count as buffered: the runtime takes chunks only
 * between turns, so a burst is no sign of a slow client (as an empty Node socket always takes a
 * tick's burst). The stream's `pull` runs only when the runtime waits on an empty queue and
 * someone waits for drain: no promise turn per chunk.
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
  const dropTimeout = options.dropTimeout ?? 10_000;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  /** `end()` was called while chunks were still queued: close once the consumer has taken them. */
  let ending = false;
  /** Chunks past the high-water mark, not yet handed to the stream. */
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  const recent = new RecentBytes();
  const drainListeners = new Set<() => void>();
  const closeListeners: Array<() => void> = [];
  /** Resolves the parked `pull` (see there), when there is one. */
  let unpark: (() => void) | undefined;

  const wake = () => {
    const resolve = unpark;
    unpark = undefined;
    resolve?.();
  };
  const finish = () => {
    if (closed) return;
    closed = true;
    options.signal?.removeEventListener('abort', onAbort);
    drainListeners.clear();
    held = [];
    heldBytes = 0;
    wake();
    for (const listener of closeListeners.splice(0)) listener();
  };
  const onAbort = () => {
    try {
      controller.close();
    } catch {
      // already closed or errored
    }
    finish();
  };
  /** Bytes in the stream's queue that the runtime has not taken (reading it costs: see `queue`). */
  const queued = () => -(controller.desiredSize ?? 0);
  /**
   * At least the bytes in the stream's queue: what {@link queued} said last, plus what was
   * enqueued since (the runtime may have taken some). The stream is read again only when this
   * bound is too high to answer, about once per two turns of a client that keeps up.
   */
  let queue = 0;
  const closeNow = () => {
    controller.close();
    finish();
  };
  /** Hands held chunks to the stream, up to the high-water mark (at least one). */
  const release = () => {
    let given = 0;
    let taken = 0;
    while (taken < held.length && (taken === 0 || given < highWaterMark)) {
      const chunk = held[taken++] as Uint8Array;
      given += chunk.byteLength;
      controller.enqueue(chunk);
    }
    queue += given;
    held = taken === held.length ? [] : held.slice(taken);
    heldBytes -= given;
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      // With a high-water mark of 0 the stream calls `pull` only when the runtime waits for a
      // chunk and the queue is empty: the drain signal.
      pull() {
        if (closed) return;
        queue = 0;
        if (held.length > 0) return release(); // drain comes once the runtime has taken these too
        if (ending) return closeNow();
        if (drainListeners.size > 0) {
          for (const listener of [...drainListeners]) listener();
          return;
        }
        // Nobody waits for drain: park (the stream calls `pull` again only once this settles), so
        // the runtime's every read is not a promise turn here. Held chunks, `onDrain` and `end` wake it.
        return new Promise<void>((resolve) => {
          unpark = resolve;
        });
      },
      cancel: finish,
    },
    { highWaterMark: 0, size: (chunk) => chunk.byteLength },
  );
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const sink: Sink = {
    write(chunk) {
      if (closed || ending) return false;
      const size = chunk.byteLength;
      recent.add(size);
      if (held.length === 0) {
        if (queue + size >= highWaterMark) queue = queued();
        if (queue < highWaterMark) {
          controller.enqueue(chunk);
          queue += size;
          if (queue < highWaterMark) return true;
          queue = queued(); // a waiting runtime takes a chunk at once
          return queue < highWaterMark;
        }
      }
      held.push(chunk);
      heldBytes += chunk.byteLength;
      wake();
      return false;
    },
    get bufferedBytes() {
      if (closed) return 0;
      const fresh = recent.total;
      if (queue + heldBytes <= fresh) return 0; // even the bound holds nothing older
      queue = queued();
      return Math.max(0, queue + heldBytes - fresh);
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
      wake();
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
      if (held.length === 0 && queued() <= 0) return closeNow();
      ending = true;
      drainListeners.clear();
      wake();
    },
    // Quietly: held chunks are dropped and the stream closes after what the runtime's queue still
    // has (at most about the high-water mark). Erroring the stream would make Deno print the error
    // for every slow client; that is left for a peer that takes nothing for `dropTimeout`.
    abort() {
      if (closed) return;
      finish();
      controller.close();
      if (queued() <= 0) return;
      const timer: unknown = setTimeout(() => {
        try {
          if (queued() > 0) controller.error(new Error('ssekit: stream dropped (slow client)'));
        } catch {
          // closed meanwhile
        }
      }, dropTimeout);
      (timer as { unref?: () => void } | undefined)?.unref?.();
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
