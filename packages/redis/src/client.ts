import type { Cluster, Redis } from 'ioredis';

/** A client the transport can take as its template: a plain or Sentinel `Redis`, or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** True for an ioredis `Cluster` (checked by flag, not `instanceof`: two ioredis copies may be loaded). */
export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}
