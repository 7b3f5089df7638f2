import type { Cluster, Redis } from 'ioredis';
import type { RedisPresenceOptions } from './presence.js';

/**
 * Options of {@link createRedisTransport}.
 *
 * @example
 * ```ts
 * const options: RedisTransportOptions = { redis: new Redis(process.env.REDIS_URL), maxLength: 50_000, maxAge: 600_000 };
 * ```
 */
export interface RedisTransportOptions {
  /**
   * Your ioredis client (a plain `Redis`, a `Redis` configured with `sentinels` and `name`, or a
   * `Cluster`), or a URL: `redis://` or `rediss://` (TLS) for one server,
   * `redis+cluster://host:port,host:port` for a Redis Cluster (any reachable nodes; the others are
   * discovered), `redis+sentinel://host:port,host:port/<master name>` for Sentinel (`rediss+…`
   * for TLS; `user:password@` before the hosts). A malformed URL throws `RedisUrlError`.
   *
   * The transport opens two connections with its settings (`redis.duplicate()`): one for the
   * blocking read loop, one for publish and replay that fails fast rather than queueing. Your
   * client is never used for commands nor closed.
   */
  redis: Redis | Cluster | string;
  /**
   * The Redis Stream every node of the app appends to and reads from. Apps that share a Redis
   * keep apart by giving each its own key. Custom-id lookups live beside it, under
   * `{<streamKey>}:id:<id>` (or `<streamKey>:id:<id>` when the key has a hash tag of its own,
   * such as `{chat}:events`), which Redis Cluster puts in the stream's slot.
   * @default 'ssekit:events'
   */
  streamKey?: string;
  /**
   * Replicas that must hold an event before `publish` resolves (`WAIT`, bounded by `timeout`).
   * With Redis Cluster or Sentinel, set it to `1`: replication is asynchronous, and a failover
   * promotes a replica that may lack the newest events. Readers that already had such an event
   * get an `ssekit:gap` after it; readers that had not cannot know it existed. With
   * `waitForReplicas`, an event the replica does not acknowledge in time makes `publish` reject
   * (outcome unknown), so every event whose `publish` resolved survives the failover.
   * @default 0 (resolve once the master stored it)
   */
  waitForReplicas?: number;
  /**
   * Entries the stream keeps (`XADD … MAXLEN`), across all channels. `0` lifts the cap.
   * @default 10_000
   */
  maxLength?: number;
  /**
   * Milliseconds an entry stays replayable, by Redis's clock (`XTRIM … MINID`, run by every
   * publish). `0` lifts the cap.
   * @default 300_000 (5 minutes)
   */
  maxAge?: number;
  /**
   * Trim with `~`, which drops only whole radix-tree nodes: much cheaper, and the stream keeps
   * at least `maxLength` entries and at least `maxAge` of history (a little more, never less).
   * `false` trims to the exact bounds.
   * @default true
   */
  approximateTrim?: boolean;
  /**
   * Milliseconds one `XREAD BLOCK` waits before it is issued again (`0` waits indefinitely).
   * Redis ends it early as soon as an entry arrives, so this only bounds how long a silent
   * connection goes unchecked.
   * @default 5_000
   */
  blockTimeout?: number;
  /**
   * Entries fetched at most per `XREAD` (live delivery) and per `XRANGE` page (replay).
   * @default 1_000
   */
  readCount?: number;
  /**
   * Milliseconds `publish` and `replay` wait for Redis, first for the connection to be up, then
   * for the answer, before they reject with `SseTransportError`. Nothing is queued meanwhile.
   * @default 3_000
   */
  timeout?: number;
  /**
   * Milliseconds a publisher-given id stays resolvable for replay. Keep it at least `maxAge`.
   * @default twice `maxAge`, or 1 hour when `maxAge` is `0`
   */
  customIdTtl?: number;
  /**
   * Told about errors the transport recovers from by itself: the read loop losing its
   * connection, a listener throwing. Publish and replay failures are not reported here; their
   * promises reject.
   * @default ignore them
   */
  onError?: (error: unknown) => void;
  /**
   * Milliseconds a resumable stream's producer holds its lease without renewing it (the node
   * renews it every third of this while the producer runs). A stream whose producer's node died
   * (`SIGKILL`, a crash) is ended by the first reader that finds the lease expired: every reader
   * gets `ssekit:error` with `{ "reason": "producer-lost" }` after the last stored event, instead
   * of waiting for more until the stream expires.
   * @default 10_000
   */
  resumableLease?: number;
  /** Presence across nodes: how long a dead node's clients stay present, how often nodes say they are alive. */
  presence?: RedisPresenceOptions;
  /**
   * Streams the events are spread over (see the README's "Sharding"). `1` is the single stream
   * `streamKey`. With `S > 1`, the keys are `<streamKey>:{<tag>}` with hash tags chosen so that
   * on a Redis Cluster the S keys fall in slots spread evenly over the slot space (so over the
   * masters); topics are spread over them by `shardOf`, broadcasts and `send()` go to shard 0, and
   * each node reads only shard 0 and the shards of the topics its clients are on. Event ids become
   * vectors of per-shard positions, order holds per topic (per shard) only, a publish to topics of
   * several shards and publisher-given ids are refused.
   * @default 1
   */
  shards?: number;
  /**
   * The shard (`0` to `shards - 1`) of a topic. Give it to keep topics published together in one
   * shard (a publish to topics of several shards is refused).
   * @default FNV-1a 32-bit hash of the topic's UTF-16 code units, modulo `shards`
   */
  shardOf?: (topic: string) => number;
  /**
   * Milliseconds a node keeps reading a shard after its last local subscriber of it left (so
   * clients coming and going do not restart the reader every time).
   * @default 30_000
   */
  shardIdleTimeout?: number;
}

