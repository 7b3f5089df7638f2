import { compareStreamIds, type StreamId } from './stream-id.js';

interface Waiter {
  readonly target: StreamId;
  readonly resolve: () => void;
}

/**
 * Who waits for the read loop to get somewhere: a replay for the end of its snapshot, `flush()`
 * for the newest entry this node published. A wait ends when the loop delivered the target,
 * when the target can no longer be delivered (trimmed before it was read, or lost with a Redis
 * restart), when the loop stops, or after its timeout.
 */
export class Progress {
  private readonly waiters = new Set<Waiter>();

  /** Resolves once `reached(target)` says so, `settle*()` lets it go, or after `timeout` ms. */
  wait(target: StreamId, timeout: number, reached: (target: StreamId) => boolean): Promise<void> {
    if (reached(target)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      // Past the bound the loop is stalled (Redis unreachable): waiting longer helps nobody.
      const timer = setTimeout(waiter.resolve, timeout);
      this.waiters.add(waiter);
    });
  }

  /** Lets go of every waiter whose target is at or before `upTo`. */
  settleUpTo(upTo: StreamId): void {
    for (const waiter of [...this.waiters]) if (compareStreamIds(waiter.target, upTo) <= 0) waiter.resolve();
  }

  /** Lets go of every waiter (the loop stopped, or history was lost). */
  settleAll(): void {
    for (const waiter of [...this.waiters]) waiter.resolve();
  }
}
