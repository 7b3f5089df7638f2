import type { SseClientError } from './errors.js';
import type { GapInfo } from './gap.js';
import type { FinishInfo } from './resumable.js';

/**
 * Event names mapped to their data types, the same type as `EventMap` in `@ssekit/core` (declared
 * here too, so the client's declarations need nothing else installed): declare a map once and
 * type both `createBroker<E>()` and `createClient<E>()` with it.
 * @example
 * ```ts
 * type Events = { price: { symbol: string; value: number }; notice: string };
 * const client = createClient<Events>('/events');
 * ```
 */
export type EventMap = Record<string, unknown>;

/**
 * Declare the app's events once for `@ssekit/client` by module augmentation, and
 * `createClient(url)` is typed without generics (explicit generics still win). The client
 * declares its own `Register` so that it needs nothing else installed; give it the same map as
 * `Register['events']` in `@ssekit/core`.
 *
 * @example
 * ```ts
 * import type { Events } from '../server/events.js';
 * declare module '@ssekit/client' {
 *   interface Register {
 *     events: Events;
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by the app's module augmentation
export interface Register {}

/** The registered event map ({@link Register}`['events']`), or the untyped {@link EventMap}. */
export type RegisteredEvents = Register extends { events: infer E extends EventMap } ? E : EventMap;

/** How one event's data text is read: `'json'` with `JSON.parse`, `'text'` as it is. */
export type DataFormat = 'json' | 'text';

/**
 * Where a client is in its life.
 *
 * - `connecting`: the first request is on its way.
 * - `open`: a stream is open and events flow.
 * - `reconnecting`: the stream dropped; the client waits out the backoff or is re-requesting.
 * - `closed`: for good (`close()`, the `signal`, a 204, a fatal error or `maxRetries`).
 */
export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * The event names a client typed by `E` listens for: the keys of `E`, or any string when `E` is
 * the untyped {@link EventMap}.
 */
export type EventName<E extends EventMap> = string extends keyof E ? string : keyof E & string;

/** The data type of event `K` in map `E` (`unknown` for names the map does not list). */
export type DataOf<E extends EventMap, K extends string> = K extends keyof E ? E[K] : unknown;

/**
 * One event as the client received it.
 *
 * @typeParam TData - the type of the parsed data.
 * @typeParam TName - the event name.
 * @example
 * ```ts
 * for await (const event of client.events('tick')) console.log(event.id, event.parsed.n, event.data);
 * ```
 */
export interface ClientEvent<TData = unknown, TName extends string = string> {
  /** The event name; `message` when the server sent no `event:` field. */
  event: TName;
  /** The raw data: the event's `data:` lines joined with `\n`. */
  data: string;
  /** The event's `id:` field, or `undefined` when it had none (`client.lastEventId` is then unchanged). */
  id: string | undefined;
  /** The data after the `parse` option (JSON by default); the same value listeners get first. */
  parsed: TData;
}

/**
 * A listener for one event name: the parsed data first, the whole {@link ClientEvent} second.
 *
 * @example
 * ```ts
 * const onTick: ClientEventListener<{ n: number }, 'tick'> = (data, event) => console.log(data.n, event.id);
 * ```
 */
export type ClientEventListener<TData = unknown, TName extends string = string> = (data: TData, event: ClientEvent<TData, TName>) => void;

/** The `open` lifecycle event. */
export interface OpenInfo {
  /** The answer that opened the stream, for its headers and status (its body is being read). */
  response: Response;
}

/** The `reconnecting` lifecycle event, sent before the client waits to reconnect. */
export interface ReconnectingInfo {
  /** 1 for the first retry after a failure; back to 1 once a stream opens again. */
  attempt: number;
  /** Milliseconds the client waits before the next request. */
  delay: number;
  /** Why the previous stream or request ended. */
  error: SseClientError;
}

/** The `close` lifecycle event, sent once when the client stops for good. */
export interface CloseInfo {
  /**
   * `client`: `close()` or the `signal`. `done`: the server answered 204, or ended the stream
   * with `closeOnEnd` set. `error`: a fatal error or `maxRetries` reached (see `error`).
   */
  reason: 'client' | 'done' | 'error';
  /** The error that stopped the client, when `reason` is `error`. */
  error?: SseClientError;
}

/**
 * The lifecycle events of a client and what their listeners receive. They are separate from the
 * server's events, so a server event named `open` or `error` never looks like a connection change.
 */
export interface LifecycleEvents {
  /** A stream opened (the first one or after a reconnect). */
  open: OpenInfo;
  /** A request or stream failed; `retryable` tells whether the client will try again. */
  error: SseClientError;
  /** The client will reconnect after `delay` ms. */
  reconnecting: ReconnectingInfo;
  /** The server could not replay what was missed (an `ssekit:gap` event): reload your state. */
  gap: GapInfo;
  /**
   * A resumable stream ended for good (its `ssekit:done` or `ssekit:error` event): the client
   * closes once the response ends, instead of resuming.
   */
  finish: FinishInfo;
  /** The client stopped for good. */
  close: CloseInfo;
}