/** {@link RedisTransportOptions} with every default applied. */
export interface ResolvedOptions {
  readonly streamKey: string;
  readonly waitForReplicas: number;
  readonly maxLength: number;
  readonly maxAge: number;
  readonly approximateTrim: boolean;
  readonly blockTimeout: number;
  readonly readCount: number;
  readonly timeout: number;
  readonly customIdTtl: number;
  readonly onError: (error: unknown) => void;
  readonly resumableLease: number;
  readonly shards: number;
  readonly shardOf: ((topic: string) => number) | undefined;
  readonly shardIdleTimeout: number;
}

/** Applies the defaults and rejects bounds that would make Redis refuse every command. */
export function resolveOptions(options: RedisTransportOptions): ResolvedOptions {
  const maxAge = count(options.maxAge, 300_000, 'maxAge');
  return {
    streamKey: options.streamKey ?? 'ssekit:events',
    waitForReplicas: count(options.waitForReplicas, 0, 'waitForReplicas'),
    maxLength: count(options.maxLength, 10_000, 'maxLength'),
    maxAge,
    approximateTrim: options.approximateTrim ?? true,
    blockTimeout: count(options.blockTimeout, 5_000, 'blockTimeout'),
    readCount: Math.max(1, count(options.readCount, 1_000, 'readCount')),
    timeout: Math.max(1, count(options.timeout, 3_000, 'timeout')),
    customIdTtl: Math.max(1, count(options.customIdTtl, maxAge > 0 ? 2 * maxAge : 3_600_000, 'customIdTtl')),
    onError: options.onError ?? (() => {}),
    resumableLease: Math.max(100, count(options.resumableLease, 10_000, 'resumableLease')),
    shards: Math.max(1, count(options.shards, 1, 'shards')),
    shardOf: options.shardOf,
    shardIdleTimeout: count(options.shardIdleTimeout, 30_000, 'shardIdleTimeout'),
  };
}

function count(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}.`);
  return value;
}
