import { randomUUID } from 'node:crypto';
import { type PresenceEntry, type PresenceFrames, SseTransportError, type TransportPresence } from '@ssekit/core';
import type { RedisClient } from './client.js';
import type { ResolvedOptions } from './options.js';
import { BEAT, JOIN, LEAVE, LIST, RECONCILE, runScript } from './presence-scripts.js';
import { whenReady } from './ready.js';

/**
 * Presence settings of the Redis transport (`createRedisTransport({ presence })`).
 * @example
 * ```ts
 * const presence: RedisPresenceOptions = { ttl: 6_000, interval: 2_000 };
 * ```
 */
export interface RedisPresenceOptions {
  /**
   * Milliseconds a node stays present without a heartbeat. When a node dies without closing
   * (`SIGKILL`, a crash, a network split), its clients drop out of `broker.presence()` at most
   * this long after its last heartbeat, and the next heartbeat of a surviving node removes them
   * and sends their `ssekit:leave` notices (so within `ttl + interval`).
   * @default 15_000
   */
  ttl?: number;
  /**
   * Milliseconds between a node's heartbeats. Keep it well under `ttl` (a third is the default):
   * a node whose heartbeat is late by more than `ttl - interval` is taken for dead, and its
   * clients leave and join again.
   * @default a third of `ttl`
   */
  interval?: number;
}

/** Dead nodes one heartbeat removes at most (the next ones do the rest). */
const DEAD_PER_BEAT = 16;

interface LocalSession {
  readonly topic: string;
  readonly field: string;
  readonly clientId: string;
  readonly notices: PresenceFrames | undefined;
}

/**
 * Presence across nodes, after Centrifugo's Redis presence (a hash of entries per channel with
 * expiry scores beside it, refreshed on a timer) but refreshed per node rather than per entry:
 * each session is written once when it joins and once when it leaves, and each node refreshes
 * only its own expiry (one `ZADD` per `interval`, whatever its number of clients). Sessions
 * count only while their node is alive; a node that expired is removed by the first heartbeat
 * of another one, in one script, which also appends the leave notices of the clients that left
 * (stored when they joined). Notices are appended by the script that makes the change, so they
 * are in the stream in the order of the changes. A node that finds its sessions gone from Redis
 * (Redis restarted, or it was taken for dead) writes them again.
 */
export function createRedisPresence(
  writer: RedisClient,
  resolved: ResolvedOptions,
  options: RedisPresenceOptions = {},
): TransportPresence & { close(): Promise<void> } {
  const ttl = positive(options.ttl, 15_000, 'presence.ttl');
  const interval = positive(options.interval, Math.max(1, Math.floor(ttl / 3)), 'presence.interval');
  if (interval >= ttl)
    throw new RangeError(`presence.interval (${interval}) must be less than presence.ttl (${ttl}), or nodes expire between heartbeats.`);
  const prefix = `${resolved.streamKey}:presence`;
  const nodes = `${prefix}:nodes`;
  const nodeId = randomUUID();
  const local = new Map<string, LocalSession>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let registeredOnce = false;
  let needsReconcile = false;
  let beating = false;
  let closed = false;

  const common = [prefix, resolved.streamKey, String(resolved.maxLength), resolved.approximateTrim ? '1' : '0'];

  /** Redis said this node was not registered: if it was before, Redis lost what this node wrote. */
  const registered = (flag: unknown) => {
    if (flag === 1 && registeredOnce) needsReconcile = true;
    registeredOnce = true;
  };

  const reconcile = async () => {
    needsReconcile = false;
    const args: string[] = [...common, nodeId, String(ttl)];
    for (const { topic, field, clientId, notices } of local.values()) {
      args.push(topic, field, clientId, notices?.join ?? '', notices?.leave ?? '');
    }
    await runScript(writer, RECONCILE, [nodes], args);
  };

  const beat = async () => {
    if (beating || closed || writer.status !== 'ready') return;
    beating = true;
    try {
      const reply = (await runScript(writer, BEAT, [nodes], [...common, nodeId, ttl, DEAD_PER_BEAT])) as unknown[];
      registered(reply[0]);
      if (needsReconcile) await reconcile();
    } catch (cause) {
      needsReconcile = true;
      resolved.onError(new SseTransportError('The Redis presence heartbeat failed; it is retried on the next one.', { cause }));
    } finally {
      beating = false;
    }
  };

  const start = () => {
    if (timer !== undefined || closed) return;
    timer = setInterval(() => void beat(), interval);
    timer.unref?.();
    void beat();
  };

  const ready = async (doing: string) => {
    if (closed) throw new SseTransportError(`Cannot ${doing}: the Redis transport is closed.`);
    start();
    await whenReady(writer, resolved.timeout, doing);
  };

  return {
    async join(topic, clientId, sessionId, notices) {
      const field = `${nodeId}/${sessionId}`;
      // Known locally before Redis answers: a heartbeat that reconciles meanwhile includes it.
      local.set(`${field}\n${topic}`, { topic, field, clientId, notices });
      try {
        await ready('join a presence');
        const args = [...common, nodeId, ttl, topic, field, clientId, notices?.join ?? '', notices?.leave ?? ''];
        const reply = (await runScript(writer, JOIN, [nodes], args)) as number[];
        registered(reply[0]);
        return Number(reply[2]);
      } catch (cause) {
        needsReconcile = true;
        throw new SseTransportError(`Redis could not record a session of "${clientId}" joining "${topic}"; the next heartbeat retries.`, {
          cause,
        });
      }
    },

    async leave(topic, clientId, sessionId) {
      const field = `${nodeId}/${sessionId}`;
      if (!local.delete(`${field}\n${topic}`)) return undefined;
      try {
        await ready('leave a presence');
        const left = Number(await runScript(writer, LEAVE, [], [...common, nodeId, topic, field]));
        return left < 0 ? undefined : left;
      } catch (cause) {
        needsReconcile = true;
        throw new SseTransportError(`Redis could not record a session of "${clientId}" leaving "${topic}"; the next heartbeat retries.`, {
          cause,
        });
      }
    },

    async list(topic) {
      await ready('list a presence');
      let reply: Array<string | number>;
      try {
        reply = (await runScript(writer, LIST, [nodes, `${prefix}:s:${topic}`, `${prefix}:c:${topic}`], common)) as Array<string | number>;
      } catch (cause) {
        throw new SseTransportError(`Redis could not list the presence of "${topic}".`, { cause });
      }
      const entries: PresenceEntry[] = [];
      for (let i = 0; i + 1 < reply.length; i += 2) entries.push({ clientId: String(reply[i]), sessions: Number(reply[i + 1]) });
      return entries;
    },

    /** Stops the heartbeat and removes what this node still has in Redis (its streams' leaves normally did). */
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      if (!registeredOnce || writer.status !== 'ready') return;
      local.clear();
      await reconcile().catch(() => {});
      await writer.zrem(nodes, nodeId).catch(() => {});
    },
  };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer of milliseconds, got ${value}.`);
  return value;
}
