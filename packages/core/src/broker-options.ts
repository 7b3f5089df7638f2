/**
 * The broker's public settings and counters.
 */
import type { AdmissionOptions } from './admission.js';
import type { CloseReason, Connection } from './connection.js';
import type { EncodeOptions } from './encode.js';
import type { MemoryTransportOptions } from './memory-transport.js';
import type { PresenceOptions } from './presence.js';
import type { ErrorHandler } from './report.js';
import type { ResumableOptions, ResumableSettings } from './resumable/options.js';
import type { EventSchemas } from './schemas.js';
import type { Transport, TransportStats } from './transport.js';
import type { TopicMap, TopicName } from './types.js';

/**
 * Options of {@link createBroker}.
 *
 * @typeParam P - the principal `authorize` returns.
 * @typeParam R - the framework's request object the hooks see as `request.raw` (set by the adapters' options).
 */
export interface BrokerOptions<P = unknown, R = unknown> extends AdmissionOptions<P, R>, EncodeOptions {
  /**
   * Carries events between brokers and keeps replay history.
   * @default createMemoryTransport(history)
   */
  transport?: Transport;
  /**
   * Schemas that published data must match, by event name (`message` for unnamed events), from
   * any Standard Schema library (zod, valibot, arktype). A mismatch rejects `publish()` with an
   * `SseEncodeError` (`INVALID_DATA`) listing the issues, and nothing is sent; what the schema
   * outputs (it may transform or strip) is what is sent. Synchronous schemas only.
   * @example
   * ```ts fragment
   * createBroker({ schemas: { price: z.object({ symbol: z.string(), value: z.number() }) } });
   * ```
   */
  schemas?: EventSchemas;
  /** Bounds of the default in-memory history (ignored when `transport` is given). */
  history?: MemoryTransportOptions;
  /**
   * Longest silence on a stream, in milliseconds: a stream that wrote nothing for about this long
   * (between one and one and a half intervals, as one timer ticking every half interval serves
   * every stream) gets a `:` comment, so proxies and clients' stall timers do not cut it. Streams
   * that carry events get none. `0` turns them off.
   * @default 15_000
   */
  heartbeatInterval?: number;
  /**
   * On every heartbeat round, drop streams whose peer has stopped acknowledging what was sent
   * (its host vanished from the network: no FIN, no RST), so they are freed within about one
   * heartbeat interval instead of the kernel's retransmission timeout (about 15 minutes on Linux
   * defaults). Needs heartbeats, and a sink that can tell (`@ssekit/core/node` on Linux); a dropped
   * client that comes back reconnects with `Last-Event-ID` and loses nothing.
   * @default true
   */
  closeUnresponsive?: boolean;
  /**
   * Bytes one socket may have buffered before the client counts as slow and is disconnected.
   * It reconnects with `Last-Event-ID` and catches up from history, so nothing is lost and memory
   * per client stays bounded.
   * @default 262_144 (256 KiB)
   */
  maxBufferedBytes?: number;
  /** Reconnection delay hint (ms) sent as `retry:` when a stream opens. */
  retry?: number;
  /**
   * Milliseconds after which every stream is ended cleanly, for platforms that cut long responses
   * (serverless functions, proxies with a response deadline): the client reconnects with its
   * `Last-Event-ID` and loses nothing. Off by default; a stream's own `maxDuration` overrides it.
   */
  maxDuration?: number;
  /**
   * Resumable streams (`broker.createStream`, `{ resumable: true }`): where their events are
   * kept, their caps and TTLs. By default they are kept in the transport's store when it has one
   * (`@ssekit/redis`: resume on any node), else in this process's memory.
   */
  resumable?: ResumableSettings;
  /**
   * Milliseconds a gracefully ending stream (`connection.close()`, `broker.close()`) gets to
   * deliver what it was sent before its socket is dropped; a client that stopped reading cannot
   * hold it longer. `broker.close()` also waits at most this long for the transport to deliver
   * events already published.
   * @default 5_000
   */
  closeTimeout?: number;
  /**
   * Presence: which topics record who is subscribed (`broker.presence(topic)`, across every node
   * sharing the transport) and which send `ssekit:join` / `ssekit:leave` to their subscribers.
   * Recording costs one transport call when a stream joins or leaves a topic, never per event.
   * `false` records nothing.
   * @default every topic recorded, no notices
   * @example
   * ```ts fragment
   * createBroker({ presence: { notify: (topic) => topic.startsWith('room:') } });
   * ```
   */
  presence?: PresenceOptions | false;
  /** Called when a stream opens. */
  // biome-ignore lint/suspicious/noExplicitAny: streams of the broker's event map, whatever it is
  onConnect?: (connection: Connection<any, P>) => void;
  /** Called when a stream ends, with the reason. */
  // biome-ignore lint/suspicious/noExplicitAny: as above
  onDisconnect?: (connection: Connection<any, P>, reason: CloseReason) => void;
  /**
   * Called with every failure after a stream's head was sent, which can no longer become an error
   * response: a throwing open callback (`phase: 'open'`), a piped source that threw (`'pipe'`; the
   * client got the `ssekit:error` event and the stream ended), a throwing `onConnect` or
   * `onDisconnect` (`'hook'`), a sink that threw (`'write'`: that stream is dropped, with close
   * reason `error` unless it was ending already; the others and the publisher carry on). Each
   * failure is reported here once, and not also rejected into the
   * framework. Refusals before the head (401, 406, 429, …) are answers, not failures, and are
   * never reported here.
   * @default logs one `[ssekit] …` line and the error with `console.error`
   * @example
   * ```ts
   * const broker = createBroker({ onError: (error, { phase, connection }) => logger.error({ error, phase, session: connection.id }) });
   * ```
   */
  onError?: ErrorHandler<P>;
}

