/**
 * What route code may hand over to be streamed: an async iterable (an async generator, a Node
 * `Readable`), a plain iterable, or a WHATWG `ReadableStream`.
 */
import type { Connection } from './connection.js';
import type { EventMap, TopicMap } from './types.js';

/** A source of items to send as events: see {@link Connection.pipe}. */
export type StreamSource<T = unknown> = AsyncIterable<T> | Iterable<T> | ReadableStream<T>;

/**
 * What runs once a stream is open (see `Broker.stream`): a source, piped and then closed, or a
 * callback that gets the live connection (its failure is reported through `onError`).
 */
export type StreamBody<E extends EventMap = EventMap, P = unknown, T extends TopicMap = TopicMap> =
  | StreamSource
  | ((connection: Connection<E, P, T>) => unknown);

/**
 * True for a value {@link Connection.pipe} can read: an async iterable, an iterable object (not a
 * string) or a `ReadableStream`. Adapters use it to tell `sse(source, options)` from `sse(options)`.
 */
export function isStreamSource(value: unknown): value is StreamSource {
  if (typeof value !== 'object' || value === null) return false;
  return Symbol.asyncIterator in value || Symbol.iterator in value || typeof (value as ReadableStream).getReader === 'function';
}

/** An iterator over the source; a `ReadableStream` without `Symbol.asyncIterator` is read with its reader. @internal */
export function iteratorOf<T>(source: StreamSource<T>): AsyncIterator<T> | Iterator<T> {
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<T>)[Symbol.asyncIterator]();
  if (Symbol.iterator in source) return (source as Iterable<T>)[Symbol.iterator]();
  const reader = (source as ReadableStream<T>).getReader();
  return {
    next: () => reader.read() as Promise<IteratorResult<T>>,
    return: async () => {
      await reader.cancel();
      return { done: true, value: undefined };
    },
  };
}
