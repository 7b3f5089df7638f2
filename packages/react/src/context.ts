import { createContext, createElement, type ReactNode, useContext, useMemo, useState } from 'react';
import { createStreamRegistry, type StreamRegistry } from './registry.js';
import type { StreamOptions } from './types.js';

/** What hooks below an {@link EventStreamProvider} use. */
interface EventStreamContextValue {
  readonly registry: StreamRegistry;
  readonly defaults: StreamOptions;
}

const pageRegistry = createStreamRegistry();
const EventStreamContext = createContext<EventStreamContextValue>({ registry: pageRegistry, defaults: {} });

/** Props of {@link EventStreamProvider}. */
export interface EventStreamProviderProps {
  /**
   * Defaults for every `useEventStream` below: `headers`, `fetch`, `formats` (merged with a
   * hook's own), `topicParam`, retry settings…; a hook's options win. Keep the object stable
   * (a constant or `useMemo`): a new one with different values reconnects the streams it changes.
   */
  options?: StreamOptions;
  /**
   * The connections the hooks below share. Default: one registry per provider (so hooks above
   * and below it never share). Pass `createStreamRegistry({ closeDelay })` to keep connections
   * open a while after their last component unmounts.
   */
  registry?: StreamRegistry;
  children?: ReactNode;
}

/**
 * Gives the `useEventStream` hooks below it default options and their own set of shared
 * connections. Optional: without it, hooks share connections across the page.
 *
 * @example
 * ```tsx
 * <EventStreamProvider options={{ headers: () => ({ authorization: `Bearer ${getToken()}` }) }}>
 *   <App />
 * </EventStreamProvider>
 * ```
 */
export function EventStreamProvider({ options, registry, children }: EventStreamProviderProps): ReactNode {
  const [own] = useState(createStreamRegistry);
  const used = registry ?? own;
  const value = useMemo(() => ({ registry: used, defaults: options ?? {} }), [used, options]);
  return createElement(EventStreamContext.Provider, { value }, children);
}

/** The registry and defaults of the nearest {@link EventStreamProvider}, or the page's. */
export const useEventStreamContext = (): EventStreamContextValue => useContext(EventStreamContext);
