/**
 * `@ssekit/core`: the spec-exact Server-Sent Events encoder and the broker behind every ssekit
 * adapter. No framework imports; adapters implement the {@link Sink} boundary.
 *
 * @module
 */
export {
  type BrokerOrOptions,
  missingMiddleware,
  type RefusalResponse,
  refusalOf,
  refusalResponse,
  resolveBroker,
  type SourceOptions,
  sseArguments,
} from './adapter.js';
export { type AdmissionOptions, reject } from './admission.js';
export {
  type Authorized,
  type Broker,
  type BrokerOptions,
  type BrokerStats,
  createBroker,
  GAP_EVENT,
  type StreamOptions,
} from './broker.js';
export { type CloseReason, type Connection, type PipeOptions, SOURCE_ERROR_EVENT } from './connection.js';
export {
  type DeliverMessage,
  DIAGNOSTICS_CHANNELS,
  type GapMessage,
  type HeartbeatSweepMessage,
  type PublishMessage,
  type ReplayMessage,
  type SlowDropMessage,
  type StreamCloseMessage,
  type StreamOpenMessage,
  type TransportLagMessage,
} from './diagnostics.js';
export {
  type EncodeOptions,
  encodeComment,
  encodeEvent,
  formatComment,
  formatEvent,
  type Serializer,
  type SseEvent,
} from './encode.js';
export {
  type AdmissionHook,
  isSseError,
  SseClosedError,
  SseEncodeError,
  SseError,
  type SseErrorCode,
  SseHookError,
  SseRejectedError,
  SseTransportError,
} from './errors.js';
export type { GapReason } from './gap.js';
export { HTTP2_FORBIDDEN_HEADERS, SSE_HEADERS } from './headers.js';
export { createMemoryTransport, type MemoryTransportOptions } from './memory-transport.js';
export {
  JOIN_EVENT,
  LEAVE_EVENT,
  type Presence,
  type PresenceEvents,
  type PresenceNotice,
  type PresenceOptions,
} from './presence.js';
export type { Register, RegisteredEvents, RegisteredPrincipal, RegisteredTopics } from './register.js';
export { type ErrorContext, type ErrorHandler, type ErrorPhase, logStreamError } from './report.js';
export {
  type AdmissionRequest,
  acceptsEventStream,
  MAX_LAST_EVENT_ID_LENGTH,
  notAcceptable,
  readLastEventId,
  type StreamRequest,
} from './request.js';
export { createMemoryResumableStore, type MemoryResumableStoreOptions } from './resumable/memory-store.js';
export {
  DONE_EVENT,
  FAILED_EVENT,
  type ResumableLimits,
  type ResumableOptions,
  type ResumableOutcome,
  type ResumableSettings,
  type ResumableSource,
  type ResumableStream,
  STREAM_ID_HEADER,
} from './resumable/options.js';
export type { AppendResult, ResumableStore, StoredRead, StoredStreamInfo } from './resumable/store.js';
export type { EventSchemas, StandardResult, StandardSchema } from './schemas.js';
export type { Sink } from './sink.js';
export { isStreamSource, type StreamBody, type StreamSource } from './source.js';
export type {
  LaneFloors,
  PresenceEntry,
  PresenceFrames,
  ReplayResult,
  Transport,
  TransportGap,
  TransportListener,
  TransportMessage,
  TransportPresence,
  TransportStats,
} from './transport.js';
export type { EventMap, EventOf, TopicEvents, TopicMap, TopicName } from './types.js';
export { createWebSink, fromFetchRequest, type WebSink, type WebSinkOptions } from './web-sink.js';
