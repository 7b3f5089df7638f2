import { SseTransportError, type TransportMessage } from '@ssekit/core';
import type { Redis } from 'ioredis';
import { openReader } from './connections.js';
import { decodeEntry } from './entry.js';
import type { ResolvedOptions } from './options.js';
import { streamInfo, xreadEntries } from './replies.js';
import { compareStreamIds, parseStreamId, type StreamId } from './stream-id.js';

const STOPPED = Symbol('stopped');

interface Waiter {
  readonly target: StreamId;
  readonly resolve: () => void;
}

/**
 * The node's one blocking reader: `XREAD BLOCK` on a dedicated connection, handing every entry
 * to `deliver` in stream order, whatever the number of local clients.
 *
 * It remembers the id of the last entry it read (the cursor) and always reads after it, so after
 * a dropped connection or a Redis restart it resumes where it stopped and delivers what was
 * added meanwhile, as long as the stream still retains it.
 */
export class ReadLoop {
  private reader: Redis | undefined;
  private cursor: string | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Settles when `stop()` is called; raced against every wait, see {@link ReadLoop.interruptible}. */
  private readonly stopSignal: Promise<typeof STOPPED>;
  private signalStop: () => void = () => {};
  private readonly waiters = new Set<Waiter>();
  private readonly startWaiters = new Set<() => void>();

  constructor(
    private readonly template: Redis,
    private readonly options: ResolvedOptions,
    private readonly deliver: (message: TransportMessage) => void,
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
    this.running = this.run(this.reader);
  }

  /**
   * Resolves once the loop knows where it starts reading. Replay waits for this, so an entry
   * added while the node starts is either in the replay or read live, never in neither.
   */
  started(timeout: number): Promise<void> {
    if (this.cursor !== undefined) return Promise.resolve();
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

  /**
   * Resolves once every entry up to `target` has been handed to `deliver` (or trimmed before the
   * loop got to it), or after `timeout` ms. Replay waits for this before it returns, so an entry
   * that is both replayed and delivered live reaches the broker while it still de-duplicates.
   */
  reached(target: StreamId, timeout: number): Promise<void> {
    if (this.isPast(target) || !this.active) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      // Past the bound the loop is stalled (Redis unreachable); replaying anyway beats failing,
      // and the broker still de-duplicates whatever the loop delivers before the replay lands.
      const timer = setTimeout(waiter.resolve, timeout);
      this.waiters.add(waiter);
    });
  }

  /** Stops reading and disconnects the dedicated connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    this.reader?.disconnect();
    for (const waiter of [...this.waiters]) waiter.resolve();
    await this.running;
  }

  private isPast(target: StreamId): boolean {
    const cursor = this.cursor === undefined ? undefined : parseStreamId(this.cursor);
    return cursor !== undefined && compareStreamIds(cursor, target) >= 0;
  }

  private async run(reader: Redis): Promise<void> {
    const { streamKey, readCount, blockTimeout } = this.options;
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.cursor === undefined) {
          const start = await this.interruptible(this.lastGeneratedId(reader));
          if (start === STOPPED) break;
          this.setStart(start);
        }
        const pending = [...this.waiters];
        const reply = await this.interruptible(
          reader.call('XREAD', 'COUNT', String(readCount), 'BLOCK', String(blockTimeout), 'STREAMS', streamKey, this.cursor as string),
        );
        if (reply === STOPPED || this.stopped) break;
        failures = 0;
        const entries = xreadEntries(reply);
        if (entries.length === 0) {
          // Nothing after the cursor, so whatever a waiter asked for was trimmed before we read it.
          for (const waiter of pending) waiter.resolve();
          continue;
        }
        for (const raw of entries) this.handle(raw);
        for (const waiter of [...this.waiters]) if (this.isPast(waiter.target)) waiter.resolve();
      } catch (error) {
        if (this.stopped) break;
        this.options.onError(error);
        // A client whose retry strategy gave up stays closed until told to connect again.
        if (reader.status === 'end') reader.connect().catch(() => {});
        failures++;
        await this.interruptible(new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 50 * 2 ** failures))));
      }
    }
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

  private handle(raw: unknown): void {
    const entry = decodeEntry(raw);
    if (entry) {
      this.cursor = entry.entryId;
      try {
        this.deliver(entry.message);
      } catch (error) {
        this.options.onError(error);
      }
    } else if (Array.isArray(raw) && typeof raw[0] === 'string' && parseStreamId(raw[0])) {
      this.cursor = raw[0]; // an entry someone else wrote: skip it, but read past it
    }
  }

  private async lastGeneratedId(reader: Redis): Promise<string> {
    try {
      return streamInfo(await reader.xinfo('STREAM', this.options.streamKey))?.lastGeneratedId ?? '0-0';
    } catch (error) {
      if (error instanceof Error && /no such key/i.test(error.message)) return '0-0';
      throw error;
    }
  }

  private setStart(cursor: string): void {
    this.cursor = cursor;
    for (const onStart of this.startWaiters) onStart();
    this.startWaiters.clear();
  }
}
