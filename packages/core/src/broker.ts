/**
 * `createBroker`: wires admission, the streams' records, fan-out, replay, heartbeats and the
 * transport together. Each job lives in its own module; this one only connects them.
 */
import { authorizeStream, limitRejection } from './admission.js';
import type { BrokerOptions, BrokerStats, StreamOptions } from './broker-options.js';
import { Capacity } from './capacity.js';
import { BROADCAST, Channels, clientChannel, topicChannel } from './channels.js';
import type { CloseReason, Connection } from './connection.js';
import { channels as diagnostics, topicsOf } from './diagnostics.js';
import { type EncodeOptions, formatEvent, type SseEvent } from './encode.js';
import { isSseError, SseClosedError, SseHookError } from './errors.js';
import { createFanOut } from './fan-out.js';
import { EMPTY_COMMENT, startHeartbeat } from './heartbeat.js';
import { createMemoryTransport } from './memory-transport.js';
import type { Presence } from './presence.js';
import { PresenceTracker } from './presence-tracker.js';
import { Publisher } from './publisher.js';
import type { RegisteredEvents, RegisteredPrincipal, RegisteredTopics } from './register.js';
import { holdForReplay, replay } from './replay.js';
import { reporter } from './report.js';
import { notAcceptable, readLastEventId, type StreamRequest } from './request.js';
import { type ResumableOptions, type ResumableSource, type ResumableStream, STREAM_ID_HEADER } from './resumable/options.js';
import { type AdmittedReader, Resumables } from './resumable/resumables.js';
import type { Sink } from './sink.js';
import { isStreamSource, type StreamBody } from './source.js';
import { type AnyStream, Stream, type StreamHost } from './stream.js';
import type { EventMap, EventOf, TopicEvents, TopicMap, TopicName } from './types.js';
import { WriteScheduler } from './write-scheduler.js';

export type { BrokerOptions, BrokerStats, StreamOptions } from './broker-options.js';
export { GAP_EVENT } from './gap.js';

/**
 * A publish/subscribe hub for event streams. Create one with {@link createBroker}.
 *
 * @typeParam E - the event map: names and data types of the events it carries.
 * @typeParam P - the principal of its connections (what `authorize` returns; `undefined` without it).
 * @typeParam T - the topic map: which events each topic carries (any topic, any event when untyped).
 */
