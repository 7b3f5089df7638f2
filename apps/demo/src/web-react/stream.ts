import { type UseEventStreamOptions, useEventStream } from '@ssekit/react';
import { useEffect } from 'react';
import type { Events } from '../shared/events.js';
import type { ReactDemoState } from './state.js';

/** The demo's one stream. Every panel calls this: they all share one connection. */
export const STREAM_URL = '/api/events';

/**
 * `useEventStream` on the demo's stream, typed by the same `Events` map as the server's broker,
 * counting the component as one subscriber of the shared connection.
 */
export function useDemoStream(state: ReactDemoState, options: UseEventStreamOptions<Events> = {}) {
  useEffect(() => {
    state.subscribers++;
    return () => {
      state.subscribers--;
    };
  }, [state]);
  return useEventStream<Events>(STREAM_URL, options);
}
