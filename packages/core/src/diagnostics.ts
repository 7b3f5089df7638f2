/**
 * What the broker tells observers, through `node:diagnostics_channel` (Node, Bun and Deno all
 * have it): the only file of core that imports it. Every publish is behind `hasSubscribers`, so
 * with nobody listening the hot path allocates nothing; deliveries are published once per
 * fan-out of one event (a count of streams and bytes), never per socket write.
 */
import { channel } from 'node:diagnostics_channel';
import type { CloseReason, Connection } from './connection.js';
import type { GapReason } from './gap.js';
import type { TransportStats } from './transport.js';

/**
 * The names of ssekit's diagnostics channels. Subscribe with `node:diagnostics_channel`'s
 * `subscribe(name, listener)`; each channel's message type is named after it
 * ({@link StreamOpenMessage}, …). The `ssekit:` prefix and these names are stable.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { DIAGNOSTICS_CHANNELS, type StreamCloseMessage } from '@ssekit/core';
 *
 * subscribe(DIAGNOSTICS_CHANNELS.streamClose, (message) => {
 *   const { route, reason, lifetime } = message as StreamCloseMessage;
 *   console.log(`stream on ${route ?? '(no route)'} ended (${reason}) after ${lifetime} ms`);
 * });
 * ```
 */
export const DIAGNOSTICS_CHANNELS = {
  /** A stream was admitted and registered: {@link StreamOpenMessage}. */
  streamOpen: 'ssekit:stream:open',
  /** A registered stream ended, for whatever reason: {@link StreamCloseMessage}. */
  streamClose: 'ssekit:stream:close',
  /** An event was handed to the transport (`publish`, `broadcast`, `send`): {@link PublishMessage}. */
  publish: 'ssekit:publish',
  /** The transport delivered an event and it was queued for its streams: {@link DeliverMessage}. */
  deliver: 'ssekit:deliver',
  /** A reconnecting stream's history was read after its `Last-Event-ID`: {@link ReplayMessage}. */
  replay: 'ssekit:replay',
  /** A stream was sent an `ssekit:gap` event: {@link GapMessage}. */
  gap: 'ssekit:gap',
  /** A stream was dropped for buffering more than `maxBufferedBytes`: {@link SlowDropMessage}. */
  slowDrop: 'ssekit:slow-drop',
  /** One heartbeat round over every open stream: {@link HeartbeatSweepMessage}. */
  heartbeatSweep: 'ssekit:heartbeat:sweep',
  /** The transport's own counters, sampled every heartbeat round: {@link TransportLagMessage}. */
  transportLag: 'ssekit:transport:lag',
} as const;

/** Published on `ssekit:stream:open`. */
export interface StreamOpenMessage {
  readonly connection: Connection;
  /** The stream's route label (`StreamOptions.route`), for grouping; `undefined` when not set. */
  readonly route: string | undefined;
  /** Topics the stream opened with. */
  readonly topics: readonly string[];
  /** True when the client sent a `Last-Event-ID` (a replay follows). */
  readonly resumed: boolean;
}

/** Published on `ssekit:stream:close`, once per stream that was opened. */
export interface StreamCloseMessage {
  readonly connection: Connection;
  readonly route: string | undefined;
  /** Topics the stream was subscribed to when it ended. */
  readonly topics: readonly string[];
  readonly reason: CloseReason;
  /** Milliseconds from open to close. */
  readonly lifetime: number;
}

/** Published on `ssekit:publish`, once per accepted `publish` / `broadcast` / `send`. */
export interface PublishMessage {
  /** `topic` for `publish()`, `broadcast` for `broadcast()`, `client` for `send()`. */
  readonly target: 'topic' | 'broadcast' | 'client';
  /** The topics of a `publish()` (empty otherwise). */
  readonly topics: readonly string[];
}

/** Published on `ssekit:deliver`, once per event the transport delivered to this broker. */
export interface DeliverMessage {
  /** The event id. */
  readonly id: string;
  /** Streams the event was queued for (0 when none of this node's streams wanted it). */
  readonly streams: number;
  /** Bytes queued for those streams in total (`streams` x the event's size). */
  readonly bytes: number;
}

/** Published on `ssekit:replay`, once per stream that asked for history. */
export interface ReplayMessage {
  readonly connection: Connection;
  readonly route: string | undefined;
  /** Events re-sent from history. */
  readonly events: number;
  /** Set when history could not serve the id (an `ssekit:gap` event was sent too). */
  readonly gap: 'expired' | 'unknown' | undefined;
}

/** Published on `ssekit:gap`, once per `ssekit:gap` event queued for a stream. */
export interface GapMessage {
  readonly connection: Connection;
  readonly route: string | undefined;
  readonly reason: GapReason;
}

/** Published on `ssekit:slow-drop`, once per stream dropped as slow. */
export interface SlowDropMessage {
  readonly connection: Connection;
  readonly route: string | undefined;
  /** Bytes the socket had buffered when it was dropped. */
  readonly bufferedBytes: number;
}

/** Published on `ssekit:heartbeat:sweep`, once per heartbeat round (every half interval). */
export interface HeartbeatSweepMessage {
  /** Open streams the round visited. */
  readonly streams: number;
  /** Heartbeat comments queued. */
  readonly heartbeats: number;
  /** Streams dropped because their peer stopped acknowledging. */
  readonly unresponsive: number;
}

/** Published on `ssekit:transport:lag` after each heartbeat round, when the transport has `stats()`. */
export type TransportLagMessage = TransportStats;

/** The channels, created once. @internal */
export const channels = {
  streamOpen: channel(DIAGNOSTICS_CHANNELS.streamOpen),
  streamClose: channel(DIAGNOSTICS_CHANNELS.streamClose),
  publish: channel(DIAGNOSTICS_CHANNELS.publish),
  deliver: channel(DIAGNOSTICS_CHANNELS.deliver),
  replay: channel(DIAGNOSTICS_CHANNELS.replay),
  gap: channel(DIAGNOSTICS_CHANNELS.gap),
  slowDrop: channel(DIAGNOSTICS_CHANNELS.slowDrop),
  heartbeatSweep: channel(DIAGNOSTICS_CHANNELS.heartbeatSweep),
  transportLag: channel(DIAGNOSTICS_CHANNELS.transportLag),
};

/** The public topics among a stream's internal channel names (`#topic`). @internal */
export function topicsOf(channelNames: readonly string[]): string[] {
  const topics: string[] = [];
  for (const name of channelNames) if (name.charCodeAt(0) === 35 /* # */) topics.push(name.slice(1));
  return topics;
}
