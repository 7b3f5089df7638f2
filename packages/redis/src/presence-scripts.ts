import { createHash } from 'node:crypto';
import type { RedisClient } from './client.js';

/**
 * The Lua scripts of Redis presence (see presence.ts for the design). Each runs atomically, so
 * the per-client counts never disagree with the sessions, however many nodes join and leave at
 * once, exactly one node removes a dead node's sessions, and a join or leave notice is appended
 * to the event stream in the same step as the change it reports: notices are in the order of
 * the changes, whichever nodes made them.
 *
 * Keys, under `<prefix>` = `<streamKey>:presence`:
 * - `<prefix>:nodes`         sorted set: node id → when it expires (ms, Redis's clock)
 * - `<prefix>:s:<topic>`     hash: `<node>/<session>` → client id (the topic's sessions)
 * - `<prefix>:c:<topic>`     hash: client id → its sessions on the topic
 * - `<prefix>:n:<node>`      set: `<node>/<session>\n<topic>` (what a node must remove when it dies)
 * - `<prefix>:l:<topic>`     hash: client id → its leave notice (topics with notices only)
 *
 * Every script's ARGV starts with: prefix, stream key, maxLength, approximate trim ('1'/'0').
 * Scripts build the per-topic and per-node keys from the prefix, so they need one Redis that
 * holds them all (on Redis Cluster: a hash tag in the stream key, such as `{app}:events`).
 */

const COMMON = `
local prefix, stream, maxLength, approximate = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1'
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Appends a notice to the event stream, as a publish of it on the topic would (entry.ts).
local function announce(topic, frame)
  local xadd = {'XADD', stream}
  if maxLength > 0 then
    table.insert(xadd, 'MAXLEN')
    if approximate then table.insert(xadd, '~') end
    table.insert(xadd, tostring(maxLength))
  end
  table.insert(xadd, '*')
  table.insert(xadd, 'c')
  table.insert(xadd, cjson.encode({'#' .. topic}))
  table.insert(xadd, 'f')
  table.insert(xadd, frame)
  redis.call(unpack(xadd))
end
local function add(node, topic, field, client, joinFrame, leaveFrame)
  local clients = prefix .. ':c:' .. topic
  if redis.call('HSETNX', prefix .. ':s:' .. topic, field, client) == 0 then
    return {0, tonumber(redis.call('HGET', clients, client) or '0')}
  end
  redis.call('SADD', prefix .. ':n:' .. node, field .. '\\n' .. topic)
  local count = redis.call('HINCRBY', clients, client, 1)
  if count == 1 and joinFrame ~= '' then
    redis.call('HSET', prefix .. ':l:' .. topic, client, leaveFrame)
    announce(topic, joinFrame)
  end
  return {1, count}
end
local function remove(topic, field)
  local sessions = prefix .. ':s:' .. topic
  local client = redis.call('HGET', sessions, field)
  if not client then return nil end
  redis.call('HDEL', sessions, field)
  local clients = prefix .. ':c:' .. topic
  local left = redis.call('HINCRBY', clients, client, -1)
  if left <= 0 then
    redis.call('HDEL', clients, client)
    left = 0
    local notices = prefix .. ':l:' .. topic
    local leaveFrame = redis.call('HGET', notices, client)
    if leaveFrame then
      redis.call('HDEL', notices, client)
      announce(topic, leaveFrame)
    end
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
 * KEYS[1] nodes. ARGV after the common four: node, ttl, topic, field, client, join notice and
 * leave notice ('' for a topic without notices).
 * Returns {registered (1: the node was not registered), added (1: new session), client's sessions}.
 */
export const JOIN = `${COMMON}
local registered = redis.call('ZADD', KEYS[1], 'NX', now() + tonumber(ARGV[6]), ARGV[5])
local added = add(ARGV[5], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])
return {registered, added[1], added[2]}
`;

/**
 * One session leaves a topic (its client's leave notice appended when it was the last).
 * ARGV after the common four: node, topic, field.
 * Returns the client's sessions left on the topic, or -1 when the session was not there.
 */
export const LEAVE = `${COMMON}
redis.call('SREM', prefix .. ':n:' .. ARGV[5], ARGV[7] .. '\\n' .. ARGV[6])
local removed = remove(ARGV[6], ARGV[7])
if not removed then return -1 end
return removed[2]
`;

/**
 * The clients on a topic, counting only sessions of nodes that are alive (a node that died is
 * left out from the moment it expires, before a heartbeat removes its sessions).
 * KEYS[1] nodes, KEYS[2] the topic's sessions, KEYS[3] its per-client counts; ARGV the common four.
 * Returns {client, sessions, client, sessions, …}.
 */
export const LIST = `${COMMON}
local at = now()
-- No node has expired (the usual case): the per-client counts are the answer, one per client.
if redis.call('ZCOUNT', KEYS[1], '-inf', at) == 0 then return redis.call('HGETALL', KEYS[3]) end
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
 * A node's heartbeat: pushes its expiry to now + ttl, then removes the sessions of at most a
 * few nodes that expired (each removed by exactly one heartbeat, as this runs atomically),
 * appending the leave notices of the clients that left.
 * KEYS[1] nodes. ARGV after the common four: node, ttl, max dead nodes.
 * Returns {registered (1: this node was not registered), topic, client, left, topic, client, left, …}.
 */
export const BEAT = `${COMMON}
local at = now()
local registered = redis.call('ZADD', KEYS[1], at + tonumber(ARGV[6]), ARGV[5])
local out = {registered}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', at, 'LIMIT', 0, tonumber(ARGV[7]))
for _, node in ipairs(dead) do
  redis.call('ZREM', KEYS[1], node)
  local members = prefix .. ':n:' .. node
  for _, member in ipairs(redis.call('SMEMBERS', members)) do
    local field, topic = split(member)
    local removed = remove(topic, field)
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
 * or this node being taken for dead), and registers the node; notices as for joins and leaves.
 * KEYS[1] nodes. ARGV after the common four: node, ttl, then (topic, field, client, join notice,
 * leave notice) for every session.
 * Returns {kind, topic, client, sessions, …} for each session removed ('leave') or added ('join').
 */
export const RECONCILE = `${COMMON}
local node = ARGV[5]
redis.call('ZADD', KEYS[1], now() + tonumber(ARGV[6]), node)
local wanted = {}
for i = 7, #ARGV, 5 do wanted[ARGV[i + 1] .. '\\n' .. ARGV[i]] = true end
local out = {}
local members = prefix .. ':n:' .. node
for _, member in ipairs(redis.call('SMEMBERS', members)) do
  if not wanted[member] then
    redis.call('SREM', members, member)
    local field, topic = split(member)
    local removed = remove(topic, field)
    if removed then
      table.insert(out, 'leave')
      table.insert(out, topic)
      table.insert(out, removed[1])
      table.insert(out, removed[2])
    end
  end
end
for i = 7, #ARGV, 5 do
  local added = add(node, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4])
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
  client: RedisClient,
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
