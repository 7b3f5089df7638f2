import type { ClientEvent, LifecycleEvents } from '@ssekit/client';
import type { StreamPool } from './registry.js';
import { CONNECTING, type ConnectionSnapshot, IDLE, type SharedStream } from './shared-stream.js';
import type { StreamTarget } from './stream-target.js';
import type { UseEventStreamOptions } from './types.js';

/** What one hook renders: its connection's snapshot and its own last event. */
export interface HookSnapshot extends ConnectionSnapshot {
  readonly lastEvent: ClientEvent | undefined;
}

/** One hook's view of a shared connection, in the shape `useSyncExternalStore` wants. */
export interface Subscription {
  subscribe(onChange: () => void): () => void;
  getSnapshot(): HookSnapshot;
  getServerSnapshot(): HookSnapshot;
}

/** What a subscription reads from the hook's latest render. */
export interface HookRefs {
  /** The latest options (handlers and the connection's functions). */
  readonly options: { readonly current: UseEventStreamOptions };
  /** Whether the component reads `lastEvent` (only then does an event re-render it). */
  readonly readsLastEvent: { readonly current: boolean };
}

const LIFECYCLE = {
  open: 'onOpen',
  error: 'onError',
  reconnecting: 'onReconnecting',
  gap: 'onGap',
  finish: 'onFinish',
  close: 'onClose',
} as const satisfies { [K in keyof LifecycleEvents]: keyof UseEventStreamOptions };

const snapshotOf = (connection: ConnectionSnapshot, lastEvent: ClientEvent | undefined): HookSnapshot =>
  Object.freeze({ ...connection, lastEvent });

const IDLE_SNAPSHOT = snapshotOf(IDLE, undefined);
const CONNECTING_SNAPSHOT = snapshotOf(CONNECTING, undefined);

/** The subscription of a disabled hook: no connection, state `idle`. */
export const idleSubscription: Subscription = {
  subscribe: () => () => {},
  getSnapshot: () => IDLE_SNAPSHOT,
  getServerSnapshot: () => IDLE_SNAPSHOT,
};

/**
 * A hook's subscription to the stream `target` for the events `names`. Nothing happens until React
 * subscribes (after commit, never during a server render): then it takes a share of the shared
 * connection and listens for its events; unsubscribing gives the share back.
 */
export function createSubscription(pool: StreamPool, target: StreamTarget, names: readonly string[], refs: HookRefs): Subscription {
  let stream: SharedStream | undefined;
  let lastEvent: ClientEvent | undefined;
  let rendered = CONNECTING_SNAPSHOT;
  return {
    subscribe(onChange) {
      const current = pool.acquire(target);
      stream = current;
      current.takeOptionsFrom(refs.options);
      const offs = names.map((name) =>
        current.client.on(name, (data: unknown, event: ClientEvent) => {
          lastEvent = event;
          if (refs.readsLastEvent.current) onChange();
          const { events } = refs.options.current;
          if (events && !Array.isArray(events))
            (events as Record<string, (data: unknown, event: ClientEvent) => void>)[name]?.(data, event);
        }),
      );
      for (const [type, option] of Object.entries(LIFECYCLE)) {
        offs.push(
          current.client.onLifecycle(type as keyof LifecycleEvents, (info) =>
            (refs.options.current[option] as ((info: unknown) => void) | undefined)?.(info),
          ),
        );
      }
      offs.push(current.watch(onChange));
      return () => {
        for (const off of offs) off();
        if (stream === current) stream = undefined;
        pool.release(current);
      };
    },
    getSnapshot() {
      // Before React subscribes, show the connection another component may already have open.
      const connection = (stream ?? pool.peek(target.key))?.snapshot() ?? CONNECTING;
      const event = refs.readsLastEvent.current ? lastEvent : rendered.lastEvent;
      if (!sameConnection(connection, rendered) || event !== rendered.lastEvent) rendered = snapshotOf(connection, event);
      return rendered;
    },
    getServerSnapshot: () => CONNECTING_SNAPSHOT,
  };
}

const sameConnection = (a: ConnectionSnapshot, b: ConnectionSnapshot) =>
  a.state === b.state && a.error === b.error && a.lastGap === b.lastGap;
