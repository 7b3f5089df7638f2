import { SseTransportError, type TransportMessage, type TransportStats } from '@ssekit/core';
import { isCluster, type RedisClient } from './client.js';
import { openReader } from './connections.js';
import { judge, type ReadState } from './continuity.js';
import { decodeEntry } from './entry.js';
import { lagOf } from './lag.js';
import type { ResolvedOptions } from './options.js';
import { Progress } from './progress.js';
import { xreadEntries } from './replies.js';
import { type Snapshot, takeSnapshot } from './snapshot.js';
import { compareStreamIds, parseStreamId, type StreamId } from './stream-id.js';

const STOPPED = Symbol('stopped');

/** What the loop hands on: entries in stream order, and history it found lost. */
export interface ReadLoopOutput {
  /**
   * `entryId` is the entry the message came from (its id may be the publisher's); `more`: another
   * entry of the same read follows (see `TransportListener.message`).
   */
  message(message: TransportMessage, entryId: string, more: boolean): void;
  gap(detail: string): void;
  /** The loop knows where it starts: after `cursor` (the stream's newest entry id, or `0-0`). */
  started?(cursor: string): void;
}

/**
 * The node's one reader, on a dedicated connection, handing every entry to `output.message` in
 * stream order, whatever the number of local clients.
 *
 * It reads in {@link Snapshot}s (`XINFO STREAM` and `XREAD` after its cursor in one `MULTI`) and
 * judges each one before delivering it (see continuity.ts), so events lost behind its cursor (a
 * Redis restart without persistence, a failover, trimming faster than it reads) are reported
 * through `output.gap` where they were lost, never skipped silently. When caught up it waits in
 * `XREAD BLOCK` and delivers what that returns; the snapshot after it checks the count.
 * After every reconnect the snapshot also asks `INFO server` for the `run_id`, and a reply that
 * arrives on another connection than the one that was checked is read again. On a Cluster, where
 * the node behind the stream's slot changes with a failover without the client reconnecting,
 * every snapshot asks, and entries come only from snapshots.
 *
 * It keeps its cursor through reconnects and restarts: entries after it are delivered (a
 * restarted Redis issues ids from its clock, after the old ones), entries at or before it never
 * again, so no entry is delivered twice.
 */
export class ReadLoop {
  private reader: RedisClient | undefined;
  private state: ReadState | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Counts connections of the reader: a snapshot is only trusted on the one it was checked on. */
  private connection = 0;
  private checkedConnection = -1;
  private gapsReported = 0;
  private ownLast: StreamId | undefined;
  /** Settles when `stop()` is called; raced against every wait, see {@link ReadLoop.interruptible}. */
  private readonly stopSignal: Promise<typeof STOPPED>;
  private signalStop: () => void = () => {};
  private readonly progress = new Progress();
  private readonly startWaiters = new Set<() => void>();

  constructor(
    private readonly template: RedisClient,
    private readonly options: ResolvedOptions,
    private readonly output: ReadLoopOutput,
  ) {
    this.stopSignal = new Promise((resolve) => {
      this.signalStop = () => resolve(STOPPED);
    });
  }

  /** True once started and until stopped. */
  get active(): boolean {
    return this.running !== undefined && !this.stopped;
  }

  /** Starts reading (once), on a connection of its own. */
  start(): void {
    if (this.running || this.stopped) return;
    this.reader = openReader(this.template, this.options);
    this.reader.on('connect', () => this.connection++);
    this.running = this.run(this.reader);
  }

