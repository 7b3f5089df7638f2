/**
 * The seam between the broker and whatever carries events between processes.
 * The in-memory transport is the default; `@ssekit/redis` plugs in here.
 */
import type { ResumableStore } from './resumable/store.js';

/**
 * One published event as the transport carries it.
 * `frame` is the already-validated, serialized event text without its `id` line, so every node
 * only prepends `id: …` and encodes once.
 */
export interface TransportMessage {
  /** The event id written on the wire, assigned by the transport unless the publisher gave one. */
  readonly id: string;
  /** Internal channel names (topics, broadcast, per-client) the event goes to. */
  readonly channels: readonly string[];
  /** The event block without its `id` line, ending with the blank line. */
  readonly frame: string;
  /**
   * The event as written to clients (`id: …` line, then `frame`, UTF-8), when the transport keeps
   * it encoded. The broker writes these bytes as they are instead of encoding again, so sockets that
   * buffer the event share the transport's copy. Never modified once published.
   */
  readonly bytes?: Uint8Array;
  /**
   * The event's place in the transport's total order, when it has one: positions compare with
   * `<` (numbers, or strings of one fixed width) and grow with every event. The broker uses them
   * at the seam between a replay and live events: a live event at or before the replay's
   * {@link ReplayResult.through} was already replayed (or is not on the client's channels) and is
   * dropped, however late the transport delivers it.
   */
  readonly position?: number | string;
  /**
   * The lane (such as a shard of a sharded transport) whose order `position` belongs to, when the
   * transport keeps one order per lane rather than one in all: positions then compare only within
   * a lane, and the replay's {@link ReplayResult.through} gives one floor per lane. Leave it out
   * for a single order.
   */
  readonly lane?: number;
}

/**
 * Floors of a replay, one per lane (see {@link TransportMessage.lane}), indexed by lane: a live
 * event of lane `k` at or before `floors[k]` was replayed already. A lane without a floor
 * (`undefined`) drops nothing.
 */
export type LaneFloors = readonly (number | string | undefined)[];

/** What the transport knows about the events after a client's last id. */
export interface ReplayResult {
  /** Events after the id on the asked channels, oldest first, each once. */
  readonly messages: readonly TransportMessage[];
  /**
   * Set when events may have been missed: `expired` when history no longer reaches back to the
   * id, `unknown` when the id was never seen (another server, a restart, or garbage).
   */
  readonly gap?: 'expired' | 'unknown';
  /**
   * The newest position (see {@link TransportMessage.position}) the replay accounts for. Live
   * events at or before it are dropped for this client until a newer one arrives. Transports
   * without an order leave it out; the broker then de-duplicates by id at the seam. Transports
   * whose messages carry a `lane` give one floor per lane ({@link LaneFloors}).
   */
  readonly through?: number | string | LaneFloors;
}

/**
 * History the transport lost while streams were open: events that were (or may have been)
 * accepted but will never be delivered, such as a Redis restart without persistence, a read loop
 * that fell behind retention, or a failover to a replica without the newest writes.
 */
export interface TransportGap {
  /** Channels that lost events; absent when any channel may have. */
  readonly channels?: readonly string[];
  /** What the transport saw, for logs (not sent to clients). */
  readonly detail: string;
  /**
   * The lane (see {@link TransportMessage.lane}) whose history was lost, when only one was:
   * positions of that lane may start over, the floors of the others still hold.
   */
  readonly lane?: number;
}

/** What the broker listens to on its transport. */
export interface TransportListener {
  /**
   * Every delivered event, in the transport's order. Pass `more: true` when another message follows
   * in the same synchronous run (a batch read from the backplane): the broker then joins the run
   * into one write per client instead of writing its first message at once.
   */
  message(message: TransportMessage, more?: boolean): void;
  /**
   * History was lost: the broker sends an `ssekit:gap` (reason `lost`) to every open stream on
   * the affected channels, so no client goes on as if it had everything.
   */
  gap(gap: TransportGap): void;
}

/**
 * A transport's own counters (see {@link Transport.stats}); `broker.stats().transport` and the
 * `ssekit:transport:lag` diagnostics channel carry them.
 */
export interface TransportStats {
  /** Entries published to the backplane that this node's reader has not delivered yet. */
  readonly lagEntries: number;
  /** Age in milliseconds of the oldest entry not delivered yet (`0` when caught up). */
  readonly lagMs: number;
  /** Times the reader's connection was re-established after it dropped. */
  readonly reconnects: number;
  /** Lost-history notices the transport reported to its listeners (`TransportListener.gap`). */
  readonly gapsReported: number;
}

/** One client present on a topic (see {@link TransportPresence.list}). */
export interface PresenceEntry {
  /** The client key (`clientId` hook or stream option; a session's own id without one). */
  readonly clientId: string;
  /** Its open sessions subscribed to the topic, on every node. */
  readonly sessions: number;
}

