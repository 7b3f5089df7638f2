import type { TransportGap, TransportMessage, TransportStats } from '@ssekit/core';
import type { RedisClient } from './client.js';
import type { ResolvedOptions } from './options.js';
import { ReadLoop } from './read-loop.js';
import type { ShardMap } from './shard-map.js';
import type { StreamId } from './stream-id.js';
import { encodeVector, type Positions } from './vector-id.js';

/** What the readers hand on: messages with their lane and vector id, and lost history per shard. */
export interface ShardReadersOutput {
  /** `more`: another entry of the same shard's read follows (see `TransportListener.message`). */
  message(message: TransportMessage, more: boolean): void;
  gap(gap: TransportGap): void;
}

/** `stats()` of a sharded transport: the worst shard's lag, counters summed, and what is read. */
export interface ShardedTransportStats extends TransportStats {
  /** The shards this node reads now, ascending (shard 0 whenever a stream is open). */
  readonly shardsRead: readonly number[];
}

/**
 * A node's read loops of a sharded transport: one {@link ReadLoop} per shard that its streams
 * need, each on a connection of its own (keys of different Cluster slots cannot share an
 * `XREAD`). It owns the node's vector of positions (see vector-id.ts): the last entry delivered
 * from every shard read, which becomes the id of every event it delivers.
 *
 * A shard is read from the moment a stream is about to need it (`ready`, before the stream
 * registers, so the stream misses nothing published after it opened) or a channel of it gets a
 * local subscriber (`watch`), and stops being read `shardIdleTimeout` ms after its last local
 * channel went (`unwatch`), unless one came back meanwhile.
 */
export class ShardReaders {
  private readonly loops: (ReadLoop | undefined)[];
  private readonly positions: Positions;
  /** Per shard, its channels with local subscribers. */
  private readonly watched: Set<string>[];
  /** Per shard, when a stream last asked for it (`ready`): not stopped for idleness before it joins. */
  private readonly touched: number[];
  private readonly idleTimers: (ReturnType<typeof setTimeout> | undefined)[];
  /** Counters of loops already stopped, so `stats()` does not forget them. */
  private retired = { reconnects: 0, gapsReported: 0 };
  private closed = false;
  /** Set by {@link ShardReaders.pinAll}: every shard is read until close, none stops for idleness. */
  private pinned = false;

  constructor(
    private readonly template: RedisClient,
    private readonly shardOptions: readonly ResolvedOptions[],
    private readonly map: ShardMap,
    private readonly output: ShardReadersOutput,
  ) {
    const shards = shardOptions.length;
    this.loops = new Array(shards).fill(undefined);
    this.positions = new Array(shards).fill(undefined);
    this.watched = Array.from({ length: shards }, () => new Set<string>());
    this.touched = new Array(shards).fill(0);
    this.idleTimers = new Array(shards).fill(undefined);
  }

  /** The running loop of shard `k`, if this node reads it. */
  loop(k: number): ReadLoop | undefined {
    return this.loops[k];
  }

  /** Starts reading `shards` (those not read yet) and resolves once each knows where it starts. */
  async ready(shards: readonly number[], timeout: number): Promise<void> {
    const now = Date.now();
    const loops = shards.map((k) => {
      this.touched[k] = now;
      return this.ensure(k);
    });
    await Promise.all(loops.map((loop) => loop?.started(timeout)));
  }

  /**
   * Reads every shard until close: for a caller that does not say which channels it needs (a
   * broker from before `ready(channels)` and `watch`), which would otherwise miss events once
   * shards stopped for idleness.
   */
  async pinAll(timeout: number): Promise<void> {
    this.pinned = true;
    for (const [k, timer] of this.idleTimers.entries()) {
      if (timer) clearTimeout(timer);
      this.idleTimers[k] = undefined;
    }
    await this.ready(
      this.loops.map((_, k) => k),
      timeout,
    );
  }

