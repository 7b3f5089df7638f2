/**
 * An RxJS `Observable` as the items of a resumable stream's producer (`{ resumable: true }`).
 */
import type { Observable, Subscription } from 'rxjs';

/**
 * Yields what `observable` emits, in order; ends when it completes and throws what it errors
 * with. Items the producer has not taken yet wait here: a resumable producer stores each item
 * as soon as it is read, so the queue stays short, and the stream's `maxEvents`/`maxBytes` caps
 * stop an Observable that never ends. `return()` (a stop, a cap) unsubscribes.
 */
export function observableItems<I>(observable: Observable<I>): AsyncIterable<I> {
  return {
    [Symbol.asyncIterator]() {
      const queue: I[] = [];
      let outcome: { error?: unknown; failed: boolean } | undefined;
      let wake: (() => void) | undefined;
      let subscription: Subscription | undefined;
      const notify = () => {
        const resolve = wake;
        wake = undefined;
        resolve?.();
      };
      const start = () => {
        subscription ??= observable.subscribe({
          next: (item) => {
            queue.push(item);
            notify();
          },
          error: (error: unknown) => {
            outcome = { failed: true, error };
            notify();
          },
          complete: () => {
            outcome = { failed: false };
            notify();
          },
        });
      };
      return {
        async next(): Promise<IteratorResult<I>> {
          start();
          while (queue.length === 0 && outcome === undefined) await new Promise<void>((resolve) => (wake = resolve));
          if (queue.length > 0) return { done: false, value: queue.shift() as I };
          if (outcome?.failed) throw outcome.error;
          return { done: true, value: undefined };
        },
        async return(): Promise<IteratorResult<I>> {
          subscription?.unsubscribe();
          outcome ??= { failed: false };
          notify();
          return { done: true, value: undefined };
        },
      };
    },
  };
}
