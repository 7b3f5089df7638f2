import type { EventStreamState } from '@ssekit/react';
import type { Events, Framework } from '../shared/events.js';
import { createSeqState, type SeqState } from '../web/seq.js';

/**
 * What the React page knows, for the browser tests (`window.ssekitReactDemo`). The components
 * render from React state; they also record here what they saw.
 */
export interface ReactDemoState {
  user: string;
  framework: Framework | undefined;
  sessionId: string | undefined;
  status: EventStreamState;
  opens: number;
  reconnects: number;
  gaps: number;
  seq: SeqState;
  /** The last metrics sample (its `connections` counts this tab's one shared stream). */
  metrics: Events['metrics'] | undefined;
  inbox: Array<Events['notification']>;
  /** Components that called `useEventStream` and are mounted. */
  subscribers: number;
}

export function createReactDemoState(user: string): ReactDemoState {
  return {
    user,
    framework: undefined,
    sessionId: undefined,
    status: 'connecting',
    opens: 0,
    reconnects: 0,
    gaps: 0,
    seq: createSeqState(),
    metrics: undefined,
    inbox: [],
    subscribers: 0,
  };
}

declare global {
  interface Window {
    /** The React page's state, for the browser tests. */
    ssekitReactDemo?: ReactDemoState;
  }
}
