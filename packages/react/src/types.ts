import type {
  ClientEvent,
  ClientEventListener,
  ClientState,
  CloseInfo,
  DataOf,
  DataOptions,
  EventMap,
  EventName,
  FinishInfo,
  GapInfo,
  OpenInfo,
  ReconnectingInfo,
  RequestOptions,
  SseClientError,
  WireEvents,
} from '@ssekit/client';

/**
 * Where a hook's stream is: the {@link ClientState} of its shared connection, or `idle` when the
 * hook is disabled (`url` is `null`, or `enabled: false`).
 */
export type EventStreamState = ClientState | 'idle';

/**
 * Handlers by event name: each gets the parsed data and the whole event, typed by the event map.
 * They are read at the time of each event, so an inline object does not reconnect or resubscribe.
 */
export type EventHandlers<D extends EventMap> = { readonly [K in EventName<D>]?: ClientEventListener<DataOf<D, K>, K> };

/** Any one event of map `D`: a union discriminated by `event`. */
export type AnyClientEvent<D extends EventMap> = { [K in EventName<D>]: ClientEvent<DataOf<D, K>, K> }[EventName<D>];

/**
 * The options that decide the connection: every request option of `@ssekit/client` except
 * `signal` (the hook owns the connection's life), plus `topics`. Components whose options are
 * equal share one connection; functions (`headers`, `fetch`, `parse`) are not compared, and the
 * latest ones given are used.
 */
export type StreamOptions<E extends EventMap = EventMap> = Omit<RequestOptions, 'signal'> &
  DataOptions<E> & {
    /**
     * Topics to subscribe to, added to the URL as query parameters (`?topic=a&topic=b`, see
     * `topicParam`); the server reads them there. Order and repeats do not matter:
     * `['a', 'b']` and `['b', 'a']` share one connection.
     */
    topics?: readonly string[];
    /**
     * The query parameter that carries each topic.
     * @default 'topic'
     */
    topicParam?: string;
    /**
     * The connection's identity, instead of comparing options: hooks with the same `key` share one
     * connection whatever their other options. Needed when `body` is a `FormData`, `Blob` or stream.
     */
    key?: string;
  };

/**
 * Options of {@link useEventStream}: what the connection is ({@link StreamOptions}) and what this
 * component does with it (handlers). Handlers are read when an event arrives: inline functions
 * neither reconnect nor resubscribe.
 *
 * @typeParam E - the event map (as on the server); its text events must be listed in `formats`.
 * @typeParam D - what handlers receive: by default the JSON wire shape of `E`.
 */
export type UseEventStreamOptions<E extends EventMap = EventMap, D extends EventMap = WireEvents<E>> = StreamOptions<E> & {
  /**
   * `false` keeps the hook idle: no connection, state `idle` (like passing `null` as the URL).
   * @default true
   */
  enabled?: boolean;
  /**
   * The events this component takes, by name (`message` for events without an `event:` field):
   * handlers typed by the map, or just the names when the component only reads `lastEvent`.
   * @example
   * ```ts
   * events: { price: (data, event) => setPrice(data.value) }
   * ```
   */
  events?: EventHandlers<D> | readonly EventName<D>[];
  /** A stream opened (the first one, and after each reconnect). */
  onOpen?: (info: OpenInfo) => void;
  /** A request or stream failed; `error.retryable` says whether it reconnects. */
  onError?: (error: SseClientError) => void;
  /** The connection will be retried after `info.delay` ms. */
  onReconnecting?: (info: ReconnectingInfo) => void;
  /** The server could not replay what was missed (`ssekit:gap`): reload your state. */
  onGap?: (gap: GapInfo) => void;
  /** A resumable answer ended for good (`ssekit:done` or `ssekit:error`): the connection closes after it. */
  onFinish?: (info: FinishInfo) => void;
  /** The connection stopped for good (a 204, a fatal error, `maxRetries`; not a component unmounting). */
  onClose?: (info: CloseInfo) => void;
};

/**
 * The options argument of {@link useEventStream}: required when the event map declares text events
 * (they must be listed in `formats`), optional otherwise.
 */
export type UseEventStreamArgs<E extends EventMap, D extends EventMap> =
  // biome-ignore lint/complexity/noBannedTypes: `{}` asks whether every option is optional
  {} extends UseEventStreamOptions<E, D> ? [options?: UseEventStreamOptions<E, D>] : [options: UseEventStreamOptions<E, D>];

/**
 * What {@link useEventStream} returns. Reading `lastEvent` subscribes the component to re-render
 * on every event it handles; a component that does not read it re-renders only when the
 * connection's state, error or gap changes.
 */
export interface EventStream<D extends EventMap = EventMap> {
  /** The shared connection's state; `idle` when the hook is disabled. */
  readonly state: EventStreamState;
  /** The last error since the connection last opened (cleared when it opens again). */
  readonly error: SseClientError | undefined;
  /** The last `ssekit:gap` the connection received, until it is closed. */
  readonly lastGap: GapInfo | undefined;
  /** The last event this component handles (one named in `events`), or `undefined`. */
  readonly lastEvent: AnyClientEvent<D> | undefined;
}
