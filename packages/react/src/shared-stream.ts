import { type Client, createClient, type GapInfo, type SseClientError } from '@ssekit/client';
import { clientOptionsOf, type StreamTarget } from './stream-target.js';
import type { EventStreamState, StreamOptions } from './types.js';

/** What every component on one connection sees of it; a new object on each change. */
export interface ConnectionSnapshot {
  readonly state: EventStreamState;
  readonly error: SseClientError | undefined;
  readonly lastGap: GapInfo | undefined;
}

/** One `@ssekit/client` connection shared by the components that asked for the same stream. */
export interface SharedStream {
  readonly key: string;
  readonly client: Client;
  /** The connection's state, error and last gap. */
  snapshot(): ConnectionSnapshot;
  /** Calls `listener` after each change of {@link snapshot}; returns a function that removes it. */
  watch(listener: () => void): () => void;
  /** The options whose functions (`headers`, `fetch`, `parse`) the client calls from now on. */
  takeOptionsFrom(source: { readonly current: StreamOptions }): void;
  /** Closes the client. */
  close(): void;
}

/** The snapshot of a stream that is about to connect (also the server render's). */
export const CONNECTING: ConnectionSnapshot = Object.freeze({ state: 'connecting', error: undefined, lastGap: undefined });
/** The snapshot of a disabled hook. */
export const IDLE: ConnectionSnapshot = Object.freeze({ state: 'idle', error: undefined, lastGap: undefined });

/**
 * Opens the client for `target` at once and keeps a snapshot of its lifecycle for
 * `useSyncExternalStore`. `onClosed` runs when the client stops by itself (a 204, a fatal error,
 * `maxRetries`), so the registry can open a fresh one for the next component that asks.
 */
export function openSharedStream(target: StreamTarget, onClosed: (stream: SharedStream) => void): SharedStream {
  let source: { readonly current: StreamOptions } = { current: target.options };
  const client = createClient(target.href, clientOptionsOf(target, () => source.current) as never) as Client;
  const watchers = new Set<() => void>();
  let snapshot: ConnectionSnapshot = CONNECTING;
  const update = (change: Partial<ConnectionSnapshot>) => {
    snapshot = { ...snapshot, ...change, state: client.state };
    for (const watcher of [...watchers]) watcher();
  };
  client.onLifecycle('open', () => update({ error: undefined }));
  client.onLifecycle('error', (error) => update({ error }));
  client.onLifecycle('reconnecting', () => update({}));
  client.onLifecycle('gap', (gap) => update({ lastGap: gap }));
  const stream: SharedStream = {
    key: target.key,
    client,
    snapshot: () => snapshot,
    watch(listener) {
      watchers.add(listener);
      return () => {
        watchers.delete(listener);
      };
    },
    takeOptionsFrom(next) {
      source = next;
    },
    close: () => client.close(),
  };
  client.onLifecycle('close', ({ error }) => {
    update(error ? { error } : {});
    onClosed(stream);
  });
  return stream;
}
