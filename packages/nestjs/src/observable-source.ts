/**
 * An RxJS `Observable` as a source for `connection.pipe()`.
 */
import type { EventOf, RegisteredEvents } from '@ssekit/core';
import type { Observable, Subscription } from 'rxjs';
import type { SseConnection } from './stream-result.js';

/**
 * Subscribes to `observable` when `connection.pipe()` starts reading, and sends each item as it
 * is emitted: an Observable cannot be paused, so its items go to the connection's bounded buffer,
 * where a client that cannot keep up is closed at `maxBufferedBytes` like for published events
 * (queueing them here instead would grow without bound). The iterable yields nothing itself; it
 * ends when the Observable completes and throws what it errors with (or what `map` throws), so
 * that `pipe()` reports the failure and ends the stream. `pipe()` calling `return()` (the client
 * left) unsubscribes.
 */
export function observableSource<I>(
  observable: Observable<I>,
  connection: SseConnection,
  map: (item: I) => EventOf<RegisteredEvents>,
): AsyncIterable<never> {
  return {
    [Symbol.asyncIterator]() {
      let outcome: { failed: false } | { failed: true; error: unknown } | undefined;
      let waiting: { resolve: (step: IteratorResult<never>) => void; reject: (error: unknown) => void } | undefined;
      let subscription: Subscription | undefined;
      const settle = () => {
        if (!outcome || !waiting) return;
        const { resolve, reject } = waiting;
        waiting = undefined;
        if (outcome.failed) reject(outcome.error);
        else resolve({ done: true, value: undefined });
      };
      const finish = (result: NonNullable<typeof outcome>) => {
        if (outcome) return;
        outcome = result;
        subscription?.unsubscribe();
        settle();
      };
      subscription = observable.subscribe({
        next: (item) => {
          if (outcome || connection.closed) return;
          try {
            connection.send(map(item));
          } catch (error) {
            finish({ failed: true, error });
          }
        },
        error: (error: unknown) => finish({ failed: true, error }),
        complete: () => finish({ failed: false }),
      });
      // It may have finished while subscribing (a synchronous Observable).
      if (outcome) subscription.unsubscribe();
      return {
        next: () =>
          new Promise<IteratorResult<never>>((resolve, reject) => {
            waiting = { resolve, reject };
            settle();
          }),
        return: async () => {
          if (!outcome) finish({ failed: false });
          return { done: true, value: undefined };
        },
      };
    },
  };
}
