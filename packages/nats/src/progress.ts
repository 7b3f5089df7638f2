interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
}

/**
 * Who waits for the read loop to get somewhere: a replay for the end of what it read, `flush()`
 * for the newest message this node published. A wait ends when the loop delivered the target,
 * when the target can no longer be delivered (history lost, a new stream), when the loop stops,
 * or after its timeout.
 */
export class Progress {
  private readonly waiters = new Set<Waiter>();

  /** Resolves once `reached(seq)` says so, `settle*()` lets it go, or after `timeout` ms. */
  wait(seq: number, timeout: number, reached: (seq: number) => boolean): Promise<void> {
    if (reached(seq)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        seq,
        resolve: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      // Past the bound the loop is stalled (NATS unreachable): waiting longer helps nobody.
      const timer = setTimeout(waiter.resolve, timeout);
      this.waiters.add(waiter);
    });
  }

  /** Lets go of every waiter whose target is at or before `seq`. */
  settleUpTo(seq: number): void {
    for (const waiter of [...this.waiters]) if (waiter.seq <= seq) waiter.resolve();
  }

  /** Lets go of every waiter (the loop stopped, or history was lost). */
  settleAll(): void {
    for (const waiter of [...this.waiters]) waiter.resolve();
  }
}
