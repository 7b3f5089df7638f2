import { type AppendResult, type ResumableStore, SseRejectedError, type StoredRead } from '@ssekit/core';
import type { RedisClient } from './client.js';
import { duplicateClient } from './connections.js';
import type { ResolvedOptions } from './options.js';
import { whenReady } from './ready.js';
import { runScript, type ScriptName } from './resumable-scripts.js';

/** Events read per round trip; `maxBytes` cuts the batch shorter. */
const READ_COUNT = 256;
/** A waiting reader reads again after this long even without a notice (one lost in a reconnect). */
const WAIT_FALLBACK = 1_000;

/**
 * Resumable streams in Redis, so a reader on any node resumes a stream produced on another (see
 * `ResumableStore` in `@ssekit/core`). Each stream is a list of its encoded events and a meta
 * hash under `<streamKey>:rs:{<id>}:…` (one Cluster slot per stream), both expiring with the
 * stream's TTL. Appends and finishes are announced on one pub/sub channel that each node listens
 * to with one connection, opened when it first waits; stops go out on another, and are also
 * answered by the next append, so a producer stops even if it missed the notice.
 */
export function createRedisResumableStore(writer: RedisClient, template: RedisClient, options: ResolvedOptions): ResumableStore {
  const prefix = `${options.streamKey}:rs`;
  const notifyChannel = `${prefix}:notify`;
  const stopChannel = `${prefix}:stop`;
  const keys = (id: string) => [`${prefix}:{${id}}:events`, `${prefix}:{${id}}:meta`];
  const waiters = new Map<string, Set<() => void>>();
  const stopListeners = new Map<string, Set<() => void>>();
  let subscriber: RedisClient | undefined;
  let subscribed: Promise<void> | undefined;
  let closed = false;
  /** Streams whose producer runs on this node: their leases are renewed together. */
  const producing = new Set<string>();
  let renewing: ReturnType<typeof setInterval> | undefined;
  const renew = () => {
    for (const id of producing) run('RENEW', id, [String(options.resumableLease)]).catch((error: unknown) => options.onError(error));
  };

  /** The node's one subscriber connection, listening on both channels. */
  const listen = (): Promise<void> => {
    if (subscribed) return subscribed;
    const connection = duplicateClient(
      template,
      'subscriber',
      { maxRetriesPerRequest: null },
      { lazyConnect: false, enableOfflineQueue: true, enableAutoPipelining: false },
    );
    subscriber = connection;
    connection.on('error', (error: unknown) => options.onError(error));
    connection.on('message', (channel: string, message: string) => {
      if (channel === notifyChannel) wake(message);
      else if (channel === stopChannel) for (const listener of stopListeners.get(message) ?? []) listener();
    });
    subscribed = connection.subscribe(notifyChannel, stopChannel).then(() => {});
    subscribed.catch(() => {
      subscribed = undefined;
    });
    return subscribed;
  };

  const wake = (id: string) => {
    const set = waiters.get(id);
    if (!set) return;
    waiters.delete(id);
    for (const resolve of set) resolve();
  };

  /** Runs a script once the writer is connected (it fails fast while reconnecting, see connections.ts). */
  const run = async (name: ScriptName, id: string, args: readonly (string | Uint8Array)[]) => {
    await whenReady(writer, options.timeout, 'reach the resumable stream');
    return runScript(writer, name, keys(id), args);
  };

  /** How many events stream `id` has and whether it finished; `undefined` when unknown. */
  const peek = async (id: string) => {
    const reply = (await run('READ', id, ['0', '0'])) as [Buffer, Buffer, number] | null;
    return reply ? { length: reply[2], finished: reply[1].toString() === '1' } : undefined;
  };

  return {
    async create(id, info) {
      const created = await run('CREATE', id, [info.owner ?? '', String(info.ttl), String(Date.now()), String(options.resumableLease)]);
      if (created === 0) throw new SseRejectedError(409, 'A stream with this id already exists: choose another id.');
      producing.add(id);
      renewing ??= setInterval(renew, Math.floor(options.resumableLease / 3));
      renewing.unref?.();
    },

    async append(id, seq, event): Promise<AppendResult> {
      const reply = await run('APPEND', id, [String(seq), event, notifyChannel, id, String(options.resumableLease)]);
      return String(reply) === 'ok' ? 'ok' : 'stopped';
    },

    async finish(id, ttl) {
      producing.delete(id);
      await run('FINISH', id, [String(Math.max(1, ttl)), notifyChannel, id]);
    },

    async read(id, after, maxBytes): Promise<StoredRead | undefined> {
      const reply = (await run('READ', id, [String(after), maxBytes > 0 ? String(READ_COUNT) : '0'])) as
        | [Buffer, Buffer, number, ...Buffer[]]
        | null;
      if (!reply) return undefined;
      const [owner, finished, length, ...stored] = reply;
      const events: Uint8Array[] = [];
      let bytes = 0;
      for (const event of stored) {
        if (events.length > 0 && bytes + event.byteLength > maxBytes) break;
        events.push(event);
        bytes += event.byteLength;
      }
      const last = after + events.length;
      const ownerText = owner.toString();
      return { events, last, finished: finished.toString() === '1' && last >= length, owner: ownerText === '' ? undefined : ownerText };
    },

    async wait(id, after, signal) {
      if (signal.aborted || closed) return;
      await listen();
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          waiters.get(id)?.delete(done);
          resolve();
        };
        // No notice for a while: read again, and end the stream if its producer's node died.
        const timer = setTimeout(() => {
          run('LOST', id, [notifyChannel, id]).then(done, done);
        }, WAIT_FALLBACK);
        signal.addEventListener('abort', done, { once: true });
        const set = waiters.get(id) ?? new Set();
        waiters.set(id, set);
        set.add(done);
        // What was appended between the reader's read and this subscription would go unannounced.
        peek(id).then(
          (stream) => {
            if (!stream || stream.finished || stream.length > after) done();
          },
          () => done(),
        );
      });
    },

    async stop(id) {
      return (await run('STOP', id, [stopChannel, id])) === 1;
    },

    onStop(id, listener) {
      void listen().catch(() => {});
      const set = stopListeners.get(id) ?? new Set();
      stopListeners.set(id, set);
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) stopListeners.delete(id);
      };
    },

    readers(id, change) {
      run('READERS', id, [String(change), String(Date.now())]).catch((error: unknown) => options.onError(error));
    },

    async idleFor(id) {
      await whenReady(writer, options.timeout, 'reach the resumable stream');
      const [readers, idle] = (await writer.hmget(keys(id)[1] as string, 'readers', 'idle')) as [string | null, string | null];
      if (readers === null) return undefined;
      return Number(readers) > 0 ? 0 : Date.now() - Number(idle);
    },

    async close() {
      closed = true;
      clearInterval(renewing);
      producing.clear();
      for (const id of [...waiters.keys()]) wake(id);
      subscriber?.disconnect();
    },
  };
}