export interface Broker<E extends EventMap = EventMap, P = unknown, T extends TopicMap = TopicMap> {
  /**
   * Publishes an event to the subscribers of one or more topics. The event is validated and
   * serialized once, then the same bytes go to every subscriber. Resolves to the event id
   * (assigned by the transport unless the event has one). With a typed topic map, the topics must
   * be known and the event one that every one of them carries.
   * @throws {@link SseEncodeError} synchronously-rejected when the event is invalid.
   * @example
   * ```ts
   * await broker.publish('prices', { event: 'price', data: { symbol: 'ACME', value: 42 } });
   * ```
   */
  publish<K extends TopicName<T>>(topics: K | readonly K[], event: EventOf<TopicEvents<E, T, K>>): Promise<string>;
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
   *   {@link SseHookError} when an admission hook threw something else, or the transport could
   *   not watch the stream's channels for a reason other than an outage (hook `transport`).
   */
  stream(
    request: StreamRequest,
    options: StreamOptions<T>,
    open: (headers?: Readonly<Record<string, string>>) => Sink,
    body?: StreamBody<E, P, T>,
  ): Promise<Connection<E, P, T>>;
  /**
   * Starts a resumable stream: `source` runs once, in the background, detached from any request;
   * its events get ids (`1`, `2`, …) and are kept until `ttl` after it ends, in the transport's
   * store when it has one (any node can serve a resume) or in memory. Readers attach with
   * `{ resume: id }` (from the start, or after their `Last-Event-ID`) and get every event once, in
   * order, then live ones, then `ssekit:done` (with what a generator returned) or `ssekit:error`.
   * Route code that starts one per request uses `{ resumable: true }` instead.
   * @throws {@link SseRejectedError} 429 past `resumable.maxPerClient` producers for `owner`; 409 for an id in use.
   * @example
   * ```ts fragment
   * const answer = await broker.createStream((signal) => llm.stream(prompt, { signal }), { owner: user.id });
   * await answer.finished; // { reason: 'complete', value: … }
   * ```
   */
  createStream<I>(source: ResumableSource<I>, options?: ResumableOptions<I, E>): Promise<ResumableStream>;
  /**
   * Stops a resumable stream's producer, on whichever node it runs ("stop generating"); readers
   * get `ssekit:done` (reason `stopped`). With `clientId`, only the stream's owner can stop it.
   * Resolves to false for an unknown stream or another client's.
   */
  stopStream(id: string, clientId?: string): Promise<boolean>;
  /**
   * Who is subscribed to `topic` right now, on every node sharing the transport: each client
   * once, with its count of open sessions. Only what route code asks for is revealed: check that
   * the asker may see the topic before answering with it. Kept by the transport (in memory, or
   * `@ssekit/redis` across nodes, where a dead node's clients leave within its `presence.ttl`).
   * @throws {@link SseError} (`PRESENCE_UNAVAILABLE`) rejected when the transport keeps no
   *   presence or `BrokerOptions.presence` does not track the topic; `SseTransportError` when the
   *   transport cannot answer.
   * @example
   * ```ts
   * const { clients } = await broker.presence('room:lobby');
   * console.log(clients.map((client) => `${client.clientId} (${client.sessions} tabs)`));
   * ```
   */
  presence(topic: TopicName<T>): Promise<Presence>;
  /** Subscribes an open stream to more topics (not authorized again: check before calling); same as `connection.subscribe`. */
  subscribe(connection: Connection<E, P, T>, topics: readonly TopicName<T>[]): void;
  /** Removes topics from an open stream; same as `connection.unsubscribe`. */
  unsubscribe(connection: Connection<E, P, T>, topics: readonly TopicName<T>[]): void;
  /** The open streams. */
  connections(): IterableIterator<Connection<E, P, T>>;
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

/** `BrokerOptions` whose `authorize` is set: the principal is then always what it returns. */
export type Authorized<P, R = unknown> = { authorize: NonNullable<BrokerOptions<P, R>['authorize']> };

/**
 * Creates a broker.
 *
 * Typed by the app's {@link Register} declaration when there is one, or by explicit generics. The
 * principal is `P` when `authorize` is given; without it, it is `P | undefined`, as at run time.
 *
 * @typeParam E - event map: `createBroker<{ tick: { n: number } }>()` type-checks names and data.
 * @default E - `Register['events']`, else any event
 * @typeParam P - the principal your `authorize` hook returns (inferred from it).
 * @typeParam T - topic map: which events each topic carries. Default: `Register['topics']`, else any topic.
 * @typeParam R - the framework request the hooks see as `request.raw`.
 * @example
 * ```ts
 * const broker = createBroker<{ tick: { at: number } }>({ heartbeatInterval: 15_000 });
 * setInterval(() => broker.publish('clock', { event: 'tick', data: { at: Date.now() } }), 2000);
 * ```
 */
export function createBroker<
  E extends EventMap = RegisteredEvents,
  P = RegisteredPrincipal,
  T extends TopicMap = RegisteredTopics,
  R = unknown,
>(options: BrokerOptions<P, R> & Authorized<P, R>): Broker<E, P, T>;
/** Without `authorize` (or when it may be missing) a stream's principal can be `undefined`: `P | undefined`. */
export function createBroker<
  E extends EventMap = RegisteredEvents,
  P = RegisteredPrincipal,
  T extends TopicMap = RegisteredTopics,
  R = unknown,
>(options?: BrokerOptions<P, R>): Broker<E, P | undefined, T>;
export function createBroker<E extends EventMap, P>(options: BrokerOptions<P> = {}): Broker<E, P> {
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
  // Only a transport that reads per channel (a sharded one) is told who listens where.
  const channels = new Channels(transport.watch || transport.unwatch ? transport : {});
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
      const added = topics.filter((topic) => !stream.channels.includes(topicChannel(topic)));
      const joined: string[] = [];
      try {
        for (const topic of added) {
          channels.join(stream, topicChannel(topic)); // throws for a topic the transport cannot read
          joined.push(topic);
        }
      } finally {
        presence.joined(stream, joined);
      }
    },
    leave: (stream, topics) => {
      const removed = topics.filter((topic) => stream.channels.includes(topicChannel(topic)));
      for (const topic of removed) channels.leave(stream, topicChannel(topic));
      presence.left(stream, removed);
    },
    release: (stream, reason) => {
      if (!open.delete(stream)) return;
      if (diagnostics.streamClose.hasSubscribers || diagnostics.slowDrop.hasSubscribers) publishClose(stream, reason);
      presence.left(stream, topicsOf(stream.channels));
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
  const sampleTransport = () => {
    if (transport.stats && diagnostics.transportLag.hasSubscribers) diagnostics.transportLag.publish(transport.stats());
  };
  const stopHeartbeat = startHeartbeat(
    options.heartbeatInterval ?? 15_000,
    open,
    options.closeUnresponsive ?? true,
    stats,
    sampleTransport,
  );

  const publisher = new Publisher(transport, encodeOptions, stats, options.schemas);
  const presence = new PresenceTracker(transport.presence, options.presence, report as StreamHost['report']);
  const resumables = new Resumables(options.resumable ?? {}, transport.resumable, encodeOptions, (error, streamId) =>
    report(error, { phase: 'produce', streamId }),
  );
  const publishTo = (channelNames: readonly string[], event: EventOf<E>): Promise<string> =>
    closed
      ? Promise.reject(new SseClosedError('BROKER_CLOSED', 'The broker is closed; create a new one to publish again.'))
      : publisher.publish(channelNames, event as SseEvent);

  /** Opens the stream's record and registers it: limits, channels, the opening bytes. */
  const register = (
    request: StreamRequest,
    sessionId: string,
    clientId: string,
    principal: P,
    sink: Sink,
    retry: number | undefined,
    route: string | undefined,
    resumable: boolean,
  ) => {
    const lastEventId = readLastEventId(request);
    const stream = new Stream<E, P>(sessionId, clientId, principal, lastEventId ?? undefined, sink, host);
    stream.route = route;
    open.add(stream);
    capacity.add(clientId);
    stats.connections = open.size;
    // The first bytes of every stream: some runtimes (Bun) and proxies hold the response head
    // until the first body byte; an empty comment (or the retry hint after one) opens it at once.
    scheduler.enqueue(stream, retry === undefined ? EMPTY_COMMENT : textEncoder.encode(`:\n${formatEvent({ retry })}`), -1);
    // A resumable stream's reader carries its stream's events only: their ids are the stream's.
    if (resumable) return { stream, lastEventId };
    if (lastEventId !== undefined) {
      // The opening bytes go out before the replay does (which writes as the socket drains).
      scheduler.flush(stream);
      holdForReplay(stream, maxBufferedBytes);
    }
    channels.join(stream, BROADCAST);
    channels.join(stream, clientChannel(clientId));
    return { stream, lastEventId };
  };

  /** Ends the stream cleanly after `maxDuration` ms (the client resumes with its last id). */
  const limitDuration = (stream: Stream<E, P>, maxDuration: number | undefined) => {
    if (maxDuration === undefined || stream.closed) return;
    const timer = setTimeout(() => stream.end('server'), maxDuration);
    timer.unref?.();
    stream.sink.onClose(() => clearTimeout(timer));
  };

  /**
   * The reader of a resumable stream: the one this request starts (`resumable` with a source),
   * or the one it resumes. Owned by the request's client when the broker knows client keys.
   */
  const admitReader = async (
    request: StreamRequest,
    streamOptions: StreamOptions,
    clientKey: string | undefined,
    body: StreamBody<E, P> | undefined,
  ): Promise<{ reader: AdmittedReader; headers: Record<string, string> | undefined }> => {
    if (streamOptions.resume !== undefined) {
      return { reader: await resumables.admit(streamOptions.resume, clientKey, readLastEventId(request)), headers: undefined };
    }
    if (!isStreamSource(body)) {
      throw new TypeError('A resumable stream needs a source to run: sse(source, { resumable: true }), or broker.createStream(source).');
    }
    const own = streamOptions.resumable === true ? {} : (streamOptions.resumable as ResumableOptions);
    const started = await resumables.start(body, { ...own, owner: clientKey });
    return { reader: await resumables.admit(started.id, clientKey, undefined), headers: { [STREAM_ID_HEADER]: started.id } };
  };

  /** Waits until the transport delivers everything published from now on (see `Transport.ready`). */
  const transportReady = async (channelNames: readonly string[]) => {
    if (!transport.ready) return;
    try {
      await transport.ready(channelNames);
    } catch (error) {
      const code = isSseError(error) ? error.code : 'TRANSPORT_FAILED';
      // A typed error that is not about availability (the Redis transport's `shardOf` returned no
      // shard) is a bug to fix, not a reason to reconnect: a 500, like a failing admission hook.
      if (code !== 'TRANSPORT_FAILED' && code !== 'REJECTED') throw new SseHookError('transport', error);
      stats.rejected++;
      if (code === 'REJECTED') throw error; // the transport's own refusal, with its status
      throw limitRejection(503, 'Live events are not available right now; reconnect shortly.', options.retryAfter ?? 5);
    }
  };

  const refuse = (clientId?: string) => {
    const refusal = capacity.refusal(closed, clientId);
    if (refusal) {
      stats.rejected++;
      throw refusal;
    }
  };

  const broker: Broker<E, P> = {
    publish: (topics, event) =>
      publishTo((typeof topics === 'string' ? [topics] : (topics as readonly string[])).map(topicChannel), event as EventOf<E>),
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
      // Allocated here, once: a stream without a client key is its own client, under its session id.
      const sessionId = `${Date.now().toString(36)}.${(++sessionCount).toString(36)}`;
      const clientId = streamOptions.clientId ?? admitted.clientId ?? sessionId;
      // The channels register() and the topic joins below give the stream.
      await transportReady([BROADCAST, clientChannel(clientId), ...admitted.topics.map(topicChannel)]);
      refuse(clientId); // again after the hooks: other streams may have opened meanwhile
      const retry = streamOptions.retry ?? options.retry;
      if (retry !== undefined) formatEvent({ retry }); // an invalid hint fails before the head goes out
      if (request.method === 'HEAD') return headOnly(openSink(), clientId, admitted.principal, host);
      const maxDuration = streamOptions.maxDuration ?? options.maxDuration;

      if (streamOptions.resume !== undefined || streamOptions.resumable) {
        const clientKey = streamOptions.clientId ?? admitted.clientId;
        const { reader, headers } = await admitReader(request, streamOptions, clientKey, body);
        const { stream } = register(request, sessionId, clientId, admitted.principal, openSink(headers), retry, streamOptions.route, true);
        if (stream.sink.closed) stream.end('client');
        if (options.onConnect) runHook('onConnect', stream, () => options.onConnect?.(stream));
        resumables.follow(stream, reader, stats);
        limitDuration(stream, maxDuration);
        return stream;
      }

      const { stream, lastEventId } = register(
        request,
        sessionId,
        clientId,
        admitted.principal,
        openSink(),
        retry,
        streamOptions.route,
        false,
      );
      for (const topic of admitted.topics) channels.join(stream, topicChannel(topic));
      presence.joined(stream, topicsOf(stream.channels));
      if (diagnostics.streamOpen.hasSubscribers) {
        diagnostics.streamOpen.publish({
          connection: stream,
          route: stream.route,
          topics: [...admitted.topics],
          resumed: lastEventId !== undefined,
        });
      }
      if (stream.sink.closed) stream.end('client');
      if (options.onConnect) runHook('onConnect', stream, () => options.onConnect?.(stream));
      limitDuration(stream, maxDuration);
      if (lastEventId !== undefined) await replay(stream, transport, lastEventId, stats);
      if (body !== undefined) runBody(stream, body);
      return stream;
    },

    createStream: (source, streamOptions = {}) => {
      if (closed) return Promise.reject(new SseClosedError('BROKER_CLOSED', 'The broker is closed; create a new one to start streams.'));
      return resumables.start(source, streamOptions as ResumableOptions);
    },
    stopStream: (id, clientId) => resumables.stop(id, clientId),

    presence: (topic) => presence.list(topic),

    subscribe: (connection, topics) => connection.subscribe(topics),
    unsubscribe: (connection, topics) => connection.unsubscribe(topics),

    connections: () => open.values(),

    stats: () =>
      transport.stats ? { ...stats, connections: open.size, transport: transport.stats() } : { ...stats, connections: open.size },

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
    // One budget for both waits: publishes under way, then the transport delivering them.
    const deadline = Date.now() + closeTimeout;
    await publisher.settled(closeTimeout);
    await transport.flush?.(Math.max(0, deadline - Date.now())).catch(() => {});
    await resumables.close(Math.max(0, deadline - Date.now()));
    stopHeartbeat();
    unsubscribeTransport();
    await Promise.all([...open].map(endAndWait));
    // The streams' leaves (and their notices) reach the transport before it closes.
    await presence.settled(closeTimeout);
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

/** Tells the diagnostics channels a registered stream ended (and, when it was slow, that it was dropped). */
function publishClose(stream: AnyStream, reason: CloseReason): void {
  if (reason === 'slow' && diagnostics.slowDrop.hasSubscribers) {
    diagnostics.slowDrop.publish({ connection: stream, route: stream.route, bufferedBytes: stream.bufferedBytes() });
  }
  if (diagnostics.streamClose.hasSubscribers) {
    const lifetime = Date.now() - stream.openedAt;
    diagnostics.streamClose.publish({ connection: stream, route: stream.route, topics: topicsOf(stream.channels), reason, lifetime });
  }
}

/**
 * Ends a stream gracefully; resolves once its socket has closed (bounded by `closeTimeout`, when a
 * stuck client is dropped), or a second after that for a sink that did not close even then (its
 * `abort()` threw: reported, and past helping), so a shutdown never waits for ever.
 */
function endAndWait(stream: AnyStream): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, stream.host.closeTimeout + 1_000);
    timer.unref?.();
    stream.sink.onClose(() => {
      clearTimeout(timer);
      resolve();
    });
    stream.end('shutdown');
  });
}

/** A `HEAD` request: the head, no body, and nothing registered. */
function headOnly<E extends EventMap, P>(sink: Sink, clientId: string, principal: P, host: StreamHost): Stream<E, P> {
  const stream = new Stream<E, P>('head', clientId, principal, undefined, sink, { ...host, release: () => {} });
  stream.end('server');
  return stream;
}