  /**
   * Resolves once the loop knows where it starts reading. Replay waits for this, so an entry
   * added while the node starts is either in the replay or read live, never in neither.
   */
  started(timeout: number): Promise<void> {
    if (this.state !== undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.startWaiters.delete(onStart);
        reject(new SseTransportError(`The Redis read loop has not started after ${timeout} ms; is Redis reachable?`));
      }, timeout);
      const onStart = () => {
        clearTimeout(timer);
        resolve();
      };
      this.startWaiters.add(onStart);
    });
  }

  /** Tells the loop an entry id this node's own publish got back (checked after a restart). */
  published(entryId: StreamId): void {
    if (this.ownLast === undefined || compareStreamIds(entryId, this.ownLast) > 0) this.ownLast = entryId;
  }

  /** The newest entry id this node published, if any. */
  get newestPublished(): StreamId | undefined {
    return this.ownLast;
  }

  /**
   * Resolves once every entry up to `target` has been delivered, or can no longer be (trimmed or
   * lost), or after `timeout` ms, or at once when the loop is not running. Nothing depends on it
   * for correctness (positions settle the replay seam); it spares the broker holding live events.
   */
  reached(target: StreamId, timeout: number): Promise<void> {
    if (!this.active) return Promise.resolve();
    return this.progress.wait(target, timeout, (id) => this.isPast(id));
  }

  /** Lag behind the stream (as of the last snapshot), reconnects and lost-history notices. */
  stats(): TransportStats {
    return { ...lagOf(this.state), reconnects: Math.max(0, this.connection - 1), gapsReported: this.gapsReported };
  }

  /** Stops reading and disconnects the dedicated connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    this.reader?.disconnect();
    this.progress.settleAll();
    await this.running;
  }

  private isPast(target: StreamId): boolean {
    const cursor = this.state === undefined ? undefined : parseStreamId(this.state.cursor);
    return cursor !== undefined && compareStreamIds(cursor, target) >= 0;
  }

  private async run(reader: RedisClient): Promise<void> {
    const { streamKey, blockTimeout, readCount } = this.options;
    const cluster = isCluster(reader);
    let failures = 0;
    let idle = false;
    while (!this.stopped) {
      try {
        if (idle && this.state) {
          const sentOn = this.connection;
          const woke = await this.interruptible(
            reader.call('XREAD', 'COUNT', String(readCount), 'BLOCK', String(blockTimeout), 'STREAMS', streamKey, this.state.cursor),
          );
          if (woke === STOPPED || this.stopped) break;
          // Redis answers a waiting XREAD right after the command that added an entry, so what it
          // returns follows the cursor directly; the snapshot taken next checks the count anyway.
          // Only on the connection whose instance was checked, though. A Cluster re-sends it to
          // whichever node owns the slot after a failover, unseen: there it only wakes the loop.
          if (!cluster && this.connection === sentOn && sentOn === this.checkedConnection) this.deliver(xreadEntries(woke));
        }
        const sentOn = this.connection;
        // Publishes answered before the snapshot is sent ran before it; later ones may not have.
        const ownBefore = this.ownLast;
        // On a Cluster every snapshot asks: the node behind the slot can change without a reconnect.
        const withRunId = cluster || sentOn !== this.checkedConnection || this.state === undefined;
        const snapshot = await this.interruptible(takeSnapshot(reader, this.options, this.state?.cursor, withRunId));
        if (snapshot === STOPPED || this.stopped) break;
        failures = 0;
        // Asked before a reconnect, answered after it: the new instance was not checked yet.
        if (this.connection !== sentOn) continue;
        if (withRunId) this.checkedConnection = sentOn;
        if (this.state === undefined) this.begin(snapshot);
        else this.apply({ ...this.state, ownLast: ownBefore }, snapshot);
        idle = snapshot.entries.length < readCount;
      } catch (error) {
        if (this.stopped) break;
        this.options.onError(error);
        // A client whose retry strategy gave up stays closed until told to connect again.
        if (reader.status === 'end') reader.connect().catch(() => {});
        failures++;
        idle = false;
        await this.interruptible(new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 50 * 2 ** failures))));
      }
    }
  }

  /** The starting point: the stream's newest entry (everything before it is history). */
  private begin(snapshot: Snapshot): void {
    const stream = snapshot.stream;
    this.state = {
      cursor: stream?.lastGeneratedId ?? '0-0',
      count: stream ? stream.entriesAdded : 0,
      runId: snapshot.runId,
      lastGeneratedId: stream?.lastGeneratedId,
      entriesAdded: stream?.entriesAdded,
      ownLast: undefined,
    };
    this.output.started?.(this.state.cursor);
    for (const onStart of this.startWaiters) onStart();
    this.startWaiters.clear();
  }

  private apply(state: ReadState, snapshot: Snapshot): void {
    const verdict = judge(state, snapshot, this.options.readCount);
    if (verdict.lost !== undefined) {
      this.gapsReported++;
      try {
        this.output.gap(verdict.lost);
      } catch (error) {
        this.options.onError(error);
      }
      // Whatever flush() or a replay waited for may be among the lost entries.
      this.progress.settleAll();
    }
    const stream = snapshot.stream;
    this.state = {
      cursor: state.cursor,
      count: verdict.count,
      runId: snapshot.runId ?? state.runId,
      lastGeneratedId: stream?.lastGeneratedId,
      entriesAdded: stream?.entriesAdded,
      ownLast: undefined,
    };
    this.deliver(snapshot.entries);
    // Caught up: anything up to the newest id was delivered or is gone for good.
    const last = stream && parseStreamId(stream.lastGeneratedId);
    if (last && snapshot.entries.length < this.options.readCount) this.progress.settleUpTo(last);
  }

  /** Hands on raw entries read after the cursor, moving the cursor and the count past each. */
  private deliver(entries: readonly unknown[]): void {
    const state = this.state;
    if (!state) return;
    let { cursor, count } = state;
    for (let i = 0; i < entries.length; i++) {
      const raw = entries[i];
      const entry = decodeEntry(raw);
      const entryId = entry?.entryId ?? (Array.isArray(raw) && typeof raw[0] === 'string' ? raw[0] : undefined);
      if (entryId === undefined || !parseStreamId(entryId)) continue;
      // An entry someone else wrote is skipped, but read past and counted.
      cursor = entryId;
      if (count !== undefined) count++;
      this.state = { ...state, cursor, count };
      if (!entry) continue;
      try {
        this.output.message(entry.message, entry.entryId, i < entries.length - 1);
      } catch (error) {
        this.options.onError(error);
      }
    }
    const at = parseStreamId(cursor);
    if (at) this.progress.settleUpTo(at);
  }

  /**
   * `promise`, or {@link STOPPED} as soon as `stop()` is called. ioredis leaves a command queued
   * while it waits to reconnect even through `disconnect()`, so awaiting the command alone could
   * keep `stop()` waiting on a Redis that never comes back.
   */
  private interruptible<T>(promise: Promise<T>): Promise<T | typeof STOPPED> {
    promise.catch(() => {}); // it may still reject after the loop has let go of it
    return Promise.race([promise, this.stopSignal]);
  }
}
