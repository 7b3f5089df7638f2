/**
 * The broker's record of one open stream: its sink, channels, queued bytes and lifecycle. Route
 * code sees it only through the {@link Connection} interface; the broker's modules (fan-out,
 * write scheduler, replay backlog, heartbeat) work on the record itself.
 */
import type { Backlog } from './backlog.js';
import type { CloseReason, Connection, PipeOptions } from './connection.js';
import { type EncodeOptions, encodeComment, encodeEvent } from './encode.js';
import { pipe } from './pipe.js';
import type { ErrorHandler } from './report.js';
import type { Sink } from './sink.js';
import type { StreamSource } from './source.js';
import type { LaneFloors } from './transport.js';
import type { EventMap, EventOf } from './types.js';

/** Counters the streams update themselves. */
export interface WriteCounters {
  bytes: number;
  slowClientCloses: number;
}

/** What every stream of one broker shares: its settings and the broker's entry points. */
export interface StreamHost {
  readonly encodeOptions: EncodeOptions;
  readonly maxBufferedBytes: number;
  readonly closeTimeout: number;
  readonly counters: WriteCounters;
  /** Queues a chunk for the end of this tick's write (see `WriteScheduler`). */
  schedule(stream: AnyStream, chunk: Uint8Array, batchIndex: number): void;
  /** Writes what this tick queued for the stream now (before it ends). */
  flush(stream: AnyStream): void;
  join(stream: AnyStream, topics: readonly string[]): void;
  leave(stream: AnyStream, topics: readonly string[]): void;
  /** The stream ended: forget it (channels, limits, hooks). Runs once. */
  release(stream: AnyStream, reason: CloseReason): void;
  /** Reports a failure after the head was sent (the broker's `onError`). */
  readonly report: ErrorHandler;
}

// biome-ignore lint/suspicious/noExplicitAny: a stream of any event map and principal, inside the broker
export type AnyStream = Stream<any, any>;

/**
 * Bytes a stream may have waiting for the tick's write before `send()` asks the caller to await
 * `drained()` (see `WriteScheduler`): a producer that never yields to the event loop (an in-memory
 * generator piped into the stream) cannot queue without bound before the write is made.
 */
export const PENDING_LIMIT = 64 * 1024;

/** See the file comment. Fields are plain (not private) for the broker's modules, never for users. */
export class Stream<E extends EventMap = EventMap, P = unknown> implements Connection<E, P> {
  // The fields every delivery reads or writes come first, in about the order it does (fan-out,
  // write scheduler, `writeAtOnce`): a fan-out touches thousands of records, each cold in the CPU
  // cache, and these then share the object's first two cache lines instead of four.
  readonly sink: Sink;
  readonly host: StreamHost;
  /** Last delivery stamp, so an event on several channels is written once. */
  stamp = 0;
  /**
   * Live events at or before this transport position were already replayed: drop them. One
   * position per lane when the transport's messages carry a `lane`.
   */
  floor: number | string | LaneFloors | undefined;
  /** Id of the newest transported event queued for this stream (reported with a lost-history gap). */
  lastId: string | undefined;
  /** Set while history is replayed and written as the socket drains; live events queue behind it. */
  backlog: Backlog | undefined;
  /**
   * The first chunk due in this tick, and the ones after it: written as one. Most ticks bring a
   * stream one chunk, which then costs no array.
   */
  pendingFirst: Uint8Array | undefined;
  /** The write scheduler's tick in which a delivery was last written at once (see `WriteScheduler.deliver`). */
  writeTick = 0;
  private removeDrainListener: (() => void) | undefined;
  private reason: CloseReason | undefined;
  /** Heartbeat ticks (half an interval each) since the last write; see `heartbeat.ts`. */
  idleTicks = 0;
  pendingMore: Uint8Array[] | undefined;
  pendingBytes = 0;
  /** Range of tick batch indexes in `pending`, to share one concatenation. */
  firstBatch = -1;
  lastBatch = -1;
  /** A few channel names: an array costs less than a Set per idle socket. */
  readonly channels: string[] = [];
  /** `StreamOptions.route`, for the diagnostics channels. */
  route: string | undefined;
  /** When it opened (`Date.now()`), for the lifetime the close diagnostics report. */
  readonly openedAt = Date.now();
  private controller: AbortController | undefined;
  private drainWaiters: Array<() => void> | undefined;
  /** The sink threw once (see `sinkFailed`): reported, dropped, never written again. */
  private sinkBroken = false;
  readonly id: string;
  readonly clientId: string;
  readonly principal: P;
  readonly lastEventId: string | undefined;

