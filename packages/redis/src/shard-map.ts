/**
 * Which shard carries a channel. Broadcasts (`*`) and per-client channels (`@id`) go to shard 0,
 * so a node reads shard 0 plus the shards of its clients' topics (`#topic`), never all of them
 * for the sake of `send()` or `broadcast()`.
 */
import { SseError } from '@ssekit/core';

/**
 * A publish that would need one event in several shards: refused, as no subscriber of two of
 * them could be given it once, in order (`code` `CROSS_SHARD`). Or the `shardOf` option returned
 * something that is not a shard (`code` `INVALID_SHARD`): thrown by the publish, and by
 * `broker.stream()` for a stream on that topic (a bug to fix, so not answered with a 503).
 *
 * @example
 * ```ts
 * try { await broker.publish(['a', 'b'], { data: 1 }) } catch (err) {
 *   if (isSseError(err) && err.code === 'CROSS_SHARD') { ... }
 * }
 * ```
 */
export class RedisShardError extends SseError {
  constructor(message: string, code: 'CROSS_SHARD' | 'INVALID_SHARD' = 'CROSS_SHARD') {
    super(code, message);
    this.name = 'RedisShardError';
  }
}

/**
 * FNV-1a, 32 bits, over the UTF-16 code units of `text`: stable across nodes and versions.
 * Exported as `shardHash`: the default `shardOf` is `shardHash(topic) % shards`.
 *
 * @example
 * ```ts
 * // Topics `room:<building>:<room>` of one building on one shard.
 * createRedisTransport({ redis, shards: 3, shardOf: (topic) => shardHash(topic.split(':').slice(0, 2).join(':')) % 3 });
 * ```
 */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Maps channels to shards, with the app's `shardOf` for topics when it gave one. */
export class ShardMap {
  constructor(
    readonly shards: number,
    private readonly topicShard: ((topic: string) => number) | undefined,
  ) {}

  /** The shard of one internal channel name. */
  of(channel: string): number {
    if (!channel.startsWith('#')) return 0;
    const topic = channel.slice(1);
    if (!this.topicShard) return fnv1a(topic) % this.shards;
    const shard = this.topicShard(topic);
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.shards) {
      throw new RedisShardError(
        `shardOf("${topic}") returned ${shard}; it must be an integer from 0 to ${this.shards - 1} (shards: ${this.shards}). Fix the shardOf option of createRedisTransport.`,
        'INVALID_SHARD',
      );
    }
    return shard;
  }

  /** The one shard of a publish's channels; throws {@link RedisShardError} when they span several. */
  ofPublish(channels: readonly string[]): number {
    let shard: number | undefined;
    for (const channel of channels) {
      const next = this.of(channel);
      if (shard !== undefined && next !== shard) {
        const topics = channels.map((name) => `${name} (shard ${this.of(name)})`).join(', ');
        throw new RedisShardError(
          `Cannot publish one event to channels of several shards: ${topics}. A subscriber of two of them could not get it once and in order. Publish to each topic separately, or keep topics published together in one shard with the shardOf option.`,
        );
      }
      shard = next;
    }
    return shard ?? 0;
  }

  /** The distinct shards of `channels`, ascending. */
  ofAll(channels: readonly string[]): number[] {
    return [...new Set(channels.map((channel) => this.of(channel)))].sort((a, b) => a - b);
  }
}
