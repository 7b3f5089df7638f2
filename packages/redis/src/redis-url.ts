import { SseTransportError } from '@ssekit/core';
import { Cluster, Redis } from 'ioredis';

/**
 * A malformed `redis+cluster://` or `redis+sentinel://` URL given as `redis` to
 * `createRedisTransport` or `createResumableStore`. Its `code` is `TRANSPORT_FAILED` (as for
 * every Redis connection problem); tell it apart by `name === 'RedisUrlError'` or `instanceof`.
 *
 * @example
 * ```ts
 * import { createRedisTransport, RedisUrlError } from '@ssekit/redis';
 *
 * try {
 *   createRedisTransport({ redis: 'redis+sentinel://127.0.0.1:26379' }); // no master name
 * } catch (error) {
 *   if (error instanceof RedisUrlError) console.error(error.message);
 * }
 * ```
 */
export class RedisUrlError extends SseTransportError {
  /** The URL as given, with any password replaced by `***`. */
  readonly url: string;

  constructor(url: string, problem: string) {
    const shown = redact(url);
    super(
      `The Redis URL "${shown}" is malformed: ${problem}. Use redis://host:port, rediss://host:port, redis+cluster://host:port,host:port or redis+sentinel://host:port,host:port/<master name>.`,
    );
    this.name = 'RedisUrlError';
    this.url = shown;
  }
}

const SCHEME = /^(rediss?)\+(cluster|sentinel):\/\/(.*)$/i;

/** The client a URL describes: the settings the transport duplicates; it never connects itself. */
export function clientFromUrl(url: string): Redis | Cluster {
  const match = SCHEME.exec(url);
  if (!match) {
    if (!/^rediss?:\/\//i.test(url) && /^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
      throw new RedisUrlError(url, `the scheme "${url.slice(0, url.indexOf(':'))}" is not one of them`);
    }
    return new Redis(url, { lazyConnect: true });
  }
  const [, scheme, mode, rest] = match as unknown as [string, string, string, string];
  const tls = scheme.toLowerCase() === 'rediss' ? { tls: {} } : {};
  const at = rest.lastIndexOf('@', rest.search(/[/?]/) === -1 ? rest.length : rest.search(/[/?]/));
  const auth = at === -1 ? '' : rest.slice(0, at);
  const afterAuth = at === -1 ? rest : rest.slice(at + 1);
  const slash = afterAuth.indexOf('/');
  const hostList = slash === -1 ? afterAuth : afterAuth.slice(0, slash);
  const path = slash === -1 ? '' : afterAuth.slice(slash + 1);
  if (hostList.includes('?') || path.includes('?'))
    throw new RedisUrlError(url, 'query parameters are not supported; pass an ioredis client for more settings');
  const nodes = hostList.split(',').map((hostPort) => parseHost(url, hostPort, mode === 'sentinel' ? 26379 : 6379));
  const credentials = parseAuth(url, auth);
  if (mode.toLowerCase() === 'cluster') {
    if (path !== '') throw new RedisUrlError(url, 'a cluster URL has no path (a cluster has no database numbers)');
    return new Cluster(nodes, { lazyConnect: true, redisOptions: { ...credentials, ...tls } });
  }
  const [name, db, ...extra] = path.split('/');
  if (!name) throw new RedisUrlError(url, 'a sentinel URL needs the master name as its path (/mymaster)');
  if (extra.length > 0 || (db !== undefined && !/^\d+$/.test(db)))
    throw new RedisUrlError(url, 'the path is /<master name> or /<master name>/<db number>');
  return new Redis({
    lazyConnect: true,
    sentinels: nodes,
    name: decodeURIComponent(name),
    ...(db === undefined ? {} : { db: Number(db) }),
    ...credentials,
    ...tls,
    ...(scheme.toLowerCase() === 'rediss' ? { sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
  });
}

function parseHost(url: string, hostPort: string, defaultPort: number): { host: string; port: number } {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/i.exec(hostPort);
  if (!match) throw new RedisUrlError(url, `"${hostPort}" is not a host or host:port`);
  const host = (match[1] as string).replace(/^\[(.*)\]$/, '$1');
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new RedisUrlError(url, `the port of "${hostPort}" is not between 1 and 65535`);
  return { host, port };
}

function parseAuth(url: string, auth: string): { username?: string; password?: string } {
  if (auth === '') return {};
  const colon = auth.indexOf(':');
  try {
    const username = decodeURIComponent(colon === -1 ? auth : auth.slice(0, colon));
    const password = colon === -1 ? undefined : decodeURIComponent(auth.slice(colon + 1));
    return { ...(username ? { username } : {}), ...(password === undefined ? {} : { password }) };
  } catch {
    throw new RedisUrlError(url, 'the user or password is not valid percent-encoding');
  }
}

function redact(url: string): string {
  return url.replace(/^([a-z+]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

/** The transport's template: the given client, or the one a URL describes. */
export function templateOf(redis: Redis | Cluster | string): Redis | Cluster {
  return typeof redis === 'string' ? clientFromUrl(redis) : redis;
}
