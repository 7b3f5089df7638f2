import { SSE_HEADERS } from './headers.js';
import { currentTurn } from './loop-turns.js';
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
  const sink = new StreamSink(options.highWaterMark ?? 65_536, options.dropTimeout ?? 10_000, options.signal);
  return { sink, stream: sink.stream, headers: SSE_HEADERS };
}

const byteLength = (chunk: Uint8Array) => chunk.byteLength;

/**
 * See {@link createWebSink}. A class, not a closure over an object literal: the broker reads
 * `bufferedBytes` and calls `write` on every sink in a fan-out, and sinks sharing one shape keep
 * those loads monomorphic.
 */
class StreamSink implements Sink {
  // Fields in the order every delivery reads them (`bufferedBytes`, then `write`). A fan-out
  // reaches thousands of sinks, each cold in the CPU cache, so what it reads shares cache lines
  // in the sink itself: no counter object or array to load as well.
  private done = false;
  /** `end()` was called while chunks were still queued: close once the consumer has taken them. */
  private ending = false;
  /**
   * At least the bytes in the stream's queue: what {@link StreamSink.queued} said last, plus what
   * was enqueued since (the runtime may have taken some). The stream is read again only when this
   * bound is too high to answer, about once per two turns of a client that keeps up.
   */
  private queue = 0;
  private heldBytes = 0;
  /** Chunks past the high-water mark, not yet handed to the stream; `undefined` while there are none. */
  private held: Uint8Array[] | undefined;
  /** The turn (`currentTurn()`) `turnBytes` were written in; `lastTurnBytes` came the turn before. */
  private turn = -2;
  private turnBytes = 0;
  private lastTurnBytes = 0;
  private readonly highWaterMark: number;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  readonly stream: ReadableStream<Uint8Array>;
  private readonly drainListeners = new Set<() => void>();
  private readonly closeListeners: Array<() => void> = [];
  /** Resolves the parked `pull` (see there), when there is one. */
  private unpark: (() => void) | undefined;
  private readonly dropTimeout: number;
  private readonly signal: AbortSignal | undefined;

  constructor(highWaterMark: number, dropTimeout: number, signal: AbortSignal | undefined) {
    this.highWaterMark = highWaterMark;
    this.dropTimeout = dropTimeout;
    this.signal = signal;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => this.pull(),
        cancel: () => this.finish(),
      },
      // With a high-water mark of 0 the stream calls `pull` only when the runtime waits for a
      // chunk and the queue is empty: the drain signal.
      { highWaterMark: 0, size: byteLength },
    );
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  write(chunk: Uint8Array): boolean {
    if (this.done || this.ending) return false;
    const size = chunk.byteLength;
    this.countTurnBytes(size);
    if (this.held === undefined) {
      if (this.queue + size >= this.highWaterMark) this.queue = this.queued();
      if (this.queue < this.highWaterMark) {
        this.controller.enqueue(chunk);
        this.queue += size;
        if (this.queue < this.highWaterMark) return true;
        this.queue = this.queued(); // a waiting runtime takes a chunk at once
        return this.queue < this.highWaterMark;
      }
      this.held = [];
    }
    this.held.push(chunk);
    this.heldBytes += size;
    this.wake();
    return false;
  }

  get bufferedBytes(): number {
    if (this.done) return 0;
    const fresh = this.turnBytesNow();
    if (this.queue + this.heldBytes <= fresh) return 0; // even the bound holds nothing older
    this.queue = this.queued();
    return Math.max(0, this.queue + this.heldBytes - fresh);
  }

  get closed(): boolean {
    return this.done;
  }

  onDrain(listener: () => void): () => void {
    const listeners = this.drainListeners;
    const once = () => {
      listeners.delete(once);
      listener();
    };
    listeners.add(once);
    this.wake();
    return () => listeners.delete(once);
  }

  onClose(listener: () => void): void {
    if (this.done) queueMicrotask(listener);
    else this.closeListeners.push(listener);
  }

  // The stream counts as closed only once the runtime has taken every queued chunk, so a
  // graceful shutdown that waits for it does not exit with the last events still in the queue.
  end(): void {
    if (this.done || this.ending) return;
    if (this.held === undefined && this.queued() <= 0) {
      this.closeNow();
      return;
    }
    this.ending = true;
    this.drainListeners.clear();
    this.wake();
  }

  // Quietly: held chunks are dropped and the stream closes after what the runtime's queue still
  // has (at most about the high-water mark). Erroring the stream would make Deno print the error
  // for every slow client; that is left for a peer that takes nothing for `dropTimeout`.
  abort(): void {
    if (this.done) return;
    this.finish();
    this.controller.close();
    if (this.queued() <= 0) return;
    const timer: unknown = setTimeout(() => {
      try {
        if (this.queued() > 0) this.controller.error(new Error('ssekit: stream dropped (slow client)'));
      } catch {
        // closed meanwhile
      }
    }, this.dropTimeout);
    (timer as { unref?: () => void } | undefined)?.unref?.();
  }

  private pull(): Promise<void> | undefined {
    if (this.done) return;
    this.queue = 0;
    if (this.held !== undefined) return this.release(); // drain comes once the runtime has taken these too
    if (this.ending) return this.closeNow();
    if (this.drainListeners.size > 0) {
      for (const listener of [...this.drainListeners]) listener();
      return;
    }
    // Nobody waits for drain: park (the stream calls `pull` again only once this settles), so the
    // runtime's every read is not a promise turn here. Held chunks, `onDrain` and `end` wake it.
    return new Promise<void>((resolve) => {
      this.unpark = resolve;
    });
  }

  /** Bytes in the stream's queue that the runtime has not taken (reading it costs: see `queue`). */
  private queued(): number {
    return -(this.controller.desiredSize ?? 0);
  }

  /** Hands held chunks to the stream, up to the high-water mark (at least one). */
  private release(): undefined {
    const held = this.held as Uint8Array[];
    let given = 0;
    let taken = 0;
    while (taken < held.length && (taken === 0 || given < this.highWaterMark)) {
      const chunk = held[taken++] as Uint8Array;
      given += chunk.byteLength;
      this.controller.enqueue(chunk);
    }
    this.held = taken === held.length ? undefined : held.slice(taken);
    this.heldBytes -= given;
    this.queue += given;
    return undefined;
  }

  /** Counts `bytes` written in the current turn. */
  private countTurnBytes(bytes: number): void {
    this.rollTurn(currentTurn());
    this.turnBytes += bytes;
  }

  /** Bytes written in this turn and the one before: the runtime has not had its chance at them. */
  private turnBytesNow(): number {
    this.rollTurn(currentTurn());
    return this.turnBytes + this.lastTurnBytes;
  }

  private rollTurn(turn: number): void {
    if (turn === this.turn) return;
    this.lastTurnBytes = turn === this.turn + 1 ? this.turnBytes : 0;
    this.turnBytes = 0;
    this.turn = turn;
  }

  private wake(): void {
    const resolve = this.unpark;
    this.unpark = undefined;
    resolve?.();
  }

  private closeNow(): undefined {
    this.controller.close();
    this.finish();
    return undefined;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.drainListeners.clear();
    this.held = undefined;
    this.heldBytes = 0;
    this.wake();
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  private readonly onAbort = () => {
    try {
      this.controller.close();
    } catch {
      // already closed or errored
    }
    this.finish();
  };
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
