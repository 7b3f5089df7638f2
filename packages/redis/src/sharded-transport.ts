import {
  type LaneFloors,
  type ReplayResult,
  SseEncodeError,
  SseTransportError,
  type Transport,
  type TransportListener,
  type TransportMessage,
} from '@ssekit/core';
import { isCluster, type RedisClient } from './client.js';
import { openWriter } from './connections.js';
import { entryFields } from './entry.js';
import type { RedisTransportOptions, ResolvedOptions } from './options.js';
import { createRedisPresence } from './presence.js';
import { notSent, publishFailure } from './publish-error.js';
import { appendEntry, loadScriptOnConnect } from './publish-script.js';
import { whenReady } from './ready.js';
import { type Replayed, readReplay } from './replay.js';
import { createRedisResumableStore } from './resumable-store.js';
import { shardKeys } from './shard-keys.js';
import { ShardMap } from './shard-map.js';
import { ShardReaders } from './shard-readers.js';
import { compareStreamIds, parseStreamId, type StreamId } from './stream-id.js';
import { clusterSafe } from './stream-key.js';
import { decodeVector, encodeVector, type Positions } from './vector-id.js';

const UNKNOWN: ReplayResult = { messages: [], gap: 'unknown' };

/** The entry id `<ms>-<seq>` of a zero-padded position (see `positionOf`). */
function entryIdOf(position: string | number | undefined): string | undefined {
  if (typeof position !== 'string') return undefined;
  const dash = position.indexOf('-');
  return dash === -1 ? undefined : `${BigInt(position.slice(0, dash))}-${BigInt(position.slice(dash + 1))}`;
}

/**
 * The transport `createRedisTransport` returns with `shards > 1` (see the README's "Sharding"):
 * one stream per shard, a read loop per shard this node needs ({@link ShardReaders}), ids that
 * are vectors of per-shard positions, and replay merged over the shards of a client's channels.
 */
