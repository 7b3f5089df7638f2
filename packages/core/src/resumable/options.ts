/**
 * The public face of resumable streams: options, the handle a producer gets, and the events that
 * end a stream for every reader.
 */
import type { StreamSource } from '../source.js';
import type { EventMap, EventOf } from '../types.js';
import type { ResumableStore } from './store.js';

/**
 * The event that ends a resumable stream that completed, was stopped or was abandoned. Its data
 * is `{ "reason": "complete" | "stopped" | "abandoned", "value"?: … }`, `value` being what the
 * producer's generator returned. Readers get it last, then the response ends; `@ssekit/client`
 * closes on it instead of resuming.
 */
export const DONE_EVENT = 'ssekit:done';

/**
 * The event that ends a resumable stream whose producer failed (`{ "reason": "source-failed" }`,
 * or what `onError` returned) or outgrew its caps (`{ "reason": "limit" }`). Same name as a
 * failed `pipe()`'s event.
 */
export const FAILED_EVENT = 'ssekit:error';

/** The response header that carries a resumable stream's id, on the response that started it. */
export const STREAM_ID_HEADER = 'ssekit-stream-id';

/** How a resumable stream ended. */
export interface ResumableOutcome {
  readonly reason: 'complete' | 'stopped' | 'abandoned' | 'failed' | 'limit';
  /** What the producer's generator returned, when it completed. */
  readonly value?: unknown;
}

/**
 * What produces a resumable stream: a source (see `Connection.pipe`), or a function that gets a
 * signal aborted when the stream is stopped (from any node), abandoned or over its caps, and
 * returns one. Pass the signal on to the work behind it (the model API's `fetch`).
 */
export type ResumableSource<T = unknown> = StreamSource<T> | ((signal: AbortSignal) => StreamSource<T>);

/** Limits and lifetimes of resumable streams: broker-wide defaults, or per stream. */
export interface ResumableLimits {
  /**
   * Milliseconds a stream stays readable after it ends (a reader that reconnects late, a page
   * reloaded after the answer finished). After it, a resume is answered 404.
   * @default 300_000 (5 minutes)
   */
  ttl?: number;
  /**
   * Milliseconds a producer may run; past it, it is stopped and readers get `ssekit:error` with
   * `{ "reason": "limit" }`. Also bounds how long a stream whose node died stays in a shared store.
   * @default 600_000 (10 minutes)
   */
  maxRunTime?: number;
  /**
   * Events one stream may produce; past it, the producer is stopped and readers get
   * `ssekit:error` with `{ "reason": "limit" }`.
   * @default 100_000
   */
  maxEvents?: number;
  /**
   * Bytes (encoded) one stream may produce; past it, as for `maxEvents`.
   * @default 4_194_304 (4 MiB)
   */
  maxBytes?: number;
  /**
   * What the producer does when no reader has been attached for `abandonTimeout` ms: keep going
   * (the answer is ready when the user comes back; you pay for generating it) or stop
   * (readers that come back later get what was produced and `ssekit:done`, reason `abandoned`).
   * @default 'continue'
   */
  whenAbandoned?: 'continue' | 'stop';
  /**
   * Milliseconds without any reader before a producer counts as abandoned.
   * @default 30_000
   */
  abandonTimeout?: number;
}

/** Broker-wide settings of resumable streams (`createBroker({ resumable: … })`). */
export interface ResumableSettings extends ResumableLimits {
  /**
   * Where events are kept. Default: the transport's store when it has one (`@ssekit/redis`), so a
   * resume works on any node; else this process's memory.
   */
  store?: ResumableStore;
  /**
   * Producers one client key may run at once on this process; past it, starting another is
   * refused with 429.
   * @default 4
   */
  maxPerClient?: number;
}

/** Options of one resumable stream. */
export interface ResumableOptions<T = unknown, E extends EventMap = EventMap> extends ResumableLimits {
  /**
   * The stream's id. Ids are not secrets (readers are checked against the owner), but must be
   * unique: use the default unless you have one (a message id).
   * @default a random UUID
   */
  id?: string;
  /**
   * The client key allowed to read it. Streams started by a request (`{ resumable: true }`) are
   * owned by that request's client; a stream without an owner can be read by anyone with its id.
   */
  owner?: string;
  /**
   * Whether the stream ends with `ssekit:done` / `ssekit:error` for its readers. `false` for
   * clients that carry their own end in the data and reject events they do not know (the AI
   * SDK's UI message stream): readers' responses then just end once the stream is finished.
   * @default true
   */
  endEvents?: boolean;
  /** Turns each item into an event; by default as `Connection.pipe` does. Ids are always the stream's own. */
  map?: (item: T) => EventOf<E>;
  /**
   * The data of the `ssekit:error` event readers get when the source throws. Never put the
   * error's message or stack in it unless you know it is safe to show.
   * @default `{ reason: 'source-failed' }`
   */
  onError?: (error: unknown) => unknown;
}

/** A running (or finished) resumable stream, as its starter sees it. */
export interface ResumableStream {
  /** Readers resume it with this id (`{ resume: id }`), on any node that shares the store. */
  readonly id: string;
  /** Aborts once the producer stops, for whatever reason. */
  readonly signal: AbortSignal;
  /** Resolves once the stream ended and its final event is stored. Never rejects. */
  readonly finished: Promise<ResumableOutcome>;
  /** Stops the producer (`ssekit:done`, reason `stopped`). Same as `broker.stopStream(id)`. */
  stop(): void;
}