  /** A channel got its first local subscriber. */
  watch(channel: string): void {
    const k = this.map.of(channel);
    (this.watched[k] as Set<string>).add(channel);
    this.ensure(k);
  }

  /** A channel lost its last local subscriber. */
  unwatch(channel: string): void {
    const k = this.map.of(channel);
    const watched = this.watched[k] as Set<string>;
    if (watched.delete(channel) && watched.size === 0) this.scheduleIdle(k);
  }

  stats(): ShardedTransportStats {
    let lagEntries = 0;
    let lagMs = 0;
    let { reconnects, gapsReported } = this.retired;
    const shardsRead: number[] = [];
    this.loops.forEach((loop, k) => {
      if (!loop) return;
      shardsRead.push(k);
      const stats = loop.stats();
      lagEntries = Math.max(lagEntries, stats.lagEntries);
      lagMs = Math.max(lagMs, stats.lagMs);
      reconnects += stats.reconnects;
      gapsReported += stats.gapsReported;
    });
    return { lagEntries, lagMs, reconnects, gapsReported, shardsRead };
  }

  /** Resolves once shard `k`'s loop delivered up to `target` (at once when it is not read). */
  reached(k: number, target: StreamId, timeout: number): Promise<void> {
    return this.loops[k]?.reached(target, timeout) ?? Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.idleTimers) if (timer) clearTimeout(timer);
    await Promise.all(this.loops.map((_, k) => this.stop(k)));
  }

  private ensure(k: number): ReadLoop | undefined {
    if (this.closed) return undefined;
    const timer = this.idleTimers[k];
    if (timer) {
      clearTimeout(timer);
      this.idleTimers[k] = undefined;
    }
    // Asked for by a stream that may never join (refused, gone): not read forever for it.
    if ((this.watched[k] as Set<string>).size === 0) this.scheduleIdle(k);
    const running = this.loops[k];
    if (running) return running;
    const loop: ReadLoop = new ReadLoop(this.template, this.shardOptions[k] as ResolvedOptions, {
      // A stopped loop's late callbacks are ignored: the shard's position is the new loop's now.
      message: (message, entryId, more) => {
        if (this.loops[k] !== loop) return;
        this.positions[k] = entryId;
        const id = encodeVector(this.positions);
        this.output.message(
          message.position === undefined
            ? { id, channels: message.channels, frame: message.frame, lane: k }
            : { id, channels: message.channels, frame: message.frame, position: message.position, lane: k },
          more,
        );
      },
      gap: (detail) => {
        if (this.loops[k] !== loop) return;
        this.output.gap({ channels: [...(this.watched[k] as Set<string>)], detail: `shard ${k}: ${detail}`, lane: k });
      },
      started: (cursor) => {
        if (this.loops[k] === loop) this.positions[k] = cursor;
      },
    });
    this.loops[k] = loop;
    loop.start();
    return loop;
  }

  private scheduleIdle(k: number): void {
    if (this.closed || this.pinned || this.idleTimers[k]) return;
    const delay = (this.shardOptions[k] as ResolvedOptions).shardIdleTimeout;
    const timer = setTimeout(() => {
      this.idleTimers[k] = undefined;
      if ((this.watched[k] as Set<string>).size > 0) return;
      // A stream asked for it a moment ago and is about to join: look again later.
      if (Date.now() - (this.touched[k] as number) < delay) this.scheduleIdle(k);
      else void this.stop(k);
    }, delay);
    timer.unref?.();
    this.idleTimers[k] = timer;
  }

  private async stop(k: number): Promise<void> {
    const loop = this.loops[k];
    if (!loop) return;
    this.loops[k] = undefined;
    // Not read any more: ids leave the shard out, so no client is replayed from a stale point.
    this.positions[k] = undefined;
    const stats = loop.stats();
    this.retired = {
      reconnects: this.retired.reconnects + stats.reconnects,
      gapsReported: this.retired.gapsReported + stats.gapsReported,
    };
    await loop.stop();
  }
}