export function createShardedTransport(options: RedisTransportOptions, resolved: ResolvedOptions, template: RedisClient): Transport {
  if (isCluster(template) && clusterSafe(resolved.streamKey)) {
    throw new SseTransportError(
      `The stream key "${resolved.streamKey}" has a hash tag, which would put every shard in one Cluster slot. Leave the hash tag out with shards > 1: each shard gets its own.`,
    );
  }
  const shards = resolved.shards;
  const map = new ShardMap(shards, resolved.shardOf);
  const shardOptions = shardKeys(resolved.streamKey, shards).map((streamKey) => ({ ...resolved, streamKey }));
  const writer = openWriter(template, resolved);
  loadScriptOnConnect(writer, resolved.onError);
  const listeners = new Set<TransportListener>();
  const readers = new ShardReaders(template, shardOptions, map, {
    message(message, more) {
      for (const listener of listeners) listener.message(message, more);
    },
    gap(gap) {
      resolved.onError(new SseTransportError(`Redis lost events before this node read them: ${gap.detail}`));
      for (const listener of listeners) listener.gap(gap);
    },
  });
  /** Per shard, the newest entry this node published (for `flush`). */
  const ownLast: (StreamId | undefined)[] = new Array(shards).fill(undefined);
  let closed = false;
  const resumable = createRedisResumableStore(writer, template, resolved);
  // Presence lives with shard 0, which every node with a stream reads: its keys share shard 0's
  // hash tag (one slot, as its scripts need), and its notices (on `#topic`) are read with it.
  const presence = createRedisPresence(writer, shardOptions[0] as ResolvedOptions, options.presence);

  const ensureOpen = (doing: string) => {
    if (closed) throw new SseTransportError(`Cannot ${doing}: the Redis transport is closed.`);
  };

  /** One shard's part of a replay, or `undefined` for a shard the id does not cover. */
  const replayShard = async (k: number, channels: readonly string[], from: string | undefined): Promise<Replayed | undefined> => {
    if (from === undefined) return undefined;
    try {
      return await readReplay(writer, shardOptions[k] as ResolvedOptions, channels, from, true);
    } catch (cause) {
      throw new SseTransportError('Redis could not replay the history after Last-Event-ID.', { cause });
    }
  };

  return {
    resumable,
    presence,

    async publish(channels, frame, id) {
      ensureOpen('publish');
      if (id !== undefined) {
        throw new SseEncodeError(
          'INVALID_ID',
          'id',
          `The Redis transport with shards: ${shards} assigns every id (a vector of shard positions, so one Last-Event-ID covers all of a client's topics); publisher-given ids cannot be replayed from. Leave the id out and put yours in the data, or use one shard.`,
        );
      }
      const k = map.ofPublish(channels);
      // A stream of this node that just subscribed to the shard must not miss this event: its
      // loop learns where it starts before the entry is added.
      await readers.loop(k)?.started(resolved.timeout);
      await whenReady(writer, resolved.timeout, 'publish');
      if (writer.status !== 'ready') throw notSent(`the Redis connection is ${writer.status}`);
      let entryId: string;
      try {
        entryId = await appendEntry(writer, shardOptions[k] as ResolvedOptions, entryFields(channels, frame, undefined), undefined);
      } catch (cause) {
        throw publishFailure(cause);
      }
      const parsed = parseStreamId(entryId);
      if (parsed) {
        const previous = ownLast[k];
        if (previous === undefined || compareStreamIds(parsed, previous) > 0) ownLast[k] = parsed;
        readers.loop(k)?.published(parsed);
      }
      const positions: Positions = new Array(shards).fill(undefined);
      positions[k] = entryId;
      return encodeVector(positions);
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    async ready(channels) {
      ensureOpen('open a stream');
      // Without channels the caller will not say what it needs (nor call watch): read everything.
      if (channels === undefined) await readers.pinAll(resolved.timeout);
      else await readers.ready(map.ofAll(channels), resolved.timeout);
    },

    watch: (channel) => readers.watch(channel),
    unwatch: (channel) => readers.unwatch(channel),

    async replay(channels, lastEventId) {
      ensureOpen('replay');
      await whenReady(writer, resolved.timeout, 'replay');
      const needed = map.ofAll(channels);
      // Each shard's live read must have its starting point before its snapshot is taken.
      await readers.ready(needed, resolved.timeout);
      const from = decodeVector(lastEventId, shards);
      if (!from) return UNKNOWN;
      const parts = await Promise.all(needed.map((k) => replayShard(k, channels, from[k])));
      let gap: ReplayResult['gap'];
      const through: (string | number | undefined)[] = new Array(shards).fill(undefined);
      const replayed: Array<{ message: TransportMessage; lane: number }> = [];
      parts.forEach((part, at) => {
        const k = needed[at] as number;
        // A shard the id does not cover: events may have been missed there, never silently.
        if (part === undefined || part.result.gap === 'unknown') gap = gap ?? 'unknown';
        if (part?.result.gap === 'expired') gap = 'expired';
        if (part === undefined) return;
        const floor = part.result.through;
        if (floor !== undefined && !Array.isArray(floor)) through[k] = floor as string | number;
        for (const message of part.result.messages) replayed.push({ message, lane: k });
      });
      // One order over the shards: by entry id (Redis's clock), then shard.
      replayed.sort((a, b) => {
        const pa = a.message.position as string;
        const pb = b.message.position as string;
        return pa < pb ? -1 : pa > pb ? 1 : a.lane - b.lane;
      });
      const positions: Positions = [...from];
      const messages = replayed.map(({ message, lane }) => {
        positions[lane] = entryIdOf(message.position) ?? positions[lane];
        return {
          id: encodeVector(positions),
          channels: message.channels,
          frame: message.frame,
          position: message.position as string,
          lane,
        };
      });
      // Live events after the seam carry this node's positions: they should not be behind what
      // was replayed (a shorter wait than the timeout only means the broker holds them a while).
      await Promise.all(
        parts.map((part, at) => (part?.upTo ? readers.reached(needed[at] as number, part.upTo, resolved.timeout) : undefined)),
      );
      const floors: LaneFloors = through;
      return { messages, ...(gap ? { gap } : {}), through: floors };
    },

    stats: () => readers.stats(),

    async flush(timeout) {
      await Promise.all(ownLast.map((newest, k) => (newest ? readers.reached(k, newest, timeout) : undefined)));
    },

    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      await readers.close();
      await resumable.close();
      await presence.close();
      await writer.quit().catch(() => {});
      writer.disconnect();
    },
  };
}