  constructor(id: string, clientId: string, principal: P, lastEventId: string | undefined, sink: Sink, host: StreamHost) {
    this.sink = sink;
    this.host = host;
    this.id = id;
    this.clientId = clientId;
    this.principal = principal;
    this.lastEventId = lastEventId;
    sink.onClose(() => this.finish('client'));
  }

  get closed(): boolean {
    return this.reason !== undefined;
  }

  get closeReason(): CloseReason | undefined {
    return this.reason;
  }

  get signal(): AbortSignal {
    // Created on first use: most streams never need one, and it costs memory per socket.
    this.controller ??= new AbortController();
    if (this.reason !== undefined && !this.controller.signal.aborted) this.controller.abort(this.reason);
    return this.controller.signal;
  }

  get writable(): boolean {
    return (
      this.reason === undefined && this.removeDrainListener === undefined && this.backlog === undefined && this.pendingBytes < PENDING_LIMIT
    );
  }

  send(event: EventOf<E>): boolean {
    const chunk = encodeEvent(event, this.host.encodeOptions); // invalid input throws even when closed
    if (this.reason !== undefined) return false;
    this.queue(chunk);
    return this.writable;
  }

  comment(text: string): boolean {
    const chunk = encodeComment(text);
    if (this.reason !== undefined) return false;
    this.queue(chunk);
    return this.writable;
  }