/**
 * Per-stream options that route code passes when opening a stream.
 *
 * @typeParam T - the topic map: with a typed one (`Register['topics']`), only its topics are accepted.
 */
export interface StreamOptions<T extends TopicMap = TopicMap> {
  /** Topics to subscribe to (checked against `authorizeTopic` and `maxTopicsPerConnection`). */
  topics?: readonly TopicName<T>[];
  /** The client key, overriding the broker's `clientId` hook. */
  clientId?: string;
  /** Reconnection delay hint (ms) for this stream, overriding the broker's `retry`. */
  retry?: number;
  /** Milliseconds after which this stream is ended cleanly (the client resumes); overrides the broker's `maxDuration`. */
  maxDuration?: number;
  /**
   * Reads the resumable stream with this id instead of topics: its events after the client's
   * `Last-Event-ID` (from the start without one), then live ones, then the response ends after
   * its final `ssekit:done` or `ssekit:error` event. Refused with 404 when the stream is unknown,
   * expired, or owned by another client (the same `authorize` and `clientId` hooks decide who
   * the client is). `topics` are ignored.
   * @example
   * ```ts fragment
   * app.get('/answers/:id', async (req, res) => { await res.sse({ resume: req.params.id }); });
   * ```
   */
  resume?: string;
  /**
   * With a source (`sse(source, { resumable: true })`): runs the source once as a resumable
   * stream owned by this request's client, detached from this request, and streams it to this
   * response from the start, with the stream's id in the `ssekit-stream-id` response header. A
   * client that drops resumes it with `{ resume: id }` and its `Last-Event-ID`, on any node that
   * shares the store. An object sets the stream's options (caps, TTL, id, failure event).
   */
  resumable?: boolean | Omit<ResumableOptions, 'owner'>;
  /**
   * A label for the stream's route (`/api/events`, `prices`), carried by the diagnostics channels
   * (`ssekit:stream:open`, `:close`, …) so metrics can group streams. Use the route's template,
   * never the concrete path: each distinct value becomes a metric series. The Fastify, Express,
   * Koa (with `@koa/router`) and Hono adapters set it to the route's template unless given.
   */
  route?: string;
}

/** Counters since the broker was created. */
export interface BrokerStats {
  /** Open streams now. */
  connections: number;
  /** Events published through this broker. */
  published: number;
  /** Event deliveries to sockets (one event to one socket counts one). */
  delivered: number;
  /** Bytes written to sockets. */
  bytes: number;
  /** Streams dropped for exceeding `maxBufferedBytes`. */
  slowClientCloses: number;
  /** Streams dropped because their peer stopped acknowledging (see `closeUnresponsive`). */
  unresponsiveCloses: number;
  /** Events re-sent from history to reconnecting clients. */
  replayed: number;
  /**
   * Gap events sent (`ssekit:gap`): reconnects whose `Last-Event-ID` history could not serve, and
   * open streams told that the transport lost history.
   */
  gaps: number;
  /** Stream requests refused by authorization or limits. */
  rejected: number;
  /** The transport's counters, when it keeps any (see `Transport.stats`). */
  transport?: TransportStats;
}
