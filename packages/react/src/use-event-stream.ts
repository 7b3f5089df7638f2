import type { EventMap, RegisteredEvents, WireEvents } from '@ssekit/client';
import { useEffect, useLayoutEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import { useEventStreamContext } from './context.js';
import { poolOf } from './registry.js';
import { describeStream } from './stream-target.js';
import { createSubscription, idleSubscription } from './subscription.js';
import type { EventStream, StreamOptions, UseEventStreamArgs, UseEventStreamOptions } from './types.js';

// Layout effects warn in a server render (React 18); there is nothing to update there anyway.
const useIsomorphicLayoutEffect = typeof window === 'undefined' ? useEffect : useLayoutEffect;

/**
 * Subscribes a component to an ssekit event stream over `@ssekit/client`. Components that ask for
 * the same stream (URL, topics and connection options) share one connection, opened by the first
 * and closed when the last unmounts; Strict Mode's mount, unmount, mount keeps it open. Handlers
 * are read when an event arrives, so inline functions never reconnect. No connection is made
 * during a server render.
 *
 * @typeParam E - the event map shared with the server (`createBroker<E>()`). Default: the
 *   client's `Register['events']`, else any event.
 * @typeParam D - what handlers receive: by default the JSON wire shape of `E` (a `Date` arrives as
 *   a `string`); pass `E` again with a `parse` deserializer.
 * @param url - the stream's URL; `null` (or `enabled: false`) keeps the hook idle.
 * @returns the connection's `state`, last `error` and `lastGap`, and this component's `lastEvent`.
 * @throws SseReactError `UNCOMPARABLE_OPTION` when `body` is a `FormData`, `Blob` or stream and
 *   no `key` is given.
 * @example
 * ```tsx
 * type Events = { price: { symbol: string; value: number }; notice: string };
 *
 * function Ticker() {
 *   const [price, setPrice] = useState<number>();
 *   const { state, lastGap } = useEventStream<Events>('/events', {
 *     topics: ['prices'],
 *     formats: { notice: 'text' },
 *     events: { price: (data) => setPrice(data.value) },
 *   });
 *   return <p>{state === 'open' ? price : 'connecting…'}</p>;
 * }
 * ```
 */
export function useEventStream<E extends EventMap = RegisteredEvents, D extends EventMap = WireEvents<E>>(
  url: string | URL | null | undefined,
  // Not inferred from the options: the map comes from the generics or the registered one.
  ...[options]: UseEventStreamArgs<NoInfer<E>, NoInfer<D>>
): EventStream<D>;
export function useEventStream(url: string | URL | null | undefined, options: UseEventStreamOptions = {}): EventStream {
  const { registry, defaults } = useEventStreamContext();
  const merged = withDefaults(defaults, options);
  const { enabled, events, onOpen, onError, onReconnecting, onGap, onFinish, onClose, ...stream } = merged;
  // The connection is described by the stream options only: the shared client keeps no handler.
  const target = url != null && enabled !== false ? describeStream(url, stream) : undefined;
  const names = namesOf(events);
  const latest = useRef(merged);
  const readsLastEvent = useRef(false);
  useIsomorphicLayoutEffect(() => {
    latest.current = merged;
  });
  const pool = poolOf(registry);
  const namesKey = names.join('\n');
  // A new subscription only when the connection or the set of event names changes: handlers,
  // and the options that do not change the connection's key, are read through `latest`.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `target` and `names` are keyed by `target?.key` and `namesKey`
  const subscription = useMemo(
    () => (target ? createSubscription(pool, target, names, { options: latest, readsLastEvent }) : idleSubscription),
    [pool, target?.key, namesKey],
  );
  const snapshot = useSyncExternalStore(subscription.subscribe, subscription.getSnapshot, subscription.getServerSnapshot);
  return useMemo(
    () => ({
      state: snapshot.state,
      error: snapshot.error,
      lastGap: snapshot.lastGap,
      get lastEvent() {
        readsLastEvent.current = true;
        return snapshot.lastEvent;
      },
    }),
    [snapshot],
  ) as EventStream;
}

/** A hook's options over the provider's defaults; `formats` are merged, `undefined` is no value. */
function withDefaults(defaults: StreamOptions, options: UseEventStreamOptions): UseEventStreamOptions {
  const merged: Record<string, unknown> = { ...defaults };
  for (const [name, value] of Object.entries(options)) if (value !== undefined) merged[name] = value;
  if (defaults.formats && options.formats) merged.formats = { ...defaults.formats, ...options.formats };
  return merged as UseEventStreamOptions;
}

/** The event names a hook takes, sorted: the keys of its handler map, or its list of names. */
function namesOf(events: UseEventStreamOptions['events']): string[] {
  const names = Array.isArray(events) ? events : Object.keys(events ?? {});
  return [...new Set(names as string[])].sort();
}