  drained(): Promise<void> {
    if (this.writable || this.reason !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.drainWaiters ??= [];
      this.drainWaiters.push(resolve);
    });
  }

  pipe<T>(source: StreamSource<T>, options: PipeOptions<T, E> = {}): Promise<void> {
    return pipe(this, source, options, (error) => this.host.report(error, { phase: 'pipe', connection: this }));
  }

  subscribe(topics: string | readonly string[]): void {
    if (this.reason === undefined) this.host.join(this, typeof topics === 'string' ? [topics] : topics);
  }

  unsubscribe(topics: string | readonly string[]): void {
    this.host.leave(this, typeof topics === 'string' ? [topics] : topics);
  }

  close(): void {
    this.end('server');
  }

  /** Queues a chunk of this stream's own (a send, a heartbeat, a gap notice), in order. */
  queue(chunk: Uint8Array): void {
    if (this.backlog) this.backlog.pushLive(this, chunk);
    else this.host.schedule(this, chunk, -1);
  }

  /**
   * Writes one chunk now. An empty socket always takes it (one tick's burst may be large); a
   * backed-up one must stay under the byte cap, or the client is dropped as slow and catches up
   * from history when it reconnects. Returns false when it dropped the stream.
   */
  write(chunk: Uint8Array): boolean {
    const buffered = this.bufferedBytes();
    if (this.reason !== undefined) return false; // the sink failed
    if (buffered > 0 && buffered + chunk.byteLength > this.host.maxBufferedBytes) {
      this.host.counters.slowClientCloses++;
      this.end('slow');
      return false;
    }
    return this.writeUncapped(chunk) || this.reason === undefined;
  }

  /**
   * Writes a broker delivery now if nothing can be reordered or dropped with it: no replay is being
   * written, no drain is awaited and the sink holds nothing back (an empty socket always takes a
   * chunk, so no slow-client drop, and no close hook, runs inside the publisher's call). Returns
   * false, having written nothing, otherwise: the caller queues it.
   */
  writeAtOnce(chunk: Uint8Array): boolean {
    if (this.backlog !== undefined || this.removeDrainListener !== undefined || this.reason !== undefined) return false;
    if (this.bufferedBytes() > 0) return false;
    if (this.reason === undefined) this.writeUncapped(chunk); // else the sink failed: nothing to queue
    return true;
  }

  /** The sink's dead-peer verdict (`Sink.unresponsive`); a sink that throws is dropped (see `sinkFailed`) instead. */
  peerUnresponsive(): boolean {
    try {
      return this.sink.unresponsive?.() === true;
    } catch (error) {
      this.sinkFailed(error);
      return false;
    }
  }

  /** What the sink holds back; a sink that throws is dropped (see `sinkFailed`) and holds nothing. */
  bufferedBytes(): number {
    try {
      return this.sink.bufferedBytes;
    } catch (error) {
      this.sinkFailed(error);
      return 0;
    }
  }

  /**
   * Writes one chunk whose size the caller already bounded (the replay backlog's batches). A sink
   * that throws drops this stream only (see `sinkFailed`): the fan-out it was called from goes on.
   */
  writeUncapped(chunk: Uint8Array): boolean {
    this.idleTicks = 0;
    this.host.counters.bytes += chunk.byteLength;
    let more: boolean;
    try {
      more = this.sink.write(chunk);
    } catch (error) {
      this.sinkFailed(error);
      return false;
    }
    if (!more && this.backlog === undefined) this.markFull();
    return more;
  }

  /**
   * The sink threw, which its contract forbids (a closed peer is `false` and `onClose`): whatever
   * state it is in, nothing more can be trusted to reach this client in order, so the stream is
   * dropped like a slow one (it resumes from history when it reconnects) and the error reported.
   * Nothing more is written to it from here (a replay being written stops too). It is released
   * in a microtask: this runs inside a fan-out, where a close hook that publishes must not run.
   * Every other stream of the fan-out still gets the event, and the publisher's call succeeds. A
   * stream already ending gracefully (`close()`, a shutdown) keeps its reason and is dropped.
   * Called by the broker's modules (the replay backlog) too.
   */
  sinkFailed(error: unknown): void {
    if (this.sinkBroken) return;
    this.sinkBroken = true;
    this.backlog = undefined;
    const ending = this.reason !== undefined; // released already, with its own reason
    if (!ending) this.reason = 'error';
    queueMicrotask(() => {
      if (!ending) this.released('error');
      this.host.report(error, { phase: 'write', connection: this });
      this.abortSink();
    });
  }

  /** Drops the connection; a sink whose `abort()` throws as well is past helping (reported once already). */
  private abortSink(): void {
    try {
      this.sink.abort();
    } catch {
      // the sink's failure was reported; nothing else can be done with it
    }
  }

  /**
   * Ends the stream. `slow` and `unresponsive` drop the socket at once; every other reason is
   * graceful: what was accepted before (this tick's sends, a replay still being written) goes out
   * first, then the response ends, and a client that has not taken it all after `closeTimeout`
   * is dropped.
   */
  end(reason: CloseReason): void {
    if (this.reason !== undefined) return;
    if (reason === 'slow' || reason === 'unresponsive') {
      this.finish(reason);
      this.sink.abort();
      return;
    }
    this.host.flush(this);
    if (this.reason !== undefined) return; // the flush found it over the cap and dropped it
    this.finish(reason);
    if (this.backlog) this.backlog.close(this);
    else this.endSink();
    this.dropIfStuck();
  }

  /** Called by the write scheduler once this tick's write is made: a sender awaiting `drained()` may go on. */
  written(): void {
    if (this.drainWaiters !== undefined && this.writable) this.wakeDrainWaiters();
  }

  /** Called by the backlog once it has written everything: back to live writes. */
  backlogDone(): void {
    this.backlog = undefined;
    if (this.reason !== undefined) this.endSink();
    else this.wakeDrainWaiters();
  }

  /** Ends the response; a sink that throws is dropped (see `sinkFailed`), never thrown into `close()` or a shutdown. */
  private endSink(): void {
    try {
      this.sink.end();
    } catch (error) {
      this.sinkFailed(error);
    }
  }

  private markFull(): void {
    if (this.removeDrainListener || this.reason !== undefined) return;
    try {
      this.removeDrainListener = this.sink.onDrain(() => {
        this.removeDrainListener = undefined;
        if (this.writable) this.wakeDrainWaiters();
      });
    } catch (error) {
      this.sinkFailed(error);
    }
  }

  private dropIfStuck(): void {
    const sink = this.sink;
    if (sink.closed) return;
    const timer = setTimeout(() => this.abortSink(), this.host.closeTimeout);
    timer.unref?.();
    sink.onClose(() => clearTimeout(timer));
  }

  private finish(reason: CloseReason): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.released(reason);
  }

  /** What ending for `reason` undoes: the stream's queue, its waiters, its place in the broker. */
  private released(reason: CloseReason): void {
    this.controller?.abort(reason);
    this.removeDrainListener?.();
    this.removeDrainListener = undefined;
    this.pendingFirst = undefined;
    this.pendingMore = undefined;
    this.pendingBytes = 0;
    // A graceful end keeps the backlog: it is written out before the response ends.
    // (`error`: `sinkFailed` dropped the backlog already.)
    if (reason === 'client' || reason === 'slow' || reason === 'unresponsive') this.backlog = undefined;
    this.wakeDrainWaiters();
    this.host.release(this, reason);
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    if (waiters === undefined) return;
    this.drainWaiters = undefined;
    for (const wake of waiters) wake();
  }
}
