/**
 * `@ssekit/client`: a typed, fetch-based Server-Sent Events client for browsers and Node >= 20.
 * Any method, headers and body; reconnects with backoff and `Last-Event-ID` replay; detects
 * stalled connections; typed by the same event map as the server's `createBroker<E>()`.
 *
 * @module
 */
export { type Client, type ClientOptionsArgs, createClient } from './client.js';
export { isSseClientError, SseClientError, type SseClientErrorCode, type SseClientErrorOptions } from './errors.js';
export { GAP_EVENT, type GapInfo } from './gap.js';
export type { Jsonify, WireEvents } from './jsonify.js';
export type { ClientOptions, DataFormats, DataOptions, HeadersOption, RequestOptions, TextEventName } from './options.js';
export { type DataParser, parseJson, parseJsonOrText } from './parse.js';
export { DONE_EVENT, FAILED_EVENT, type FinishInfo, STREAM_ID_HEADER } from './resumable.js';
export type {
  ClientEvent,
  ClientEventListener,
  ClientState,
  CloseInfo,
  DataFormat,
  DataOf,
  EventMap,
  EventName,
  LifecycleEvents,
  OpenInfo,
  ReconnectingInfo,
  Register,
  RegisteredEvents,
} from './types.js';
