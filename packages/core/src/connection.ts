import { type EncodeOptions, encodeComment, encodeEvent } from './encode.js';
import { SseClosedError } from './errors.js';
import type { Sink } from './sink.js';
import type { EventMap, EventOf } from './types.js';

/** Why a connection ended. */
export type CloseReason = 'client' | 'server' | 'slow' | 'unresponsive' | 'shutdown';

/** What a connection needs from the broker that owns it. @internal */
export interface ConnectionHost {
  enqueue(connection: Connection<EventMap, unknown>, chunk: Uint8Array, batchIndex: number): void;
  release(connection: Connection<EventMap, unknown>, reason: CloseReason): void;
  subscribe(connection: Connection<EventMap, unknown>, topics: readonly string[], subscribe: boolean): void;
  readonly encodeOptions: EncodeOptions;
}

/** Options of {@link Connection.pipe}. */
export interface PipeOptions<T, E extends EventMap> {
  /**
   * Turns each item into an event. By default strings and byte chunks become `{ data: text }`
   * and any other item is taken as an event object.
   */
  map?: (item: T) => EventOf<E>;
}

const textDecoder = new TextDecoder();

/** The shared empty queue of every idle connection; never pushed to (the scheduler replaces it). @internal */
export const NOTHING_PENDING: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];

/**
 * One open event stream to one client session. Created by the broker; adapters hand it to route
 * code (`reply.sse()`, `res.sse()`, `ctx.sse()`, `streamEvents()`).
 *
 * @typeParam E - event map that types {@link Connection.send}.
 * @typeParam P - the principal returned by the broker's `authorize` hook.
 */
export class Connection<E extends EventMap = EventMap, P = unknown> {
  /** Unique id of this session. */
  readonly id: string;
  /** The client key: every session of one client shares it, and `broker.send(clientId)` reaches them all. */
  readonly clientId: string;
  /** What `authorize` returned for this request. */
  readonly principal: P;
  /** The id the client last saw (`Last-Event-ID` header or `lastEventId` query), if any. */
  readonly lastEventId: string | undefined;

  /** @internal */ readonly sink: Sink;
  /** @internal A few channel names: an array costs less than a Set per idle socket. */ readonly channels: string[] = [];
  /** @internal Chunks due in this tick, written as one ({@link NOTHING_PENDING} when none). */ pending: Uint8Array[] = NOTHING_PENDING;
  /** @internal */ pendingBytes = 0;
  /** @internal Range of tick batch indexes in `pending`, to share one concatenation. */ firstBatch = -1;
  /** @internal */ lastBatch = -1;
  /** @internal Last delivery stamp, so an event on several channels is written once. */ stamp = 0;
  /** @internal Wrote since the last heartbeat round. */ active = true;
  /** @internal Live events held back while history is replayed. */ seam: Uint8Array[] | undefined;
  /** @internal */ seamIds: Set<string> | undefined;

  private readonly host: ConnectionHost;
  private controller: AbortController | undefined;
  private reason: CloseReason | undefined;
  private drainWaiters: Array<() => void> | undefined;
  private removeDrainListener: (() => void) | undefined;

  /** @internal */
  constructor(init: {
    id: string;
    clientId: string;
    principal: P;
    lastEventId: string | undefined;
    sink: Sink;
    host: ConnectionHost;
  }) {
    this.id = init.id;
    this.clientId = init.clientId;
    this.principal = init.principal;
    this.lastEventId = init.lastEventId;
    this.sink = init.sink;
    this.host = init.host;
    init.sink.onClose(() => this.finish('client'));
  }

  /** True once the stream has ended, for whatever reason. */
  get closed(): boolean {
    return this.reason !== undefined;
  }

  /** Why the stream ended; `undefined` while open. */
  get closeReason(): CloseReason | undefined {
    return this.reason;
  }

  /**
   * Aborts when the stream ends (client gone, closed, slow, shutdown). Pass it to work that should
   * stop with the stream, such as `fetch` calls or database cursors.
   */
  get signal(): AbortSignal {
    // Created on first use: most connections never need one, and it costs memory per socket.
    this.controller ??= new AbortController();
    if (this.reason !== undefined && !this.controller.signal.aborted) this.controller.abort(this.reason);
    return this.controller.signal;
  }

  /** True while the socket accepts more without buffering; when false, await {@link drained}. */
  get writable(): boolean {
    return this.removeDrainListener === undefined && !this.closed;
  }

