import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { isCluster, type RedisClient } from './client.js';
import type { ResolvedOptions } from './options.js';

/**
 * The two connections a transport opens, both `duplicate()`s of the client it was given (same
 * host, auth, TLS, retry strategy; for a `Cluster` the same startup nodes and `redisOptions`, for
 * Sentinel the same sentinels and master name): the given client itself is never used nor closed.
 */

/** A name for `CLIENT LIST`, after the template's own when it has one. */
function nameFor(template: RedisClient, role: string): string {
  const base = isCluster(template) ? template.options.redisOptions?.connectionName : template.options.connectionName;
  return base ? `${base}:ssekit-${role}` : `ssekit-${role}`;
}

/** Settings of one connection (a `Redis`, or each node connection of a `Cluster`). */
type ConnectionSettings = Pick<RedisOptions, 'commandTimeout' | 'maxRetriesPerRequest' | 'autoResendUnfulfilledCommands'>;
/** Settings that exist on both a `Redis` and a `Cluster` as a whole. */
type ClientSettings = Pick<RedisOptions & ClusterOptions, 'enableOfflineQueue' | 'enableAutoPipelining' | 'lazyConnect'>;

/**
 * A duplicate of `template` with `settings`. A `Cluster` takes per-connection settings under
 * `redisOptions` (its own node connections), and `cluster` on top; a `Redis` takes all of them.
 */
export function duplicateClient(
  template: RedisClient,
  role: string,
  connection: ConnectionSettings,
  client: ClientSettings,
  cluster: Partial<ClusterOptions> = {},
): RedisClient {
  const connectionName = nameFor(template, role);
  if (isCluster(template)) {
    const redisOptions = { ...template.options.redisOptions, ...connection, connectionName };
    return template.duplicate([], { ...client, ...cluster, redisOptions }) as Cluster;
  }
  return (template as Redis).duplicate({ ...connection, ...client, connectionName });
}

/**
 * The connection `publish` and `replay` use. It fails fast instead of queueing: no offline
 * queue, and a command in flight when the connection drops is rejected at once and never re-sent
 * after the reconnect (on a `Cluster`: nor on the new master after a failover,
 * `retryDelayOnFailover: 0`). So a publish that rejected is not stored later behind the caller's
 * back. Concurrent publishes share writes (auto-pipelining). Redirections (`MOVED`, `ASK`,
 * `TRYAGAIN`, `CLUSTERDOWN`) are still followed: Redis refused those commands unrun.
 */
export function openWriter(template: RedisClient, options: ResolvedOptions): RedisClient {
  const writer = duplicateClient(
    template,
    'writer',
    { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false, commandTimeout: options.timeout },
    { enableOfflineQueue: false, enableAutoPipelining: true, lazyConnect: false },
    { retryDelayOnFailover: 0 },
  );
  // ioredis emits 'error' on every failed reconnect; unheard, Node would throw it.
  writer.on('error', (error: unknown) => options.onError(error));
  return writer;
}

/**
 * The connection of the blocking read loop. Its `XREAD` waits through reconnects (it would only
 * be sent again), and outlives the client's per-command timeout, if it has one.
 */
export function openReader(template: RedisClient, options: ResolvedOptions): RedisClient {
  const commandTimeout = isCluster(template) ? template.options.redisOptions?.commandTimeout : template.options.commandTimeout;
  const reader = duplicateClient(
    template,
    'reader',
    {
      commandTimeout: commandTimeout === undefined ? undefined : commandTimeout + options.blockTimeout,
      maxRetriesPerRequest: null,
      autoResendUnfulfilledCommands: true,
    },
    { enableOfflineQueue: true, enableAutoPipelining: false, lazyConnect: false },
  );
  reader.on('error', (error: unknown) => options.onError(error));
  return reader;
}
