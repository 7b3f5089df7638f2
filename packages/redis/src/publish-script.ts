import { createHash } from 'node:crypto';
import { SseTransportError } from '@ssekit/core';
import type { Redis } from 'ioredis';
import { isCluster, type RedisClient } from './client.js';
import type { ResolvedOptions } from './options.js';

/**
 * Appends one entry, trims by length and by age, and records a custom id, in one round trip and
 * atomically. The age cut-off is taken from the new entry's own id, so it follows Redis's clock
 * (the one entry ids come from), not the publishing node's.
 *
 * KEYS[1] stream, KEYS[2] custom-id key (only with a custom id).
 * ARGV: maxLength, approximate ('1'/'0'), maxAge ms, custom-id ttl ms, then the entry fields.
 */
const SCRIPT = `
local key = KEYS[1]
local maxLength = tonumber(ARGV[1])
local approximate = ARGV[2] == '1'
local maxAge = tonumber(ARGV[3])
local xadd = {'XADD', key}
if maxLength > 0 then
  table.insert(xadd, 'MAXLEN')
  if approximate then table.insert(xadd, '~') end
  table.insert(xadd, ARGV[1])
end
table.insert(xadd, '*')
for i = 5, #ARGV do table.insert(xadd, ARGV[i]) end
local id = redis.call(unpack(xadd))
if maxAge > 0 then
  local ms = tonumber(string.match(id, '^(%d+)'))
  if ms > maxAge then
    local xtrim = {'XTRIM', key, 'MINID'}
    if approximate then table.insert(xtrim, '~') end
    table.insert(xtrim, string.format('%.0f', ms - maxAge))
    redis.call(unpack(xtrim))
  end
end
if KEYS[2] then redis.call('SET', KEYS[2], id, 'PX', ARGV[4]) end
return id
`;

const SHA = createHash('sha1').update(SCRIPT).digest('hex');

/**
 * Runs the publish script (by hash; sends its text once when the server does not know it yet).
 * With `waitForReplicas`, a `WAIT` follows it in the same pipeline (so on a Cluster it goes to
 * the stream's master too), and fewer acknowledgements than asked reject with the outcome unknown.
 */
/**
 * Loads the publish script on `client` whenever its connection is (re)established, before any
 * publish can be sent on it (this listener is registered first, and Redis runs one connection's
 * commands in order). Without it, the publishes sent right after Redis started (or restarted,
 * losing its script cache) were refused `NOSCRIPT` and sent again with the script's text, while a
 * later publish sent once the script was loaded ran first: events published one after the other
 * were stored, and delivered, out of order. A plain `Redis` only: a `Cluster` picks a node per
 * key, and relies on the `NOSCRIPT` fallback, ordered by {@link holdUntilLoaded}.
 */
export function loadScriptOnConnect(client: RedisClient, onError: (error: unknown) => void): void {
  if (isCluster(client)) return;
  const load = () => {
    (client as Redis).script('LOAD', SCRIPT).catch(onError);
  };
  client.on('ready', load);
  if (client.status === 'ready') load();
}

/** Per client, while the script is being loaded again after a `NOSCRIPT`: publishes wait for it. */
const reloads = new WeakMap<RedisClient, Promise<unknown>>();

/**
 * After a `NOSCRIPT`, publishes already sent fail the same way and are sent again with the
 * script's text, in the order they were sent; a publish made meanwhile must not overtake them
 * (its `EVALSHA` would run as soon as one of those loaded the script). It waits for a command
 * sent now on the same connection, whose answer comes after theirs (one connection's commands run
 * in order): a `SCRIPT LOAD` on a plain client; on a Cluster, which sends `SCRIPT LOAD` to any
 * node, an `EXISTS` of the stream key, which goes to the node that refused them.
 */
function holdUntilLoaded(client: RedisClient, streamKey: string): void {
  if (reloads.has(client)) return;
  const answered = isCluster(client) ? client.exists(streamKey) : (client as Redis).script('LOAD', SCRIPT);
  const loaded = answered
    .catch(() => {})
    // The refused publishes are sent again from the continuations of their answers, all parsed
    // before this one: a turn of the event loop lets every one of them go first.
    .then(() => new Promise((resolve) => setImmediate(resolve)))
    .finally(() => reloads.delete(client));
  reloads.set(client, loaded);
}

export async function appendEntry(
  client: RedisClient,
  options: ResolvedOptions,
  fields: readonly string[],
  customIdKey: string | undefined,
): Promise<string> {
  const keys = customIdKey === undefined ? [options.streamKey] : [options.streamKey, customIdKey];
  const args = [
    String(options.maxLength),
    options.approximateTrim ? '1' : '0',
    String(options.maxAge),
    String(options.customIdTtl),
    ...fields,
  ];
  const reloading = reloads.get(client);
  if (reloading) await reloading;
  let reply: unknown;
  try {
    reply = await run(client, options, true, keys, args);
  } catch (error) {
    // A restarted or failed-over server has an empty script cache.
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    holdUntilLoaded(client, options.streamKey);
    reply = await run(client, options, false, keys, args);
  }
  if (typeof reply !== 'string') throw new TypeError(`The publish script answered ${typeof reply}, not an entry id.`);
  return reply;
}

async function run(client: RedisClient, options: ResolvedOptions, bySha: boolean, keys: string[], args: string[]): Promise<unknown> {
  const wanted = options.waitForReplicas;
  if (wanted === 0) return bySha ? client.evalsha(SHA, keys.length, ...keys, ...args) : client.eval(SCRIPT, keys.length, ...keys, ...args);
  const deadline = Date.now() + options.timeout;
  for (;;) {
    const pipeline = client.pipeline();
    if (bySha) pipeline.evalsha(SHA, keys.length, ...keys, ...args);
    else pipeline.eval(SCRIPT, keys.length, ...keys, ...args);
    // Shorter than the command timeout, so a missing acknowledgement is told as such.
    const results = await pipeline.wait(wanted, Math.max(1, options.timeout - Math.min(200, options.timeout / 5))).exec();
    const [[scriptError, id] = [null, undefined], [waitError, acknowledged] = [null, undefined]] = results ?? [];
    if (scriptError && isCluster(client) && Date.now() < deadline && /^(MOVED|TRYAGAIN|CLUSTERDOWN) /.test(scriptError.message)) {
      // The node did not run the script (a failover moved the slot, or the cluster is settling).
      // ioredis follows such answers for single commands, not when only part of a pipeline
      // failed: learn the new slot map, then send it again.
      await new Promise<void>((resolve) => client.refreshSlotsCache(() => resolve()));
      if (!scriptError.message.startsWith('MOVED')) await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    if (scriptError) throw scriptError;
    if (waitError) throw waitError;
    if (typeof acknowledged === 'number' && acknowledged < wanted) {
      throw new SseTransportError(
        `The outcome of the publish is unknown: the master stored the event (${String(id)}), but only ${acknowledged} of ${wanted} replicas acknowledged it in time, so a failover could still lose it (does the master have a replica?). It may be delivered; publishing it again may deliver it twice.`,
      );
    }
    return id;
  }
}
