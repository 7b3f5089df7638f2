import { HistoryIndex } from './history-index.js';
import { createMemoryPresence } from './memory-presence.js';
import type { ReplayResult, Transport, TransportListener, TransportMessage } from './transport.js';
import { encodeWire, frameOf } from './wire.js';

/** Bounds of the in-memory replay history. */
export interface MemoryTransportOptions {
  /**
   * Events kept per channel (topic, broadcast, or client). `0` keeps no history.
   * @default 1000
   */
  historySize?: number;
  /**
   * Milliseconds an event stays replayable.
   * @default 300_000 (5 minutes)
   */
  historyMaxAge?: number;
  /**
   * Events kept in all, across every channel: past it, the oldest go first, whichever channel
   * holds them (a client asking to replay from one gets a gap notice). `historySize` bounds each
   * channel, this the process: 10,000 per-user channels would otherwise keep 10 million events.
   * `0` lifts the cap.
   * @default 100_000
   */
  historyMaxEvents?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/**
 * Frames from this many characters on are kept encoded, not as text. The broker then writes the
 * history's own bytes to every socket, live and replayed: a client that falls behind buffers
 * references to them, not copies, and a replay encodes nothing. Below it, the bytes' fixed cost
 * (a few hundred bytes an event) would outweigh what sharing saves.
 */
const KEEP_ENCODED_FROM = 1024;

class Entry implements TransportMessage {
  readonly bytes: Uint8Array | undefined;
  private readonly text: string | undefined;
  /** Channels that still hold this entry; it leaves the id index at zero. */
  holders = 0;

  constructor(
    readonly id: string,
    readonly channels: readonly string[],
    frame: string,
    /** Publish order in this process: the seam drops live events at or before a replay's end. */
    readonly position: number,
    readonly at: number,
  ) {
    if (frame.length >= KEEP_ENCODED_FROM) this.bytes = encodeWire(id, frame);
    else this.text = frame;
  }