/**
 * The notices of one client on one topic (see {@link TransportPresence.join}): complete event
 * blocks without an `id` line, ending with the blank line, as `TransportMessage.frame`.
 */
export interface PresenceFrames {
  /** Published on the topic when this session is the client's first there. */
  readonly join: string;
  /** Published on the topic when the client's last session leaves it or expires. */
  readonly leave: string;
}

/**
 * Who is subscribed to which topic, across every broker sharing the transport. The broker calls
 * `join` when a stream subscribes to a topic and `leave` when it unsubscribes or ends, never per
 * event. Session ids are unique per broker; the transport makes them unique across brokers.
 *
 * Join and leave notices are the transport's to publish, atomically with the change they report
 * (in one script, one lock): then they reach subscribers in the order of the changes, even when
 * a client leaves on one node and comes back on another at the same moment, and a dead node's
 * clients still get their leave notices.
 */
export interface TransportPresence {
  /**
   * Records one session of `clientId` on `topic`; resolves to the client's sessions on it after
   * (`1`: it just joined). With `notices`, publishes `notices.join` on the topic (channel
   * `#topic`) when this is the client's first session, and keeps `notices.leave` to publish when
   * its last session leaves or expires.
   */
  join(topic: string, clientId: string, sessionId: string, notices?: PresenceFrames): number | Promise<number>;
  /**
   * Removes one session; resolves to the client's sessions left on the topic (`0`: it left), or
   * `undefined` when the session was not recorded (already expired or never joined).
   */
  leave(topic: string, clientId: string, sessionId: string): number | undefined | Promise<number | undefined>;
  /** The clients present on `topic`, each once with its count of sessions, sorted by client id. */
  list(topic: string): readonly PresenceEntry[] | Promise<readonly PresenceEntry[]>;
}

/** Carries published events to every broker that shares it, and remembers them for replay. */
export interface Transport {
  /**
   * Stores and delivers an event to every subscribed listener (this process's included).
   * Resolves to the event id. `id` is the publisher's own id, if any.
   */
  publish(channels: readonly string[], frame: string, id?: string): string | Promise<string>;
  /** Registers a listener for delivered events and lost history. Returns an unsubscribe function. */
  subscribe(listener: TransportListener): () => void;
  /** The retained events after `lastEventId` on `channels`. */
  replay(channels: readonly string[], lastEventId: string): ReplayResult | Promise<ReplayResult>;
  /**
   * Resolves once every event published from now on will reach the listeners: a transport whose
   * reader starts asynchronously (the Redis read loop learning where the stream ends) has its
   * starting point. The broker waits for it before it registers a stream, so a stream never
   * misses an event published after it opened. Rejects when that cannot be known (the backplane
   * is unreachable, an `SseTransportError`): the stream is then refused with 503. An
   * `SseRejectedError` is answered as it is; any other typed error (the app's code the transport
   * runs failed, such as the Redis transport's `shardOf`) is an `SseHookError` (hook `transport`),
   * a 500. Transports that deliver synchronously can leave it out.
   *
   * `channels` are the channels the stream is about to join (the broadcast, its client's and its
   * topics' channels): a transport that reads only what local subscribers need (a sharded one)
   * starts reading those here. Without them, everything must be ready.
   */
  ready?(channels?: readonly string[]): Promise<void>;
  /**
   * Told when a channel gets its first subscriber on this broker (`watch`) and loses its last
   * (`unwatch`), including subscriptions made on open streams: a transport that reads only what
   * local subscribers need starts and stops reading by them. Called synchronously, never per
   * event. Transports that read everything can leave both out.
   */
  watch?(channel: string): void;
  /** See {@link Transport.watch}. */
  unwatch?(channel: string): void;
  /**
   * Resolves once every event whose `publish` has resolved was handed to the listeners (or after
   * `timeout` ms). `broker.close()` waits for it, so a graceful shutdown delivers what it accepted.
   * Transports that deliver synchronously can leave it out.
   */
  flush?(timeout: number): Promise<void>;
  /**
   * Where resumable streams are kept, when the transport can keep them where every node reaches
   * (so a resume works on any node). Without it the broker keeps them in memory.
   */
  readonly resumable?: ResumableStore;
  /**
   * Who is subscribed to which topic, across every broker sharing the transport
   * (`broker.presence(topic)`, join/leave notices). Without it the broker has no presence.
   */
  readonly presence?: TransportPresence;
  /**
   * The transport's counters: how far its reader is behind, reconnects and lost-history notices.
   * Transports that deliver synchronously can leave it out.
   */
  stats?(): TransportStats;
  /** Releases timers and connections. */
  close(): void | Promise<void>;
}
