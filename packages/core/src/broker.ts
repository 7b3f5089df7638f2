import { type AdmissionOptions, authorizeStream, limitRejection } from './admission.js';
import { type CloseReason, Connection, type ConnectionHost } from './connection.js';
import { type EncodeOptions, formatEvent } from './encode.js';
import { isSseError, SseClosedError, type SseRejectedError } from './errors.js';
import { createMemoryTransport, type MemoryTransportOptions } from './memory-transport.js';
import { readLastEventId, type StreamRequest } from './request.js';
import type { Sink } from './sink.js';
import type { ReplayResult, Transport, TransportMessage } from './transport.js';
import type { EventMap, EventOf } from './types.js';
import { encodeWire } from './wire.js';
import { WriteScheduler } from './write-scheduler.js';

/** Options of {@link createBroker}. */
export interface BrokerOptions<P = unknown> extends AdmissionOptions<P>, EncodeOptions {
  /**
   * Carries events between brokers and keeps replay history.
   * @default createMemoryTransport(history)
   */
  transport?: Transport;
  /** Bounds of the default in-memory history (ignored when `transport` is given). */
  history?: MemoryTransportOptions;
  /**
   * Milliseconds between heartbeat comments on idle streams; `0` turns them off. One timer serves
   * every connection, and a stream that carried an event since the last round is skipped.
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
   * Milliseconds `close()` waits for streams to finish gracefully before dropping them.
   * @default 5_000
   */
  closeTimeout?: number;
  /** Called when a stream opens. */
  onConnect?: (connection: Connection<EventMap, P>) => void;
  /** Called when a stream ends, with the reason. */
  onDisconnect?: (connection: Connection<EventMap, P>, reason: CloseReason) => void;
}

/** Per-stream options that route code passes when opening a stream. */
export interface StreamOptions {
  /** Topics to subscribe to (checked against `authorizeTopic` and `maxTopicsPerConnection`). */
  topics?: readonly string[];
  /** The client key, overriding the broker's `clientId` hook. */
  clientId?: string;
  /** Reconnection delay hint (ms) for this stream, overriding the broker's `retry`. */
  retry?: number;
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
  /** Reconnects whose `Last-Event-ID` history could not serve (signalled with `ssekit:gap`). */
  gaps: number;
  /** Stream requests refused by authorization or limits. */
  rejected: number;
}

/**
 * The event name sent when a reconnecting client's `Last-Event-ID` is older than the history or
 * unknown. Its data is `{ "lastEventId": string | null, "reason": "expired" | "unknown" }`.
 * Clients should reload their state when they see it; live events follow.
 */
export const GAP_EVENT = 'ssekit:gap';

/** A publish/subscribe hub for event streams. Create one with {@link createBroker}. */
export interface Broker<E extends EventMap = EventMap, P = unknown> {
  /**
   * Publishes an event to the subscribers of one or more topics. The event is validated and
   * serialized once, then the same bytes go to every subscriber. Resolves to the event id
   * (assigned by the transport unless the event has one).
   * @throws {@link SseEncodeError} synchronously-rejected when the event is invalid.
   */
  publish(topics: string | readonly string[], event: EventOf<E>): Promise<string>;
  /** Publishes to every open stream, whatever its topics. */
  broadcast(event: EventOf<E>): Promise<string>;
  /** Publishes to every open session of one client (replayable like any event). */
  send(clientId: string, event: EventOf<E>): Promise<string>;
  /**
   * Admits and opens a stream. Runs authorization and limits, then calls `open()` to send the
   * response head, writes the `retry` hint, replays history after `Last-Event-ID`, and subscribes.
   * For adapter authors; route code uses the adapter's `sse()` helper.
   * @throws {@link SseRejectedError} before `open()` is called when the stream is refused;
   *   {@link SseHookError} when an admission hook threw something else.
   */
  stream(request: StreamRequest, options: StreamOptions, open: () => Sink): Promise<Connection<E, P>>;
  /** Subscribes an open stream to more topics (not authorized again: check before calling). */
  subscribe(connection: Connection<E, P>, topics: readonly string[]): void;
  /** Removes topics from an open stream. */
  unsubscribe(connection: Connection<E, P>, topics: readonly string[]): void;
  /** The open streams. */
  connections(): IterableIterator<Connection<E, P>>;
  /** Counters: connections, published, delivered, bytes, slow-client closes, replayed, gaps. */
  stats(): BrokerStats;
  /** True after `close()` was called. */
  readonly closed: boolean;
  /**
   * Ends every stream gracefully and resolves once all are closed (dropping those still open
   * after `closeTimeout`). New streams are refused with 503 from the moment it is called.
   */
  close(): Promise<void>;
}

