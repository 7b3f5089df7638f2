import { SseTransportError } from '@ssekit/core';
import { isCluster, type RedisClient } from './client.js';

/**
 * True when `key` has a Redis Cluster hash tag (the first `{` and the first `}` after it, with
 * something between): keys that extend it stay in its slot.
 */
export function clusterSafe(key: string): boolean {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1;
}

/**
 * On a Cluster, every key the publish script touches must be in the stream's slot. A stream key
 * without a hash tag is wrapped in braces for its custom-id keys (`{<streamKey>}:id:…`), which
 * hashes like the key itself, unless it holds a `}`: then the braces would end early.
 */
export function checkStreamKey(client: RedisClient, streamKey: string): void {
  if (!isCluster(client) || clusterSafe(streamKey) || !streamKey.includes('}')) return;
  throw new SseTransportError(
    `The stream key "${streamKey}" cannot be used on a Redis Cluster: it holds a "}" but no hash tag, so its custom-id keys would land in another slot. Give it a hash tag, such as "{${streamKey.replace(/[{}]/g, '')}}", or remove the "}".`,
  );
}
