/**
 * The default {@link ResumableStore}: resumable streams kept in this process's memory. A resume
 * must reach the process that produced the stream (sticky sessions, or one process); use a
 * transport's store (`@ssekit/redis`) to resume on any node.
 */
import { SseRejectedError } from '../errors.js';
import type { AppendResult, ResumableStore, StoredRead, StoredStreamInfo } from './store.js';

interface Kept {
  readonly owner: string | undefined;
  readonly events: Uint8Array[];
  finished: boolean;
  stopped: boolean;
  readers: number;
  /** When the last reader left (or the stream was created). */
  idleSince: number;
  expiry: ReturnType<typeof setTimeout>;
  waiters: Set<() => void> | undefined;
  /** Readers are woken once per tick for what was appended in it (see `append`). */
  wakeQueued: boolean;
  stopListeners: Set<() => void> | undefined;
}

/** `process.nextTick` where there is one (Node, Bun, Deno), else a microtask. */
const nextTick: (callback: () => void) => void =
  typeof globalThis.process?.nextTick === 'function' ? (callback) => process.nextTick(callback) : queueMicrotask;

/** Options of {@link createMemoryResumableStore}. */
export interface MemoryResumableStoreOptions {
  /**
   * Streams kept at once (running or finished within their TTL); creating one more is refused
   * with 503, so memory stays bounded whatever clients do.
   * @default 10_000
   */
  maxStreams?: number;
}

/** Creates the in-memory store. See {@link ResumableStore}. */
export function createMemoryResumableStore(options: MemoryResumableStoreOptions = {}): ResumableStore {
  const maxStreams = options.maxStreams ?? 10_000;
  const streams = new Map<string, Kept>();

  const expire = (id: string, ttl: number): ReturnType<typeof setTimeout> => {
    const timer = setTimeout(() => {
      const kept = streams.get(id);
      if (!kept) return;
      streams.delete(id);
      wake(kept);
    }, ttl);
    timer.unref?.();
    return timer;
  };

  const wake = (kept: Kept) => {
    const waiters = kept.waiters;
    if (!waiters) return;
    kept.waiters = undefined;
    for (const resolve of waiters) resolve();
  };

  return {
    async create(id: string, info: StoredStreamInfo) {
      if (streams.has(id)) throw new SseRejectedError(409, 'A stream with this id already exists: choose another id.');
      if (streams.size >= maxStreams)
        throw new SseRejectedError(503, 'Too many resumable streams are kept right now; try again shortly.', { 'retry-after': '5' });
      streams.set(id, {
        owner: info.owner,
        events: [],
        finished: false,
        stopped: false,
        readers: 0,
        idleSince: Date.now(),
        expiry: expire(id, info.ttl),
        waiters: undefined,
        wakeQueued: false,
        stopListeners: undefined,
      });
    },

    async append(id: string, seq: number, event: Uint8Array): Promise<AppendResult> {
      const kept = streams.get(id);
      if (!kept || kept.finished) return 'stopped';
      if (seq !== kept.events.length + 1)
        throw new RangeError(`Event ${seq} of stream ${id} is out of order (expected ${kept.events.length + 1}).`);
      kept.events.push(event);
      // Once per tick, after the tick's appends: a reader then takes them in one read and one write.
      if (kept.waiters && !kept.wakeQueued) {
        kept.wakeQueued = true;
        nextTick(() => {
          kept.wakeQueued = false;
          wake(kept);
        });
      }
      return kept.stopped ? 'stopped' : 'ok';
    },

    async finish(id: string, ttl: number) {
      const kept = streams.get(id);
      if (!kept) return;
      kept.finished = true;
      clearTimeout(kept.expiry);
      kept.expiry = expire(id, ttl);
      wake(kept);
    },

    async read(id: string, after: number, maxBytes: number): Promise<StoredRead | undefined> {
      const kept = streams.get(id);
      if (!kept) return undefined;
      const events: Uint8Array[] = [];
      let bytes = 0;
      let next = Math.max(0, after);
      while (next < kept.events.length && (events.length === 0 || bytes < maxBytes)) {
        const event = kept.events[next++] as Uint8Array;
        events.push(event);
        bytes += event.byteLength;
      }
      return { events, last: Math.max(after, next), finished: kept.finished && next >= kept.events.length, owner: kept.owner };
    },

    wait(id: string, after: number, signal: AbortSignal): Promise<void> {
      const kept = streams.get(id);
      if (!kept || kept.finished || kept.events.length > after || signal.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          kept.waiters?.delete(done);
          resolve();
        };
        kept.waiters ??= new Set();
        kept.waiters.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    },

    async stop(id: string) {
      const kept = streams.get(id);
      if (!kept) return false;
      if (!kept.finished && !kept.stopped) {
        kept.stopped = true;
        for (const listener of kept.stopListeners ?? []) listener();
      }
      return true;
    },

    onStop(id: string, listener: () => void) {
      const kept = streams.get(id);
      if (!kept) return () => {};
      kept.stopListeners ??= new Set();
      kept.stopListeners.add(listener);
      if (kept.stopped) queueMicrotask(listener);
      return () => kept.stopListeners?.delete(listener);
    },

    readers(id: string, change: 1 | -1) {
      const kept = streams.get(id);
      if (!kept) return;
      kept.readers += change;
      if (kept.readers === 0) kept.idleSince = Date.now();
    },

    async idleFor(id: string) {
      const kept = streams.get(id);
      if (!kept) return undefined;
      return kept.readers > 0 ? 0 : Date.now() - kept.idleSince;
    },

    close() {
      for (const kept of streams.values()) {
        clearTimeout(kept.expiry);
        wake(kept);
      }
      streams.clear();
    },
  };
}