  /**
   * Sends an event to this session only (not stored for replay; use `broker.send(clientId, …)`
   * for per-client events that survive a reconnect). Events sent in one tick go out as one write.
   *
   * @returns {@link writable}: `false` asks the caller to await {@link drained} before sending more.
   * @throws {@link SseEncodeError} for an invalid event, {@link SseClosedError} after close.
   * @example
   * ```ts
   * connection.send({ event: 'welcome', data: { user: connection.clientId } });
   * ```
   */
  send(event: EventOf<E>): boolean {
    this.assertOpen();
    this.host.enqueue(this as never, encodeEvent(event, this.host.encodeOptions), -1);
    return this.writable;
  }

  /** Sends a comment line (ignored by clients). */
  comment(text: string): boolean {
    this.assertOpen();
    this.host.enqueue(this as never, encodeComment(text), -1);
    return this.writable;
  }

  /** Resolves when the socket has room again, or the stream has ended. */
  drained(): Promise<void> {
    if (this.writable || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.drainWaiters ??= [];
      this.drainWaiters.push(resolve);
    });
  }

  /**
   * Sends every item of an async iterable (an async generator, a Node `Readable`, …) as events,
   * waiting for the socket to drain when it is full. When the client leaves, the iterator's
   * `return()` is called so the source can clean up. Resolves when the source ends or the stream
   * closes; rejects if the source throws.
   *
   * @example
   * ```ts
   * await connection.pipe(llm.stream(prompt), { map: (token) => ({ event: 'token', data: token }) });
   * ```
   */
  async pipe<T>(source: AsyncIterable<T> | Iterable<T>, options: PipeOptions<T, E> = {}): Promise<void> {
    const map = options.map ?? defaultMap;
    const iterator =
      Symbol.asyncIterator in source ? (source as AsyncIterable<T>)[Symbol.asyncIterator]() : (source as Iterable<T>)[Symbol.iterator]();
    let done = false;
    const stop = () => {
      if (!done) void Promise.resolve(iterator.return?.()).catch(() => {});
    };
    this.signal.addEventListener('abort', stop, { once: true });
    try {
      while (!this.closed) {
        const step = await iterator.next();
        if (step.done) {
          done = true;
          return;
        }
        if (this.closed) return;
        if (!this.send(map(step.value) as EventOf<E>)) await this.drained();
      }
    } catch (error) {
      done = true; // a throwing iterator is finished; return() must not be called on it
      if (!this.closed) throw error;
    } finally {
      this.signal.removeEventListener('abort', stop);
      if (!done) stop();
    }
  }

  /** Adds broker topics to this stream (not authorized again: check before calling). */
  subscribe(topics: string | readonly string[]): void {
    this.host.subscribe(this as never, typeof topics === 'string' ? [topics] : topics, true);
  }

  /** Removes broker topics from this stream. */
  unsubscribe(topics: string | readonly string[]): void {
    this.host.subscribe(this as never, typeof topics === 'string' ? [topics] : topics, false);
  }

  /** Ends the stream gracefully. The client will reconnect unless told otherwise by your events. */
  close(): void {
    this.end('server');
  }

  /** @internal */
  end(reason: CloseReason): void {
    if (this.closed) return;
    this.finish(reason);
    if (reason === 'slow' || reason === 'unresponsive') this.sink.abort();
    else this.sink.end();
  }

  /** @internal The sink refused more bytes: hold `writable` false until it drains. */
  markFull(): void {
    if (this.removeDrainListener || this.closed) return;
    this.removeDrainListener = this.sink.onDrain(() => {
      this.removeDrainListener = undefined;
      this.wakeDrainWaiters();
    });
  }

  private finish(reason: CloseReason): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.controller?.abort(reason);
    this.removeDrainListener?.();
    this.removeDrainListener = undefined;
    this.pending = NOTHING_PENDING;
    this.seam = undefined;
    this.seamIds = undefined;
    this.wakeDrainWaiters();
    this.host.release(this as never, reason);
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters ?? [];
    this.drainWaiters = undefined;
    for (const wake of waiters) wake();
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new SseClosedError(
        'CONNECTION_CLOSED',
        `This stream already closed (${this.reason}); check \`connection.closed\` or listen to \`connection.signal\` before sending.`,
      );
    }
  }
}

function defaultMap(item: unknown): EventOf<EventMap> {
  if (typeof item === 'string') return { data: item };
  if (item instanceof Uint8Array) return { data: textDecoder.decode(item) };
  return item as EventOf<EventMap>;
}
