/** A listener of any shape; the emitter passes through whatever arguments it is given. */
export type AnyListener = (...args: never[]) => void;

/** A minimal listener registry keyed by name. */
export interface Emitter {
  /** Adds a listener; returns a function that removes it. */
  on(key: string, listener: AnyListener): () => void;
  /** True when `key` has at least one listener. */
  has(key: string): boolean;
  /**
   * Calls the listeners of `key` in the order they were added. A listener that throws does not
   * stop the others or the stream: its error is rethrown in a microtask, which is how `EventTarget`
   * reports listener errors (the console in browsers, `uncaughtException` in Node).
   */
  emit(key: string, ...args: unknown[]): void;
  /** Removes every listener. */
  clear(): void;
}

/**
 * Creates an {@link Emitter}. Listeners added or removed while an event is being emitted take
 * effect from the next event.
 *
 * @example
 * ```ts
 * const emitter = createEmitter();
 * const off = emitter.on('tick', (n: number) => console.log(n));
 * emitter.emit('tick', 1);
 * off();
 * ```
 */
export function createEmitter(): Emitter {
  const listeners = new Map<string, Set<AnyListener>>();
  return {
    on(key, listener) {
      let set = listeners.get(key);
      if (!set) {
        set = new Set();
        listeners.set(key, set);
      }
      set.add(listener);
      const current = set;
      return () => {
        current.delete(listener);
      };
    },
    has: (key) => (listeners.get(key)?.size ?? 0) > 0,
    emit(key, ...args) {
      const set = listeners.get(key);
      if (!set) return;
      for (const listener of [...set]) {
        try {
          (listener as (...args: unknown[]) => void)(...args);
        } catch (error) {
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    },
    clear: () => listeners.clear(),
  };
}
