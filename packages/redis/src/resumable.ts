import type { ResumableStore } from '@ssekit/core';
import { openWriter } from './connections.js';
import { type RedisTransportOptions, resolveOptions } from './options.js';
import { templateOf } from './redis-url.js';
import { createRedisResumableStore } from './resumable-store.js';
import { checkStreamKey } from './stream-key.js';

/** Options of {@link createResumableStore}: the Redis transport's connection settings that apply. */
export type ResumableStoreOptions = Pick<RedisTransportOptions, 'redis' | 'streamKey' | 'timeout' | 'onError' | 'resumableLease'>;

/**
 * Keeps resumable streams in Redis for a broker that does not use the Redis transport (its
 * events stay in memory, or go through another transport): any node that shares the Redis can
 * resume or stop a stream produced on another. The Redis transport has one built in
 * (`transport.resumable`), used by default; this is for the other cases.
 *
 * @example
 * ```ts
 * import { createBroker } from '@ssekit/core';
 * import { createResumableStore } from '@ssekit/redis';
 *
 * const broker = createBroker({ resumable: { store: createResumableStore({ redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }) } });
 * ```
 */
export function createResumableStore(options: ResumableStoreOptions): ResumableStore {
  const resolved = resolveOptions(options);
  const template = templateOf(options.redis);
  checkStreamKey(template, resolved.streamKey);
  const writer = openWriter(template, resolved);
  const store = createRedisResumableStore(writer, template, resolved);
  return {
    ...store,
    async close() {
      await store.close();
      await writer.quit().catch(() => {});
      writer.disconnect();
    },
  };
}
