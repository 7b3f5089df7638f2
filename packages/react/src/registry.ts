import { openSharedStream, type SharedStream } from './shared-stream.js';
import type { StreamTarget } from './stream-target.js';

/**
 * The shared connections of one React tree (the app's, or one `<EventStreamProvider>`'s): one
 * `@ssekit/client` per stream key, opened by the first component that needs it and closed when
 * the last one lets go. Opaque: create one with {@link createStreamRegistry}.
 */
export interface StreamRegistry {
  /** Open connections, for tests and dev tools. */
  readonly size: number;
}

/** The registry's inner face, used by the hook. */
export interface StreamPool extends StreamRegistry {
  /** The open connection for `key`, without taking a share of it. */
  peek(key: string): SharedStream | undefined;
  /** A share of the connection for `target`, opened if needed. Give it back with {@link release}. */
  acquire(target: StreamTarget): SharedStream;
  /** Gives a share back; the connection closes `closeDelay` ms after its last share went. */
  release(stream: SharedStream): void;
}

/** Options of {@link createStreamRegistry}. */
export interface StreamRegistryOptions {
  /**
   * Milliseconds a connection stays open after its last component let go, so a component that
   * comes straight back (Strict Mode's mount, unmount, mount; a remount under a new parent) keeps
   * it instead of reconnecting.
   * @default 0 (the next macrotask)
   */
  closeDelay?: number;
}

/**
 * Creates a registry of shared connections. Each `<EventStreamProvider>` makes its own; without
 * one, hooks share a registry for the whole page.
 *
 * @example
 * ```ts
 * const registry = createStreamRegistry({ closeDelay: 1_000 });
 * ```
 */
export function createStreamRegistry(options: StreamRegistryOptions = {}): StreamRegistry {
  const closeDelay = options.closeDelay ?? 0;
  const open = new Map<string, SharedStream>();
  const shares = new Map<SharedStream, number>();
  const closing = new Map<SharedStream, ReturnType<typeof setTimeout>>();

  const forget = (stream: SharedStream) => {
    if (open.get(stream.key) === stream) open.delete(stream.key);
    clearTimeout(closing.get(stream));
    closing.delete(stream);
  };

  const pool: StreamPool = {
    get size() {
      return open.size;
    },
    peek: (key) => open.get(key),
    acquire(target) {
      let stream = open.get(target.key);
      if (!stream) {
        stream = openSharedStream(target, forget);
        // A stream whose client closed at once (an aborted start) is already forgotten.
        if (stream.client.state !== 'closed') open.set(target.key, stream);
      }
      clearTimeout(closing.get(stream));
      closing.delete(stream);
      shares.set(stream, (shares.get(stream) ?? 0) + 1);
      return stream;
    },
    release(stream) {
      const left = (shares.get(stream) ?? 1) - 1;
      if (left > 0) {
        shares.set(stream, left);
        return;
      }
      shares.delete(stream);
      closing.set(
        stream,
        setTimeout(() => {
          forget(stream);
          stream.close();
        }, closeDelay),
      );
    },
  };
  return pool;
}

/** The inner face of a registry made by {@link createStreamRegistry}. */
export const poolOf = (registry: StreamRegistry): StreamPool => registry as StreamPool;
