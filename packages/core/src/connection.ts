/**
 * The public face of one open stream: what route code may read and call. The broker's per-stream
 * state lives behind it, in `stream.ts`.
 */
import type { StreamSource } from './source.js';
import type { EventMap, EventOf, TopicMap, TopicName } from './types.js';

/**
 * Why a connection ended: the client left (`client`), `close()` (`server`), dropped for not
 * reading (`slow`) or for a peer that stopped answering (`unresponsive`), `broker.close()`
 * (`shutdown`), or its sink threw (`error`: from `write`, `bufferedBytes`, `onDrain` or
 * `unresponsive`, reported through `onError` with `phase: 'write'`).
 */
export type CloseReason = 'client' | 'server' | 'slow' | 'unresponsive' | 'shutdown' | 'error';

/**
 * The event name {@link Connection.pipe} sends when its source throws, before it ends the stream.
 * Its data is `{ "reason": "source-failed" }`: nothing of the error itself reaches the client.
 */
export const SOURCE_ERROR_EVENT = 'ssekit:error';

/** Options of {@link Connection.pipe}. */
export interface PipeOptions<T, E extends EventMap> {
  /**
   * Turns each item into an event. By default strings and byte chunks become `{ data: text }`
   * and any other item is taken as an event object.
   */
  map?: (item: T) => EventOf<E>;
  /**
   * The event sent to the client when the source throws, before the stream ends; `null` sends
   * none. Never put the error's message or stack in it unless you know it is safe to show.
   * @default `{ event: 'ssekit:error', data: { reason: 'source-failed' } }` ({@link SOURCE_ERROR_EVENT})
   */
  onError?: (error: unknown) => EventOf<E> | null;
}

/**
 * One open event stream to one client session. Created by the broker; adapters hand it to route
 * code (`reply.eventStream()`, `res.sse()`, `ctx.sse()`, `streamEvents()`).
 *
 * @typeParam E - event map that types {@link Connection.send}.
 * @typeParam P - the principal returned by the broker's `authorize` hook (`undefined` without one).
 * @typeParam T - the topic map that types {@link Connection.subscribe}.
 */
export interface Connection<E extends EventMap = EventMap, P = unknown, T extends TopicMap = TopicMap> {
  /** Unique id of this session. */
  readonly id: string;
  /** The client key: every session of one client shares it, and `broker.send(clientId)` reaches them all. */
  readonly clientId: string;
  /** What `authorize` returned for this request. */
  readonly principal: P;
  /** The id the client last saw (`Last-Event-ID` header or `lastEventId` query), if any. */
  readonly lastEventId: string | undefined;
  /** True once the stream has ended (or is ending), for whatever reason. */
  readonly closed: boolean;
  /** Why the stream ended; `undefined` while open. */
  readonly closeReason: CloseReason | undefined;
  /**
   * Aborts when the stream ends (client gone, closed, slow, shutdown). Pass it to work that should
   * stop with the stream, such as `fetch` calls or database cursors.
   */
  readonly signal: AbortSignal;
  /**
   * True while the socket accepts more without buffering; when false, await {@link drained}.
   * False while a replay is still being written, and after the stream ended.
   */
  readonly writable: boolean;
  /**
   * Sends an event to this session only (not stored for replay; use `broker.send(clientId, …)`
   * for per-client events that survive a reconnect). Events sent in one tick go out as one write,
   * after anything still being replayed, and before a `close()` that follows them.
   *
   * @returns {@link writable}: `false` asks the caller to await {@link drained} before sending
   *   more. On a stream that already ended it sends nothing and returns `false` (a client that left
   *   is not an application error; check {@link closed} or {@link signal} to stop producing).
   * @throws {@link SseEncodeError} for an invalid event; nothing is sent then.
   * @example
   * ```ts
   * connection.send({ event: 'welcome', data: { user: connection.clientId } });
   * ```
   */
  send(event: EventOf<E>): boolean;
  /** Sends a comment line (ignored by clients). Returns like {@link send}. */
  comment(text: string): boolean;
  /** Resolves when the socket has room again (and any replay is written), or the stream has ended. */
  drained(): Promise<void>;
  /**
   * Sends every item of a source (an async generator, a Node `Readable`, an iterable, a WHATWG
   * `ReadableStream`) as events, waiting for the socket to drain when it is full. When the client
   * leaves, the iterator's `return()` (a `ReadableStream`'s `cancel()`) is called so the source can
   * clean up. Resolves when the source ends or the stream closes.
   *
   * When the source throws, the client gets the `onError` event (by default
   * {@link SOURCE_ERROR_EVENT}, with nothing of the error), the stream ends, the error is reported
   * once through the broker's `onError` (`phase: 'pipe'`), and the returned promise resolves: it
   * does not reject, so your framework does not report the same failure a second time. Check
   * {@link closed} to tell an ended stream from a finished source.
   *
   * @example
   * ```ts fragment
   * await connection.pipe(llm.stream(prompt), { map: (token) => ({ event: 'token', data: token }) });
   * connection.send({ event: 'done', data: {} });
   * connection.close(); // `done` is delivered first
   * ```
   */
  pipe<I>(source: StreamSource<I>, options?: PipeOptions<I, E>): Promise<void>;
  /** Adds broker topics to this stream (not authorized again: check before calling). */
  subscribe(topics: TopicName<T> | readonly TopicName<T>[]): void;
  /** Removes broker topics from this stream. */
  unsubscribe(topics: TopicName<T> | readonly TopicName<T>[]): void;
  /**
   * Ends the stream gracefully: everything sent before it is delivered first (a replay still
   * being written included), then the response ends. A client that does not read it all within
   * the broker's `closeTimeout` is dropped. The client reconnects unless your events tell it not to.
   */
  close(): void;
}
