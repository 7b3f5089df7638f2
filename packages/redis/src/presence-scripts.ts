import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The Lua scripts of Redis presence (see presence.ts for the design). Each runs atomically, so
 * the per-client counts never disagree with the sessions, however many nodes join and leave at
 * once, and exactly one node removes a dead node's sessions (and sends their leave notices).
 *
 * Keys, under `<prefix>` = `<streamKey>:presence`:
 * - `<prefix>:nodes`         sorted set: node id → when it expires (ms, Redis's clock)
 * - `<prefix>:s:<topic>`     hash: `<node>/<session>` → client id (the topic's sessions)
 * - `<prefix>:c:<topic>`     hash: client id → its sessions on the topic
 * - `<prefix>:n:<node>`      set: `<node>/<session>\n<topic>` (what a node must remove when it dies)
 * Scripts build the per-topic and per-node keys from the prefix, so they need one Redis that
 * holds them all (on Redis Cluster: a hash tag in the stream key, such as `{app}:events`).
 */

const COMMON = `
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function add(prefix, node, topic, field, client)
  local clients = prefix .. ':c:' .. topic
  if redis.call('HSETNX', prefix .. ':s:' .. topic, field, client) == 0 then
    return {0, tonumber(redis.call('HGET', clients, client) or '0')}
  end
  redis.call('SADD', prefix .. ':n:' .. node, field .. '\\n' .. topic)
  return {1, redis.call('HINCRBY', clients, client, 1)}
end
local function remove(prefix, topic, field)
  local sessions = prefix .. ':s:' .. topic
  local client = redis.call('HGET', sessions, field)
  if not client then return nil end
  redis.call('HDEL', sessions, field)
  local clients = prefix .. ':c:' .. topic
  local left = redis.call('HINCRBY', clients, client, -1)
  if left <= 0 then
    redis.call('HDEL', clients, client)
    left = 0
  end
  return {client, left}
end
local function split(member)
  local cut = string.find(member, '\\n', 1, true)
  return string.sub(member, 1, cut - 1), string.sub(member, cut + 1)
end
`;

/**
 * One session joins a topic; registers the node (with its expiry) when it is not registered.
 * KEYS[1] nodes. ARGV: prefix, node, ttl, topic, field, client.
 * Returns {registered (1: the node was not registered), added (1: new session), client's sessions}.
 */
export const JOIN = `${COMMON}
local registered = redis.call('ZADD', KEYS[1], 'NX', now() + tonumber(ARGV[3]), ARGV[2])
local added = add(ARGV[1], ARGV[2], ARGV[4], ARGV[5], ARGV[6])
return {registered, added[1], added[2]}
`;

/**
 * One session leaves a topic. ARGV: prefix, node, topic, field.
 * Returns the client's sessions left on the topic, or -1 when the session was not there.
 */
export const LEAVE = `${COMMON}
redis.call('SREM', ARGV[1] .. ':n:' .. ARGV[2], ARGV[4] .. '\\n' .. ARGV[3])
local removed = remove(ARGV[1], ARGV[3], ARGV[4])
if not removed then return -1 end
return removed[2]
`;

/**
 * The clients on a topic, counting only sessions of nodes that are alive (a node that died is
 * left out from the moment it expires, before a heartbeat removes its sessions).
 * KEYS[1] nodes, KEYS[2] the topic's sessions. Returns {client, sessions, client, sessions, …}.
 */
export const LIST = `${COMMON}
local at = now()
local all = redis.call('HGETALL', KEYS[2])
local alive, counts, order = {}, {}, {}
for i = 1, #all, 2 do
  local node = string.match(all[i], '^([^/]*)/')
  local live = alive[node]
  if live == nil then
    local score = redis.call('ZSCORE', KEYS[1], node)
    live = score ~= false and tonumber(score) > at
    alive[node] = live
  end
  if live then
    local client = all[i + 1]
    if counts[client] == nil then
      counts[client] = 0
      table.insert(order, client)
    end
    counts[client] = counts[client] + 1
  end
end
local out = {}
for _, client in ipairs(order) do
  table.insert(out, client)
  table.insert(out, counts[client])
end
return out
`;

/**
 * A node's heartbeat: pushes its expiry to now + ttl, then removes the sessions of at most
 * ARGV[4] nodes that expired (each removed by exactly one heartbeat, as this runs atomically).
 * KEYS[1] nodes. ARGV: prefix, node, ttl, max dead nodes.
 * Returns {registered (1: this node was not registered), topic, client, left, topic, client, left, …}.
 */
export const BEAT = `${COMMON}
local prefix = ARGV[1]
local at = now()
local registered = redis.call('ZADD', KEYS[1], at + tonumber(ARGV[3]), ARGV[2])
local out = {registered}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', at, 'LIMIT', 0, tonumber(ARGV[4]))
for _, node in ipairs(dead) do
  redis.call('ZREM', KEYS[1], node)
  local members = prefix .. ':n:' .. node
  for _, member in ipairs(redis.call('SMEMBERS', members)) do
    local field, topic = split(member)
    local removed = remove(prefix, topic, field)
    if removed then
      table.insert(out, topic)
      table.insert(out, removed[1])
      table.insert(out, removed[2])
    end
  end
  redis.call('DEL', members)
end
return out
`;

/**
 * Makes Redis hold exactly this node's sessions (after Redis lost them, a failed join or leave,
 * or this node being taken for dead), and registers the node.
 * KEYS[1] nodes. ARGV: prefix, node, ttl, then (topic, field, client) for every session.
 * Returns {kind, topic, client, sessions, …} for each session removed ('leave') or added ('join').
 */
export const RECONCILE = `${COMMON}
local prefix, node = ARGV[1], ARGV[2]
redis.call('ZADD', KEYS[1], now() + tonumber(ARGV[3]), node)
local wanted = {}
for i = 4, #ARGV, 3 do wanted[ARGV[i + 1] .. '\\n' .. ARGV[i]] = true end
local out = {}
local members = prefix .. ':n:' .. node
for _, member in ipairs(redis.call('SMEMBERS', members)) do
  if not wanted[member] then
    redis.call('SREM', members, member)
    local field, topic = split(member)
    local removed = remove(prefix, topic, field)
    if removed then
      table.insert(out, 'leave')
      table.insert(out, topic)
      table.insert(out, removed[1])
      table.insert(out, removed[2])
    end
  end
end
for i = 4, #ARGV, 3 do
  local added = add(prefix, node, ARGV[i], ARGV[i + 1], ARGV[i + 2])
  if added[1] == 1 then
    table.insert(out, 'join')
    table.insert(out, ARGV[i])
    table.insert(out, ARGV[i + 2])
    table.insert(out, added[2])
  end
end
return out
`;

const hashes = new Map<string, string>();

/** Runs a script by hash; sends its text when the server does not know it (a restarted Redis has none). */
export async function runScript(
  client: Redis,
  script: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  let sha = hashes.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script).digest('hex');
    hashes.set(script, sha);
  }
  try {
    return await client.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return await client.eval(script, keys.length, ...keys, ...args);
  }
}