  get frame(): string {
    return this.text ?? frameOf(this.bytes as Uint8Array);
  }
}

interface ChannelLog {
  /** Slots before `head` are emptied as they are evicted, so their events are freed at once. */
  entries: Array<Entry | undefined>;
  /** Index of the oldest live entry in `entries` (entries before it are evicted). */
  head: number;
  /** Highest sequence number evicted from this channel, -1 when none. */
  evictedSeq: number;
}

/**
 * The default transport: delivers synchronously inside this process and keeps a replay history
 * per channel, bounded by count and age.
 *
 * It keeps presence too (who is subscribed to which topic, for `broker.presence()`), for the
 * brokers of this process that share it.
 *
 * Ids it assigns are `<epoch ms>-<sequence>`: increasing, orderable, and never reused after a
 * restart, so an id from an earlier process is reported as a gap instead of matching a new event.
 * The sequence is the event's publish position in this transport, which finds it again without
 * a map entry per retained event.
 *
 * @example
 * ```ts
 * const broker = createBroker({ transport: createMemoryTransport({ historySize: 100 }) });
 * ```
 */
export function createMemoryTransport(options: MemoryTransportOptions = {}): Transport {
  const historySize = options.historySize ?? 1000;
  const maxAge = options.historyMaxAge ?? 300_000;
  const maxEvents = options.historyMaxEvents ?? 100_000;
  const now = options.now ?? Date.now;
  const listeners = new Set<TransportListener>();
  const channels = new Map<string, ChannelLog>();
  const byId = new HistoryIndex<Entry>();
  let seq = 0;
  let lastMs = 0;
  /** Highest sequence evicted from channels since deleted: a conservative gap bound for them. */
  let deletedEvictedSeq = -1;

  const nextId = (position: number): string => {
    lastMs = Math.max(now(), lastMs);
    return `${lastMs}-${position}`;
  };

  const evict = (log: ChannelLog, entry: Entry) => {
    log.evictedSeq = entry.position;
    if (--entry.holders === 0) byId.remove(entry);
  };

  const trim = (name: string, log: ChannelLog, at: number) => {
    const oldest = at - maxAge;
    let live = log.entries.length - log.head;
    while (live > 0) {
      const entry = log.entries[log.head] as Entry;
      if (live <= historySize && entry.at >= oldest) break;
      evict(log, entry);
      log.entries[log.head] = undefined;
      log.head++;
      live--;
    }
    compact(name, log);
  };

  const compact = (name: string, log: ChannelLog) => {
    // Compact once half the array is empty slots, so trimming stays amortized O(1).
    if (log.head > 64 && log.head * 2 > log.entries.length) {
      log.entries = log.entries.slice(log.head);
      log.head = 0;
    }
    if (log.head === log.entries.length) {
      // An empty log only remembers what it evicted; fold that into one number and free it.
      deletedEvictedSeq = Math.max(deletedEvictedSeq, log.evictedSeq);
      channels.delete(name);
    }
  };

  const sweep = setInterval(
    () => {
      const at = now();
      for (const [name, log] of channels) trim(name, log, at);
    },
    Math.max(1000, Math.min(maxAge, 60_000)),
  );
  sweep.unref?.();

  const store = (entry: Entry, assigned: boolean) => {
    byId.add(entry, assigned);
    entry.holders++; // held while it is stored, so a trim below cannot remove it from the index twice
    for (const name of entry.channels) {
      let log = channels.get(name);
      if (!log) {
        log = { entries: [], head: 0, evictedSeq: -1 };
        channels.set(name, log);
      }
      log.entries.push(entry);
      entry.holders++;
      trim(name, log, entry.at);
    }
    if (--entry.holders === 0) byId.remove(entry);
    if (maxEvents > 0) while (byId.size > maxEvents && evictOldest());
  };

  /** Drops the oldest retained event from every channel that holds it (it is first in each). */
  const evictOldest = (): boolean => {
    const entry = byId.oldest();
    if (entry === undefined) return false;
    for (const name of entry.channels) {
      const log = channels.get(name);
      if (log === undefined || log.entries[log.head] !== entry) continue;
      evict(log, entry);
      log.entries[log.head] = undefined;
      log.head++;
      compact(name, log);
    }
    // Not first in a channel (a publisher-given id reused): drop it from the index all the same.
    if (entry.holders > 0) {
      entry.holders = 0;
      byId.remove(entry);
    }
    return true;
  };

  const publish = (channelNames: readonly string[], frame: string, id?: string): string => {
    const position = ++seq;
    const entry = new Entry(id ?? nextId(position), channelNames, frame, position, now());
    if (historySize > 0) store(entry, id === undefined);
    for (const listener of listeners) listener.message(entry);
    return entry.id;
  };
  const presence = createMemoryPresence(publish);

  return {
    presence,
    publish,

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    replay(channelNames, lastEventId): ReplayResult {
      const from = byId.get(lastEventId);
      if (!from) return { messages: [], gap: isOwnOldId(lastEventId, lastMs) ? 'expired' : 'unknown', through: seq };
      const at = now();
      const found = new Map<number, Entry>();
      let gap = false;
      for (const name of channelNames) {
        const log = channels.get(name);
        if (!log) {
          if (deletedEvictedSeq > from.position) gap = true;
          continue;
        }
        trim(name, log, at);
        if (log.evictedSeq > from.position) gap = true;
        for (let i = log.entries.length - 1; i >= log.head; i--) {
          const entry = log.entries[i] as Entry;
          if (entry.position <= from.position) break;
          found.set(entry.position, entry);
        }
      }
      const messages = [...found.values()].sort((a, b) => a.position - b.position);
      return gap ? { messages, gap: 'expired', through: seq } : { messages, through: seq };
    },

    close() {
      clearInterval(sweep);
      listeners.clear();
      channels.clear();
      byId.clear();
    },
  };
}

/** An id in this transport's own `<ms>-<seq>` form that is not newer than what it issued. */
function isOwnOldId(id: string, lastMs: number): boolean {
  const match = /^(\d{1,15})-\d{1,15}$/.exec(id);
  return match !== null && Number(match[1]) <= lastMs;
}
