import { SseEncodeError, SseTransportError, type Transport, type TransportListener } from '@ssekit/core';
import { Redis } from 'ioredis';
import { openWriter } from './connections.js';
import { entryFields } from './entry.js';
import { type RedisTransportOptions, resolveOptions } from './options.js';
import { appendEntry } from './publish-script.js';
import { ReadLoop } from './read-loop.js';
import { whenReady } from './ready.js';
import { customIdKey, readReplay } from './replay.js';
import { looksLikeStreamId } from './stream-id.js';

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
 * or does not answer within `timeout`; the event is then not stored later either (nothing is
 * queued or re-sent). The read loop reconnects by itself and resumes after the last entry it read.
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
  const template = typeof options.redis === 'string' ? new Redis(options.redis, { lazyConnect: true }) : options.redis;
  const writer = openWriter(template, resolved);
  const listeners = new Set<TransportListener>();
  const loop = new ReadLoop(template, resolved, (message) => {
    for (const listener of listeners) listener.message(message);
  });
  let closed = false;

  const ensureOpen = (doing: string) => {
    if (closed) throw new SseTransportError(`Cannot ${doing}: the Redis transport is closed.`);
  };

  return {
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
      try {
        const indexKey = id === undefined || id === '' ? undefined : customIdKey(resolved, id);
        const entryId = await appendEntry(writer, resolved, entryFields(channels, frame, id), indexKey);
        return id ?? entryId;
      } catch (cause) {
        throw new SseTransportError('Redis did not store the event; it was not published.', { cause });
      }
    },

    subscribe(listener) {
      listeners.add(listener);
      if (!closed) loop.start();
      return () => {
        listeners.delete(listener);
      };
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
      if (replayed.upTo) await loop.reached(replayed.upTo, resolved.timeout);
      return replayed.result;
    },

    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      await loop.stop();
      // QUIT lets publishes already in flight get their answer; it fails at once if Redis is down.
      await writer.quit().catch(() => {});
      writer.disconnect();
    },
  };
}
