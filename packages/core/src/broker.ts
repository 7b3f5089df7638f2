/**
 * `createBroker`: wires admission, the streams' records, fan-out, replay, heartbeats and the
 * transport together. Each job lives in its own module; this one only connects them.
 */
import { authorizeStream } from './admission.js';
import type { BrokerOptions, BrokerStats, StreamOptions } from './broker-options.js';
import { Capacity } from './capacity.js';
import { BROADCAST, Channels, clientChannel, topicChannel } from './channels.js';
import type { Connection } from './connection.js';
import { type EncodeOptions, formatEvent } from './encode.js';
import { isSseError, SseClosedError } from './errors.js';
import { createFanOut } from './fan-out.js';
import { EMPTY_COMMENT, startHeartbeat } from './heartbeat.js';
import { createMemoryTransport } from './memory-transport.js';
import { holdForReplay, replay } from './replay.js';
import { reporter } from './report.js';
import { notAcceptable, readLastEventId, type StreamRequest } from './request.js';
import type { Sink } from './sink.js';
import { isStreamSource, type StreamBody } from './source.js';
import { type AnyStream, Stream, type StreamHost } from './stream.js';
import type { EventMap, EventOf } from './types.js';
import { WriteScheduler } from './write-scheduler.js';

export type { BrokerOptions, BrokerStats, StreamOptions } from './broker-options.js';
export { GAP_EVENT } from './gap.js';

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
   * Admits and opens a stream. Refuses a client whose `Accept` header refuses
   * `text/event-stream` (406), then runs authorization and limits, then calls `open()` to send
   * the response head, writes the `retry` hint, subscribes, and starts the replay after
   * `Last-Event-ID` (resolving once the transport has answered it; the replay itself is written
   * as the socket drains). A `HEAD` request gets the head only: the sink is ended at once and no
   * stream is registered. For adapter authors; route code uses the adapter's `sse()` helper.
   *
   * `body`, when given, runs once the stream is open (not for `HEAD`): a source is piped and the
   * stream closed when it ends; a callback gets the connection, and if it throws or rejects the
   * failure goes to `onError` (`phase: 'open'`) and the stream ends.
   * @throws {@link SseRejectedError} before `open()` is called when the stream is refused;
   *   {@link SseHookError} when an admission hook threw something else.
   */
  stream(request: StreamRequest, options: StreamOptions, open: () => Sink, body?: StreamBody<E, P>): Promise<Connection<E, P>>;
  /** Subscribes an open stream to more topics (not authorized again: check before calling); same as `connection.subscribe`. */
  subscribe(connection: Connection<E, P>, topics: readonly string[]): void;
  /** Removes topics from an open stream; same as `connection.unsubscribe`. */
  unsubscribe(connection: Connection<E, P>, topics: readonly string[]): void;
  /** The open streams. */
  connections(): IterableIterator<Connection<E, P>>;
  /** Counters: connections, published, delivered, bytes, slow-client closes, replayed, gaps. */
  stats(): BrokerStats;
  /** True after `close()` was called. */
  readonly closed: boolean;
  /**
   * Shuts down gracefully: from the moment it is called, new streams are refused with 503 and
   * `publish` rejects with `BROKER_CLOSED`. Publishes already under way finish and the transport
   * delivers them (waiting at most `closeTimeout`), then every stream gets what it was sent and
   * ends; a client still not done after `closeTimeout` is dropped. Resolves once all are closed.
   */
  close(): Promise<void>;
}

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
  const transport = options.transport ?? createMemoryTransport(options.history);
  const encodeOptions: EncodeOptions = options.serialize ? { serialize: options.serialize } : {};
  const maxBufferedBytes = options.maxBufferedBytes ?? 262_144;
  const closeTimeout = options.closeTimeout ?? 5_000;
  const capacity = new Capacity(
    options.maxConnections ?? Number.POSITIVE_INFINITY,
    options.maxConnectionsPerClient ?? Number.POSITIVE_INFINITY,
    options.retryAfter ?? 5,
  );
  const open = new Set<Stream<E, P>>();
  const channels = new Channels();
  const scheduler = new WriteScheduler();
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
  /** Publishes not yet answered by the transport: a graceful close waits for them. */
  const publishing = new Set<Promise<unknown>>();
  const report = reporter(options.onError);
  let sessionCount = 0;
  let closed = false;
  let closing: Promise<void> | undefined;

  const host: StreamHost = {
    encodeOptions,
    maxBufferedBytes,
    closeTimeout,
    counters: stats,
    schedule: (stream, chunk, batchIndex) => scheduler.enqueue(stream, chunk, batchIndex),
    flush: (stream) => scheduler.flush(stream),
    join: (stream, topics) => {
      for (const topic of topics) channels.join(stream, topicChannel(topic));
    },
    leave: (stream, topics) => {
      for (const topic of topics) channels.leave(stream, topicChannel(topic));
    },
    release: (stream, reason) => {
      if (!open.delete(stream)) return;
      channels.leaveAll(stream);
      capacity.remove(stream.clientId);
      stats.connections = open.size;
      if (options.onDisconnect) runHook('onDisconnect', stream, () => options.onDisconnect?.(stream, reason));
    },
    report: report as StreamHost['report'],
  };

  /** Runs `onConnect` / `onDisconnect`: a throwing hook is reported, never thrown into a socket event. */
  const runHook = (hook: 'onConnect' | 'onDisconnect', stream: Stream<E, P>, call: () => void) => {
    try {
      call();
    } catch (error) {
      report(error, { phase: 'hook', hook, connection: stream });
    }
  };

  const unsubscribeTransport = transport.subscribe(createFanOut(channels, scheduler, open, stats));
  const stopHeartbeat = startHeartbeat(options.heartbeatInterval ?? 15_000, open, options.closeUnresponsive ?? true, stats);

  const publishTo = (channelNames: readonly string[], event: EventOf<E>): Promise<string> => {
    if (closed) return Promise.reject(new SseClosedError('BROKER_CLOSED', 'The broker is closed; create a new one to publish again.'));
    let published: Promise<string>;
    try {
      const { id, ...rest } = event as { id?: string | number; data?: unknown; event?: string };
      // The broker always adds an id line, so a published event is always dispatched: give it data.
      const body = rest.data === undefined && rest.event === undefined ? { ...rest, data: '' } : rest;
      const frame = formatEvent(body, encodeOptions);
      if (id !== undefined) formatEvent({ id }); // validates the id
      stats.published++;
      published = Promise.resolve(transport.publish(channelNames, frame, id === undefined ? undefined : String(id)));
    } catch (error) {
      return Promise.reject(error);
    }
    const settled: Promise<boolean> = published.then(
      () => publishing.delete(settled),
      () => publishing.delete(settled),
    );
    publishing.add(settled);
    return published;
  };

  /** Opens the stream's record and registers it: limits, channels, the opening bytes. */
  const register = (request: StreamRequest, clientId: string, principal: P, sink: Sink, retry: number | undefined) => {
    const lastEventId = readLastEventId(request);
    const sessionId = `${Date.now().toString(36)}.${(++sessionCount).toString(36)}`;
    const stream = new Stream<E, P>(sessionId, clientId, principal, lastEventId ?? undefined, sink, host);
    open.add(stream);
    capacity.add(clientId);
    stats.connections = open.size;
    // The first bytes of every stream: some runtimes (Bun) and proxies hold the response head
    // until the first body byte; an empty comment (or the retry hint after one) opens it at once.
    scheduler.enqueue(stream, retry === undefined ? EMPTY_COMMENT : textEncoder.encode(`:\n${formatEvent({ retry })}`), -1);
    if (lastEventId !== undefined) holdForReplay(stream, maxBufferedBytes);
    channels.join(stream, BROADCAST);
    channels.join(stream, clientChannel(clientId));
    return { stream, lastEventId };
  };

  const refuse = (clientId?: string) => {
    const refusal = capacity.refusal(closed, clientId);
    if (refusal) {
      stats.rejected++;
      throw refusal;
    }
  };

  const broker: Broker<E, P> = {
    publish: (topics, event) => publishTo((typeof topics === 'string' ? [topics] : topics).map(topicChannel), event),
    broadcast: (event) => publishTo([BROADCAST], event),
    send: (clientId, event) => publishTo([clientChannel(clientId)], event),

    async stream(request, streamOptions, openSink, body) {
      const unacceptable = notAcceptable(request.header('accept'));
      if (unacceptable) {
        stats.rejected++;
        throw unacceptable;
      }
      refuse();
      let admitted: Awaited<ReturnType<typeof authorizeStream<P>>>;
      try {
        admitted = await authorizeStream(options, request, streamOptions.topics ?? []);
      } catch (error) {
        if (isSseError(error) && error.code === 'REJECTED') stats.rejected++;
        throw error;
      }
      const clientId = streamOptions.clientId ?? admitted.clientId ?? `${Date.now().toString(36)}.${(sessionCount + 1).toString(36)}`;
      refuse(clientId); // again after the hooks: other streams may have opened meanwhile
      const retry = streamOptions.retry ?? options.retry;
      if (retry !== undefined) formatEvent({ retry }); // an invalid hint fails before the head goes out
      if (request.method === 'HEAD') return headOnly(openSink(), clientId, admitted.principal, host);

      const { stream, lastEventId } = register(request, clientId, admitted.principal, openSink(), retry);
      for (const topic of admitted.topics) channels.join(stream, topicChannel(topic));
      if (stream.sink.closed) stream.end('client');
      if (options.onConnect) runHook('onConnect', stream, () => options.onConnect?.(stream));
      if (lastEventId !== undefined) await replay(stream, transport, lastEventId, stats);
      if (body !== undefined) runBody(stream, body);
      return stream;
    },

    subscribe: (connection, topics) => connection.subscribe(topics),
    unsubscribe: (connection, topics) => connection.unsubscribe(topics),

    connections: () => open.values(),

    stats: () => ({ ...stats, connections: open.size }),

    get closed() {
      return closed;
    },

    close() {
      if (!closing) {
        closed = true;
        closing = shutdown();
      }
      return closing;
    },
  };

  /** See {@link Broker.close}. */
  async function shutdown(): Promise<void> {
    await Promise.race([Promise.all(publishing), delay(closeTimeout)]);
    await transport.flush?.(closeTimeout).catch(() => {});
    stopHeartbeat();
    unsubscribeTransport();
    await Promise.all([...open].map(endAndWait));
    await transport.close();
  }

  return broker;
}

/**
 * Runs what route code handed over for an open stream, in the background: the adapter's route
 * has returned, so a failure goes to `onError` (through the stream's host), not to the framework.
 */
function runBody<E extends EventMap, P>(stream: Stream<E, P>, body: StreamBody<E, P>): void {
  if (isStreamSource(body)) {
    void stream.pipe(body).then(() => stream.close());
    return;
  }
  Promise.resolve()
    .then(() => body(stream))
    .catch((error: unknown) => {
      stream.host.report(error, { phase: 'open', connection: stream });
      stream.close();
    });
}

/** Ends a stream gracefully; resolves once its socket has closed (bounded by `closeTimeout`). */
function endAndWait(stream: AnyStream): Promise<void> {
  return new Promise<void>((resolve) => {
    stream.sink.onClose(resolve);
    stream.end('shutdown');
  });
}

/** A `HEAD` request: the head, no body, and nothing registered. */
function headOnly<E extends EventMap, P>(sink: Sink, clientId: string, principal: P, host: StreamHost): Stream<E, P> {
  const stream = new Stream<E, P>('head', clientId, principal, undefined, sink, { ...host, release: () => {} });
  stream.end('server');
  return stream;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
