/**
 * Turns a push source into an async iterator. `subscribe` starts listening: it gets `push` for
 * values and `end` for the end of the source, and returns the function that stops listening.
 *
 * Values that arrive while nobody awaits `next()` are buffered in order. After `end`, buffered
 * values are still handed out, then the iterator is done. `return()` (a `break` out of
 * `for await`) stops listening at once and drops the buffer, so no listener is left behind.
 *
 * @example
 * ```ts
 * const ticks = createEventIterator<number>((push, end) => {
 *   const timer = setInterval(() => push(Date.now()), 1000);
 *   return () => clearInterval(timer);
 * });
 * for await (const at of ticks) if (at > deadline) break;
 * ```
 */
export function createEventIterator<T>(subscribe: (push: (value: T) => void, end: () => void) => () => void): AsyncIterableIterator<T> {
  const buffer: T[] = [];
  const waiting: Array<(result: IteratorResult<T, undefined>) => void> = [];
  let ended = false;
  let unsubscribe: (() => void) | undefined;

  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe?.();
    for (const resolve of waiting.splice(0)) resolve({ done: true, value: undefined });
  };
  const push = (value: T) => {
    if (ended) return;
    const resolve = waiting.shift();
    if (resolve) resolve({ done: false, value });
    else buffer.push(value);
  };

  const stop = subscribe(push, end);
  // `end` may already have run inside `subscribe` (a source that is over before it starts).
  if (ended) stop();
  else unsubscribe = stop;

  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (buffer.length > 0) return Promise.resolve({ done: false, value: buffer.shift() as T });
      if (ended) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return() {
      buffer.length = 0;
      end();
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
