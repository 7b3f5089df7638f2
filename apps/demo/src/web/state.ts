import type { ClientState } from '@ssekit/client';
import type { Events, Framework } from '../shared/events.js';
import { type AnswerState, createAnswerState } from './assistant-panel.js';
import { createSeqState, type SeqState } from './seq.js';

/**
 * Everything the page knows, in one plain object. The panels render from it, and the browser
 * tests read it as `window.ssekitDemo`.
 */
export interface DemoState {
  user: string;
  framework: Framework | undefined;
  /** This stream's session id, from its `hello` (changes on every reconnect). */
  sessionId: string | undefined;
  status: ClientState;
  /** Streams opened: the first one plus every reconnect. */
  opens: number;
  reconnects: number;
  /** Events that came before `hello` on the last reconnect: replayed from the broker's history. */
  caughtUp: number;
  /** `ssekit:gap` signals: the server could not replay everything. */
  gaps: number;
  /** Server events received. */
  events: number;
  lastEventId: string;
  seq: SeqState;
  online: string[];
  inbox: Array<Events['notification']>;
  sent: Array<Events['notification'] & { sessions: number }>;
  /** The other demo server (from `hello`), where an answer can be resumed. */
  peer: string | undefined;
  assistant: AnswerState;
}

export function createState(user: string): DemoState {
  return {
    user,
    framework: undefined,
    sessionId: undefined,
    status: 'connecting',
    opens: 0,
    reconnects: 0,
    caughtUp: 0,
    gaps: 0,
    events: 0,
    lastEventId: '',
    seq: createSeqState(),
    online: [],
    inbox: [],
    sent: [],
    peer: undefined,
    assistant: createAnswerState(),
  };
}

declare global {
  interface Window {
    /** The page state, for the browser tests and for poking at in the console. */
    ssekitDemo?: DemoState;
  }
}
