/**
 * `@ssekit/react`: a typed `useEventStream` hook over `@ssekit/client`. Components that ask for
 * the same stream share one connection; state, errors and gaps are exposed through
 * `useSyncExternalStore`; no connection is made during a server render. React 18 and 19.
 *
 * @module
 */
export { EventStreamProvider, type EventStreamProviderProps } from './context.js';
export { isSseReactError, SseReactError, type SseReactErrorCode } from './errors.js';
export { createStreamRegistry, type StreamRegistry, type StreamRegistryOptions } from './registry.js';
export type {
  AnyClientEvent,
  EventHandlers,
  EventStream,
  EventStreamState,
  StreamOptions,
  UseEventStreamArgs,
  UseEventStreamOptions,
} from './types.js';
export { useEventStream } from './use-event-stream.js';
