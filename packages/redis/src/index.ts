/**
 * `@ssekit/redis`: a Redis Streams transport for the ssekit broker. Several Node processes share
 * one stream: an event published on any of them reaches the clients of all of them, and a client
 * that reconnects to another node with `Last-Event-ID` is replayed what it missed.
 *
 * @module
 */
export type { RedisTransportOptions } from './options.js';
export type { RedisPresenceOptions } from './presence.js';
export { createRedisTransport } from './redis-transport.js';
export { RedisUrlError } from './redis-url.js';
export { createResumableStore, type ResumableStoreOptions } from './resumable.js';
export { fnv1a as shardHash, RedisShardError } from './shard-map.js';
export type { ShardedTransportStats } from './shard-readers.js';