const BROADCAST = '*';
const topicChannel = (topic: string) => `#${topic}`;
const clientChannel = (clientId: string) => `@${clientId}`;
const HEARTBEAT = new TextEncoder().encode(':\n');
/**
 * The first bytes of every stream. Some runtimes (Bun) and proxies hold the response head until
 * the first body byte; an empty comment opens the stream at once and clients ignore it.
 */
const OPENING = HEARTBEAT;
const textEncoder = new TextEncoder();

/**
 * Creates a broker.
 *
 * @typeParam E - event map: `createBroker<{ tick: { n: number } }>()` type-checks names and data.
 * @typeParam P - the principal your `authorize` hook returns.
 * @example
 * ```ts
 * const broker = createBroker<{ tick: { at: number } }>({ heartbeatInterval: 15_000 });
 * setInterval(() => broker.publish('clock', { event: 'tick', data: { at: Date.now() } }), 2000);
 * ```
 */
export function createBroker<E extends EventMap = EventMap, P = unknown>(options: BrokerOptions<P> = {}): Broker<E, P> {
  type Conn = Connection<E, P>;
  const transport = options.transport ?? createMemoryTransport(options.history);
  const encodeOptions: EncodeOptions = options.serialize ? { serialize: options.serialize } : {};
  const maxConnections = options.maxConnections ?? Number.POSITIVE_INFINITY;
  const maxPerClient = options.maxConnectionsPerClient ?? Number.POSITIVE_INFINITY;
  const retryAfter = options.retryAfter ?? 5;
  const open = new Set<Conn>();
  const perClient = new Map<string, number>();
  // A channel with one subscriber holds it directly: most per-client channels have one session,
  // and a Set per idle connection would cost more than the connection itself.
  const subscribers = new Map<string, Conn | Set<Conn>>();
  const countPerClient = Number.isFinite(maxPerClient);
  const closing: Array<Promise<void>> = [];
  const stats: BrokerStats = {
    connections: 0,
    published: 0,
    delivered: 0,
    bytes: 0,
    slowClientCloses: 0,
    unresponsiveCloses: 0,
    replayed: 0,
    gaps: 0,
    rejected: 0,
  };
  let deliveryStamp = 0;
  let sessionCount = 0;
  let closed = false;

  const scheduler = new WriteScheduler(options.maxBufferedBytes ?? 262_144, (_connection, outcome) => {
    if (outcome.slowClosed) stats.slowClientCloses++;
    stats.bytes += outcome.written;
  });

  const host: ConnectionHost = {
    encodeOptions,
    enqueue: (connection, chunk, batchIndex) => scheduler.enqueue(connection, chunk, batchIndex),
    release: (connection, reason) => release(connection as unknown as Conn, reason),
    subscribe: (connection, topics, subscribe) => {
      const conn = connection as unknown as Conn;
      if (subscribe && conn.closed) return;
      for (const topic of topics) (subscribe ? join : leave)(conn, topicChannel(topic));
    },
  };

  const join = (connection: Conn, channel: string) => {
    if (connection.channels.includes(channel)) return;
    connection.channels.push(channel);
    const current = subscribers.get(channel);
    if (current === undefined) subscribers.set(channel, connection);
    else if (current instanceof Set) current.add(connection);
    else subscribers.set(channel, new Set([current, connection]));
  };

  const leave = (connection: Conn, channel: string) => {
    const at = connection.channels.indexOf(channel);
    if (at === -1) return;
    connection.channels.splice(at, 1);
    const current = subscribers.get(channel);
    if (current === connection) subscribers.delete(channel);
    else if (current instanceof Set && current.delete(connection) && current.size === 0) subscribers.delete(channel);
  };

  function release(connection: Conn, reason: CloseReason) {
    if (!open.delete(connection)) return;
    for (const channel of [...connection.channels]) leave(connection, channel);
    if (countPerClient) {
      const left = (perClient.get(connection.clientId) ?? 1) - 1;
      if (left === 0) perClient.delete(connection.clientId);
      else perClient.set(connection.clientId, left);
    }
    stats.connections = open.size;
    options.onDisconnect?.(connection as never, reason);
  }

  const encodeMessage = (message: TransportMessage) => message.bytes ?? encodeWire(message.id, message.frame);

  const deliver = (message: TransportMessage) => {
    let bytes: Uint8Array | undefined;
    let batchIndex = -1;
    const stamp = ++deliveryStamp;
    const offer = (connection: Conn) => {
      if (connection.stamp === stamp) return; // on several of the event's channels: once
      connection.stamp = stamp;
      if (!bytes) {
        bytes = encodeMessage(message);
        batchIndex = scheduler.nextBatchIndex();
      }
      if (connection.seam) {
        connection.seam.push(bytes);
        connection.seamIds?.add(message.id);
      } else {
        scheduler.enqueue(connection as never, bytes, batchIndex);
      }
      stats.delivered++;
    };
    for (const channel of message.channels) {
      const subscribed = subscribers.get(channel);
      if (subscribed instanceof Set) for (const connection of subscribed) offer(connection);
      else if (subscribed !== undefined) offer(subscribed);
    }
  };
  const unsubscribeTransport = transport.subscribe({ message: deliver, gap: () => {} });

  const publishTo = async (channels: readonly string[], event: EventOf<E>): Promise<string> => {
    if (closed) throw new SseClosedError('BROKER_CLOSED', 'The broker is closed; create a new one to publish again.');
    const { id, ...rest } = event as { id?: string | number; data?: unknown; event?: string };
    // The broker always adds an id line, so a published event is always dispatched: give it data.
    const body = rest.data === undefined && rest.event === undefined ? { ...rest, data: '' } : rest;
    const frame = formatEvent(body, encodeOptions);
    if (id !== undefined) formatEvent({ id }); // validates the id
    stats.published++;
    return transport.publish(channels, frame, id === undefined ? undefined : String(id));
  };

  const replay = async (connection: Conn, lastEventId: string | null) => {
    let result: ReplayResult;
    try {
      result = lastEventId === null ? { messages: [], gap: 'unknown' } : await transport.replay([...connection.channels], lastEventId);
    } catch {
      // History is out of reach (a transport outage). End the stream rather than skip ahead:
      // the client reconnects with the same Last-Event-ID and loses nothing.
      connection.end('server');
      return;
    }
    if (connection.closed) return;
    const replayed = new Set<string>();
    for (const message of result.messages) {
      scheduler.enqueue(connection as never, encodeMessage(message), -1);
      replayed.add(message.id);
    }
    stats.replayed += result.messages.length;
    if (result.gap) {
      stats.gaps++;
      const data = JSON.stringify({ lastEventId, reason: result.gap });
      scheduler.enqueue(connection as never, textEncoder.encode(`event: ${GAP_EVENT}\ndata: ${data}\n\n`), -1);
    }
    // The seam: live events that arrived during the replay, minus those the replay already had.
    const seam = connection.seam ?? [];
    const seamIds = [...(connection.seamIds ?? [])];
    connection.seam = undefined;
    connection.seamIds = undefined;
    seam.forEach((bytes, i) => {
      if (!replayed.has(seamIds[i] as string)) scheduler.enqueue(connection as never, bytes, -1);
    });
  };

  const heartbeatInterval = options.heartbeatInterval ?? 15_000;
  const closeUnresponsive = options.closeUnresponsive ?? true;
  const heartbeat =
    heartbeatInterval > 0
      ? setInterval(() => {
          for (const connection of open) {
            // The previous round's heartbeat (or events) is what a vanished peer leaves unacknowledged.
            if (closeUnresponsive && connection.sink.unresponsive?.()) {
              stats.unresponsiveCloses++;
              connection.end('unresponsive');
              continue;
            }
            if (!connection.active && !connection.seam) scheduler.enqueue(connection as never, HEARTBEAT, -1);
            connection.active = false;
          }
        }, heartbeatInterval)
      : undefined;
  heartbeat?.unref?.();

  const reject = (error: SseRejectedError): never => {
    stats.rejected++;
    throw error;
  };

  const broker: Broker<E, P> = {
    publish: (topics, event) => publishTo((typeof topics === 'string' ? [topics] : topics).map(topicChannel), event),
    broadcast: (event) => publishTo([BROADCAST], event),
    send: (clientId, event) => publishTo([clientChannel(clientId)], event),

    async stream(request, streamOptions, openSink) {
      if (closed) reject(limitRejection(503, 'The server is shutting down; reconnect shortly.', retryAfter));
      if (open.size >= maxConnections) reject(limitRejection(503, 'Too many open streams; retry later.', retryAfter));
      let admitted: Awaited<ReturnType<typeof authorizeStream<P>>>;
      try {
        admitted = await authorizeStream(options, request, streamOptions.topics ?? []);
      } catch (error) {
        if (isSseError(error) && error.code === 'REJECTED') stats.rejected++;
        throw error;
      }
      // Limits again after the await: other streams may have opened meanwhile.
      if (closed) reject(limitRejection(503, 'The server is shutting down; reconnect shortly.', retryAfter));
      if (open.size >= maxConnections) reject(limitRejection(503, 'Too many open streams; retry later.', retryAfter));
      const sessionId = `${Date.now().toString(36)}.${(++sessionCount).toString(36)}`;
      const clientId = streamOptions.clientId ?? admitted.clientId ?? sessionId;
      const sameClient = countPerClient ? (perClient.get(clientId) ?? 0) : 0;
      if (sameClient >= maxPerClient)
        reject(limitRejection(429, 'Too many open streams for this client; close one or retry later.', retryAfter));
      const retry = streamOptions.retry ?? options.retry;
      const retryFrame = retry === undefined ? undefined : textEncoder.encode(`:\n${formatEvent({ retry })}`);

      const lastEventId = readLastEventId(request);
      const connection = new Connection<E, P>({
        id: sessionId,
        clientId,
        principal: admitted.principal,
        lastEventId: lastEventId ?? undefined,
        sink: openSink(),
        host,
      });
      open.add(connection);
      if (countPerClient) perClient.set(clientId, sameClient + 1);
      stats.connections = open.size;
      scheduler.enqueue(connection as never, retryFrame ?? OPENING, -1);
      if (lastEventId !== undefined) {
        connection.seam = [];
        connection.seamIds = new Set();
      }
      join(connection, BROADCAST);
      join(connection, clientChannel(clientId));
      for (const topic of admitted.topics) join(connection, topicChannel(topic));
      if (connection.sink.closed) connection.end('client');
      options.onConnect?.(connection as never);
      if (lastEventId !== undefined) await replay(connection, lastEventId);
      return connection;
    },

    subscribe: (connection, topics) => host.subscribe(connection as never, topics, true),
    unsubscribe: (connection, topics) => host.subscribe(connection as never, topics, false),

    connections: () => open.values(),

    stats: () => ({ ...stats, connections: open.size }),

    get closed() {
      return closed;
    },

    async close() {
      if (!closed) {
        closed = true;
        if (heartbeat) clearInterval(heartbeat);
        unsubscribeTransport();
        const timeout = options.closeTimeout ?? 5_000;
        const streams = [...open].map((connection) => endGracefully(connection as never, timeout));
        closing.push(Promise.all(streams).then(() => transport.close()));
      }
      await Promise.all(closing);
    },
  };
  return broker;
}

function endGracefully(conn: Connection<never, unknown>, timeout: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const sink = conn.sink;
    if (sink.closed) return resolve();
    const timer = setTimeout(() => sink.abort(), timeout);
    sink.onClose(() => {
      clearTimeout(timer);
      resolve();
    });
    conn.end('shutdown');
  });
}
