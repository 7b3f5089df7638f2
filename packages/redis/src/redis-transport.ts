import { SseEncodeError, SseTransportError, type Transport, type TransportListener } from '@ssekit/core';
import { openWriter } from './connections.js';
import { entryFields } from './entry.js';
import { type RedisTransportOptions, resolveOptions } from './options.js';
import { createRedisPresence } from './presence.js';
import { notSent, publishFailure } from './publish-error.js';
import { appendEntry, loadScriptOnConnect } from './publish-script.js';
import { ReadLoop } from './read-loop.js';
import { whenReady } from './ready.js';
import { templateOf } from './redis-url.js';
import { customIdKey, readReplay } from './replay.js';
import { createRedisResumableStore } from './resumable-store.js';
import { createShardedTransport } from './sharded-transport.js';
import { looksLikeStreamId, parseStreamId } from './stream-id.js';
import { checkStreamKey } from './stream-key.js';

/**
 * A {@link Transport} over one Redis Stream: every node of the app appends published events to
 * it, reads it with one blocking `XREAD` loop on a dedicated connection, and replays from it
 * after a client's `Last-Event-ID`, whichever node the client saw that id on.
 *
 * The SSE id of an event is its stream entry id (`<ms>-<seq>`), unless the publisher gave one:
 * such ids are stored with the entry and resolved on replay (ids shaped like `<digits>-<digits>`
 * are refused with `SseEncodeError`, code `INVALID_ID`, as they would be mistaken for entry ids).
 *
 * `publish` rejects with `SseTransportError` (code `TRANSPORT_FAILED`) when Redis is unreachable
 * or refuses the event: then it was not stored, and never will be (nothing is queued or re-sent).
 * When the answer is lost in flight (no answer within `timeout`, the connection dropping after
 * sending) the message says the outcome is unknown: the event may have been stored and be
 * delivered, and retrying may duplicate it.
 *
 * The read loop reconnects by itself and resumes after the last entry it read. History it finds
 * lost behind its cursor (Redis restarted without persistence or failed over to a replica that
 * lacks it, or entries trimmed before the loop read them) is reported to the listeners' `gap()`
 * before the entries that follow, so the broker can tell the open streams. Every delivered and
 * replayed message carries `position`: its entry id with both parts zero-padded to 20 digits.
 *
 * `stats()` (also in `broker.stats().transport`) tells how far the read loop is behind the
 * stream as of its last read (`lagEntries`, and `lagMs` between the ids of the last entry it
 * delivered and the newest), how often its connection was re-established (`reconnects`) and how
 * many lost-history notices it reported (`gapsReported`).
 *
 * It keeps presence across nodes (`broker.presence(topic)`, join/leave notices): a node that
 * dies without closing has its clients removed within `presence.ttl` (see `RedisPresenceOptions`).
 *
 * @example
 * ```ts
 * import { createBroker } from '@ssekit/core';
 * import { createRedisTransport } from '@ssekit/redis';
 * import { Redis } from 'ioredis';
 *
 * const redis = new Redis(process.env.REDIS_URL);
 * const broker = createBroker({ transport: createRedisTransport({ redis, maxAge: 600_000 }) });
 * await broker.publish('news', { data: 'hello from any node' });
 * ```
 * @see https://redis.io/docs/latest/develop/data-types/streams/
 */
export function createRedisTransport(options: RedisTransportOptions): Transport {
  const resolved = resolveOptions(options);
  // From a URL, a client that never connects: it only carries the settings to duplicate.
  const template = templateOf(options.redis);
  checkStreamKey(template, resolved.streamKey);
  if (resolved.shards > 1) return createShardedTransport(options, resolved, template);
  const writer = openWriter(template, resolved);
  loadScriptOnConnect(writer, resolved.onError);
  const listeners = new Set<TransportListener>();
  const loop = new ReadLoop(template, resolved, {
    message(message, _entryId, more) {
      for (const listener of listeners) listener.message(message, more);
    },
    gap(detail) {
      resolved.onError(new SseTransportError(`Redis lost events before this node read them: ${detail}`));
      for (const listener of listeners) listener.gap({ detail });
    },
  });
  let closed = false;
  const resumable = createRedisResumableStore(writer, template, resolved);
  const presence = createRedisPresence(writer, resolved, options.presence);

  const ensureOpen = (doing: string) => {
    if (closed) throw new SseTransportError(`Cannot ${doing}: the Redis transport is closed.`);
  };

  return {
    resumable,
    presence,

    async publish(channels, frame, id) {
      ensureOpen('publish');
      if (id !== undefined && looksLikeStreamId(id)) {
        throw new SseEncodeError(
          'INVALID_ID',
          'id',
          `The id "${id}" has the shape of a Redis Stream id (<ms>-<seq>); the Redis transport assigns those. Leave the id out, or use another shape.`,
        );
      }
      await whenReady(writer, resolved.timeout, 'publish');
      // It may have dropped again meanwhile; a command sent now would be refused unsent anyway.
      if (writer.status !== 'ready') throw notSent(`the Redis connection is ${writer.status}`);
      let entryId: string;
      try {
        const indexKey = id === undefined || id === '' ? undefined : customIdKey(resolved, id);
        entryId = await appendEntry(writer, resolved, entryFields(channels, frame, id), indexKey);
      } catch (cause) {
        throw publishFailure(cause);
      }
      const parsed = parseStreamId(entryId);
      if (parsed) loop.published(parsed);
      return id ?? entryId;
    },

    subscribe(listener) {
      listeners.add(listener);
      if (!closed) loop.start();
      return () => {
        listeners.delete(listener);
      };
    },

    // A stream registered before the read loop knows where the stream ends could miss the events
    // published meanwhile: the loop starts from the end it finds.
    async ready() {
      ensureOpen('open a stream');
      if (loop.active) await loop.started(resolved.timeout);
    },

    async replay(channels, lastEventId) {
      ensureOpen('replay');
      await whenReady(writer, resolved.timeout, 'replay');
      // The live read must have a starting point before the snapshot is taken (see ReadLoop).
      if (loop.active) await loop.started(resolved.timeout);
      let replayed: Awaited<ReturnType<typeof readReplay>>;
      try {
        replayed = await readReplay(writer, resolved, channels, lastEventId);
      } catch (cause) {
        throw new SseTransportError('Redis could not replay the history after Last-Event-ID.', { cause });
      }
      // Not needed for correctness (`through` settles the seam), but a loop that is close behind
      // delivers first and the broker holds fewer live events meanwhile.
      if (replayed.upTo) await loop.reached(replayed.upTo, resolved.timeout);
      return replayed.result;
    },

    stats: () => loop.stats(),

    async flush(timeout) {
      const newest = loop.newestPublished;
      if (newest !== undefined) await loop.reached(newest, timeout);
    },

    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      await loop.stop();
      await resumable.close();
      await presence.close();
      // QUIT lets publishes already in flight get their answer; it fails at once if Redis is down.
      await writer.quit().catch(() => {});
      writer.disconnect();
    },
  };
}
