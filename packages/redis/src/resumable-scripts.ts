import { createHash } from 'node:crypto';
import type { RedisClient } from './client.js';

/**
 * The Lua scripts of the resumable-stream store: each step is one round trip and atomic, so a
 * stop or an expiry seen by one node is seen the same by every other.
 *
 * Keys of one stream share a hash tag (`{id}`), so they live on one Redis Cluster slot:
 * KEYS[1] the event list (event `n` at index `n - 1`), KEYS[2] the meta hash (owner, finished,
 * stop, readers, idle-since).
 */

/** Redis's clock in ms: leases follow one clock, not each node's. */
const NOW = `local function now() local t = redis.call('TIME') return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
`;

/** ARGV: owner ('' for none), ttl ms, now ms, lease ms. Returns 0 when the id is taken. */
const CREATE = `${NOW}
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[2], 'owner', ARGV[1], 'finished', '0', 'stop', '0', 'readers', '0', 'idle', ARGV[3], 'lease', now() + tonumber(ARGV[4]))
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
`;

/**
 * ARGV: seq, event bytes, notify channel, notice, lease ms. Returns 'ok', 'stopped' (a stop was
 * asked, or the stream is gone or finished) or an error for an out-of-order seq.
 */
const APPEND = `${NOW}
local meta = redis.call('HMGET', KEYS[2], 'finished', 'stop')
if not meta[1] or meta[1] == '1' then return 'stopped' end
local length = redis.call('LLEN', KEYS[1])
if length + 1 ~= tonumber(ARGV[1]) then return redis.error_reply('ssekit: event ' .. ARGV[1] .. ' out of order after ' .. length) end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], 'lease', now() + tonumber(ARGV[5]))
if length == 0 then redis.call('PEXPIRE', KEYS[1], redis.call('PTTL', KEYS[2])) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
if meta[2] == '1' then return 'stopped' end
return 'ok'
`;

/** ARGV: ttl ms, notify channel, notice. */
const FINISH = `
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'finished', '1')
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;

/**
 * ARGV: after, count. Returns nil for an unknown stream, else { owner, finished, length,
 * events… } with up to `count` events after `after`.
 */
const READ = `
local meta = redis.call('HMGET', KEYS[2], 'owner', 'finished')
if not meta[2] then return nil end
local after = tonumber(ARGV[1])
local reply = { meta[1], meta[2], redis.call('LLEN', KEYS[1]) }
if tonumber(ARGV[2]) > 0 then
  local events = redis.call('LRANGE', KEYS[1], after, after + tonumber(ARGV[2]) - 1)
  for i = 1, #events do reply[#reply + 1] = events[i] end
end
return reply
`;

/** ARGV: stop channel, id. Returns 0 for an unknown stream. */
const STOP = `
local finished = redis.call('HGET', KEYS[2], 'finished')
if not finished then return 0 end
if finished == '0' then
  redis.call('HSET', KEYS[2], 'stop', '1')
  redis.call('PUBLISH', ARGV[1], ARGV[2])
end
return 1
`;

/** ARGV: lease ms. Renews a running stream's lease. */
const RENEW = `${NOW}
if redis.call('HGET', KEYS[2], 'finished') ~= '0' then return 0 end
redis.call('HSET', KEYS[2], 'lease', now() + tonumber(ARGV[1]))
return 1
`;

/**
 * ARGV: notify channel, notice. Ends a running stream whose lease expired (its producer's node
 * died) with a final \`ssekit:error\` event, as its producer would have. Returns 1 when it did.
 */
const LOST = `${NOW}
local meta = redis.call('HMGET', KEYS[2], 'finished', 'lease')
if meta[1] ~= '0' or tonumber(meta[2]) >= now() then return 0 end
local seq = redis.call('LLEN', KEYS[1]) + 1
redis.call('RPUSH', KEYS[1], 'id: ' .. seq .. '\\nevent: ssekit:error\\ndata: {"reason":"producer-lost"}\\n\\n')
redis.call('PEXPIRE', KEYS[1], redis.call('PTTL', KEYS[2]))
redis.call('HSET', KEYS[2], 'finished', '1')
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`;

/** ARGV: change (+1/-1), now ms. */
const READERS = `
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local readers = redis.call('HINCRBY', KEYS[2], 'readers', ARGV[1])
if readers <= 0 then redis.call('HSET', KEYS[2], 'readers', '0', 'idle', ARGV[2]) end
return readers
`;

export const SCRIPTS = { CREATE, APPEND, FINISH, READ, STOP, RENEW, LOST, READERS } as const;
export type ScriptName = keyof typeof SCRIPTS;

const SHAS = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, text]) => [name, createHash('sha1').update(text).digest('hex')]),
) as Record<ScriptName, string>;

/** Runs a script by hash, sending its text once when the server does not know it yet (a restart). */
export async function runScript(
  client: RedisClient,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | Buffer | Uint8Array)[],
): Promise<unknown> {
  // `evalshaBuffer`/`evalBuffer` exist at run time (ioredis makes a `…Buffer` twin of every
  // command) but not in its types; `callBuffer` loses its command name under auto-pipelining.
  const buffered = client as unknown as Record<'evalshaBuffer' | 'evalBuffer', (...args: unknown[]) => Promise<unknown>>;
  const argv = args.map((arg) => (typeof arg === 'string' ? arg : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength)));
  try {
    return await buffered.evalshaBuffer(SHAS[name], keys.length, ...keys, ...argv);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return buffered.evalBuffer(SCRIPTS[name], keys.length, ...keys, ...argv);
  }
}
