/**
 * What an `@EventStream()` handler returns, and how it becomes the arguments of `broker.stream()`.
 */
import {
  type Connection,
  type EventOf,
  isStreamSource,
  type PipeOptions,
  type RegisteredEvents,
  type RegisteredPrincipal,
  type RegisteredTopics,
  type StreamBody,
  type StreamOptions,
  type StreamSource,
} from '@ssekit/core';
import { isObservable, type Observable } from 'rxjs';
import { observableItems } from './observable-items.js';
import { observableSource } from './observable-source.js';

/** An open stream, typed by the app's `Register` declaration of `@ssekit/core`. */
export type SseConnection = Connection<RegisteredEvents, RegisteredPrincipal, RegisteredTopics>;

/**
 * A source of items to stream: an RxJS `Observable`, an async iterable (an async generator, a
 * Node `Readable`), an iterable or a `ReadableStream`. The stream ends when the source ends.
 */
export type EventStreamSource<I = unknown> = Observable<I> | StreamSource<I>;

/**
 * What an `@EventStream()` handler may return when it needs more than a source: stream options
 * (topics, client key, retry hint), a source and how to map its items, and a callback that gets
 * the open connection.
 */
export interface EventStreamInit<I = unknown> extends StreamOptions<RegisteredTopics>, PipeOptions<I, RegisteredEvents> {
  /** Streamed once the stream is open; the stream ends when it ends (or fails). */
  source?: EventStreamSource<I>;
  /**
   * Called with the connection once the stream is open (and any replay is under way), before the
   * source is read. If it throws or rejects, the failure goes to the broker's `onError`
   * (`phase: 'open'`) and the stream ends.
   */
  onOpen?: (connection: SseConnection) => unknown;
}

/**
 * What an `@EventStream()` handler returns (or resolves to): nothing (a stream with the
 * decorator's options, fed by `broker.publish()`), a source, or an {@link EventStreamInit}.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a method that returns nothing is typed `void`
export type EventStreamResult<I = unknown> = EventStreamSource<I> | EventStreamInit<I> | undefined | void;

const textDecoder = new TextDecoder();

/**
 * The default `map`: strings and byte chunks become `{ data: text }`, and Nest's `MessageEvent`
 * shape (`{ data, type, id, retry }`, what `@Sse()` handlers emit) has its `type` sent as the
 * event name; anything else is taken as an event object.
 */
export function toEvent(item: unknown): EventOf<RegisteredEvents> {
  if (typeof item === 'string') return { data: item } as EventOf<RegisteredEvents>;
  if (item instanceof Uint8Array) return { data: textDecoder.decode(item) } as EventOf<RegisteredEvents>;
  if (typeof item === 'object' && item !== null && 'type' in item && !('event' in item)) {
    const { type, ...rest } = item as { type: unknown };
    return { ...rest, event: type } as EventOf<RegisteredEvents>;
  }
  return item as EventOf<RegisteredEvents>;
}

/**
 * The stream options and body for `broker.stream()`, from the decorator's options and the handler's result.
 * @throws TypeError when the result is neither nothing, a source nor an object of options.
 */
export function streamArguments(
  defaults: StreamOptions<RegisteredTopics>,
  result: EventStreamResult,
): { options: StreamOptions; body: StreamBody | undefined } {
  if (result === undefined || result === null) return { options: { ...defaults }, body: undefined };
  if (!isSource(result) && typeof result !== 'object') {
    // Spread as options, a string would turn into topics named by its characters' indexes.
    throw new TypeError(
      `An @EventStream() method returns nothing, a source (an Observable, an async iterable, a ReadableStream) or stream options, not a ${typeof result}.`,
    );
  }
  const init: EventStreamInit = isSource(result) ? { source: result } : (result as EventStreamInit);
  const { source, map = toEvent, onError, onOpen, ...options } = init;
  if (options.resumable && source !== undefined) {
    // A resumable stream's producer runs detached from this request: the source goes to the
    // broker as it is (an Observable as the items it emits), mapped by the producer.
    const resumable = { ...(options.resumable === true ? {} : options.resumable), map };
    const items = isObservable(source) ? observableItems(source) : source;
    return { options: { ...defaults, ...options, resumable }, body: items as StreamBody };
  }
  const pipeOptions = { map, ...(onError && { onError }) };
  const body = async (connection: SseConnection) => {
    if (onOpen) await onOpen(connection);
    if (source === undefined) return;
    await connection.pipe(isObservable(source) ? observableSource(source, connection, map) : source, pipeOptions);
    connection.close();
  };
  return { options: { ...defaults, ...options }, body: source === undefined && !onOpen ? undefined : (body as StreamBody) };
}

function isSource(value: unknown): value is EventStreamSource {
  return isObservable(value) || isStreamSource(value);
}
