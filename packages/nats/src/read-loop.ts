import {
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { SseTransportError, type TransportMessage } from '@ssekit/core';
import type { Connection } from './connection.js';
import { openReader, type Reader, readUntilTrouble } from './consumer.js';
import { findLoss, type ReadState } from './continuity.js';
import { decodeMessage, tagOf } from './message.js';
import type { ResolvedOptions } from './options.js';
import { Progress } from './progress.js';
import { tagAt } from './stored.js';
import { ensureStream } from './stream-setup.js';

const STOPPED = Symbol('stopped');

/** What the loop hands on: messages in stream order, and history it found lost. */
export interface ReadLoopOutput {
  message(message: TransportMessage): void;
  gap(detail: string): void;
}

/**
 * The node's one reader: an ephemeral pull consumer over the whole stream, handing every
 * message to `output.message` in stream order, whatever the number of local clients.
 *
 * Before it opens a consumer (at start, after every reconnect, after any consumer trouble) it
 * checks the stream against what it read: a stream created again (a server restarted without
 * persistence, the stream deleted), a last sequence behind its cursor, a stranger at its cursor's
 * sequence, or a server restart that lost a message this node published are reported through
 * `output.gap` (then it reads the new stream from its start, positions in a new generation).
 * Messages removed by the limits before it read them show as a jump in sequence: a gap too.
 * Messages that arrive from a server it has not checked yet are not delivered: it checks first
 * and reads them again from its cursor.
 */
export class ReadLoop {
  private state: ReadState | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private current: ConsumerMessages | undefined;
  private ownLast = 0;
  /** A gap was reported and no message delivered since. */
  private gapOpen = false;
  /** Raised each time the stream is found replaced, so positions keep growing. */
  private generationCount = 0;
  private readonly stopSignal: Promise<typeof STOPPED>;
  private signalStop: () => void = () => {};
  private readonly progress = new Progress();
  private readonly startWaiters = new Set<() => void>();

  constructor(
    private readonly connection: Promise<Connection>,
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

  /** The generation of positions the loop delivers now. */
  get generation(): number {
    return this.generationCount;
  }

  /** Starts reading (once). */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = this.run();
  }

  /**
   * Resolves once the loop knows where it starts reading, or rejects with `SseTransportError`
   * after `timeout` ms (NATS unreachable). Replay waits for it, so a message added while the node
   * starts is either in the replay or read live, never in neither.
   */
  started(timeout: number): Promise<void> {
    if (this.state !== undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.startWaiters.delete(onStart);
        reject(new SseTransportError(`The NATS read loop has not started after ${timeout} ms; is NATS reachable?`));
      }, timeout);
      const onStart = () => {
        clearTimeout(timer);
        resolve();
      };
      this.startWaiters.add(onStart);
    });
  }

  /** Tells the loop a sequence this node's own publish got back (checked after a restart). */
  published(seq: number): void {
    if (seq > this.ownLast) this.ownLast = seq;
  }

  /** The newest sequence this node published, if any. */
  get newestPublished(): number | undefined {
    return this.ownLast > 0 ? this.ownLast : undefined;
  }

  /** Resolves once every message up to `seq` was delivered (or lost), after `timeout` ms, or at once when not running. */
  reached(seq: number, timeout: number): Promise<void> {
    if (!this.active) return Promise.resolve();
    return this.progress.wait(seq, timeout, (target) => this.state !== undefined && this.state.cursor >= target);
  }

  /** Stops reading and removes its consumer. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    this.current?.stop();
    this.progress.settleAll();
    await this.running;
  }

  /** Stops the current consumer so the loop checks the stream before reading on. */
  recheck(): void {
    this.current?.stop();
  }

  private async run(): Promise<void> {
    const connection = await this.interruptible(this.connection).catch((): typeof STOPPED => STOPPED);
    if (connection === STOPPED) return; // stopped, or closed before it connected
    const jsm = await jetstreamManager(connection.nc, { timeout: this.options.timeout, checkAPI: false });
    const js = jetstream(connection.nc, { timeout: this.options.timeout });
    let failures = 0;
    while (!this.stopped) {
      try {
        const checking = this.check(connection, jsm, js);
        const reader = await this.interruptible(checking);
        if (reader === STOPPED || this.stopped) {
          // A consumer it opens after all is removed then, not left to expire; stop() need not wait.
          void checking.then(
            (opened) => opened?.close(),
            () => {},
          );
          break;
        }
        failures = 0;
        if (reader) await this.consume(connection, reader);
      } catch (error) {
        if (this.stopped) break;
        this.options.onError(error);
        failures++;
        await this.interruptible(new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 50 * 2 ** failures))));
      }
    }
  }

  /** Checks the stream against the loop's state, then opens a consumer after the cursor. */
  private async check(connection: Connection, jsm: JetStreamManager, js: JetStreamClient): Promise<Reader | undefined> {
    await connection.whenConnected(this.options.timeout, 'read');
    const serverId = connection.serverId;
    // Publishes acknowledged before the stream's info is asked for are in it, unless lost.
    const ownBefore = this.ownLast;
    const info = await ensureStream(jsm, this.options);
    if (this.state === undefined) await this.begin(jsm, info, serverId);
    else await this.judge(jsm, info, serverId, ownBefore);
    const state = this.state as ReadState;
    const reader = await openReader(jsm, js, this.options, state.cursor + 1);
    // Replaced between the check and the consumer's creation: the consumer reads the new one.
    const again = await jsm.streams.info(this.options.stream).catch(() => undefined);
    if (again?.created !== state.created) {
      await reader.close();
      return undefined;
    }
    return reader;
  }

  /** The starting point: the stream's newest message (everything before it is history). */
  private async begin(jsm: JetStreamManager, info: StreamInfo, serverId: string | undefined): Promise<void> {
    const cursor = info.state.last_seq;
    const tag = cursor > 0 ? await tagAt(jsm, this.options.stream, cursor) : undefined;
    this.state = { cursor, tag, created: info.created, serverId };
    for (const onStart of this.startWaiters) onStart();
    this.startWaiters.clear();
  }

  private async judge(jsm: JetStreamManager, info: StreamInfo, serverId: string | undefined, ownBefore: number): Promise<void> {
    const state = this.state as ReadState;
    const lost = await findLoss(state, info, serverId, ownBefore, (seq) => tagAt(jsm, this.options.stream, seq));
    if (lost === undefined) {
      this.state = { ...state, serverId };
      return;
    }
    this.report(`${lost} (read loop cursor ${state.cursor})`);
    this.generationCount++;
    this.ownLast = 0;
    // Everything in the stream now came after the loss: read it from its start.
    this.state = { cursor: Math.max(0, info.state.first_seq - 1), tag: undefined, created: info.created, serverId };
  }

  /** Reads until trouble (a consumer notice, a reconnect, a server it has not checked) or stop. */
  private async consume(connection: Connection, reader: Reader): Promise<void> {
    await readUntilTrouble(reader, this.options.readCount, {
      // Sent by a server the stream was not checked on (it restarted): check, then read again.
      stop: () => this.stopped || connection.serverId !== this.state?.serverId,
      take: (message) => this.take(message.seq, message.headers, message.data),
      reading: (messages) => {
        this.current = messages;
      },
    });
  }

  /** Hands on one message read after the cursor, moving the cursor past it. */
  private take(seq: number, headers: MsgHdrs | undefined, data: Uint8Array): void {
    const state = this.state;
    if (!state || seq <= state.cursor) return;
    if (seq > state.cursor + 1) {
      this.report(
        `${seq - state.cursor - 1} messages after sequence ${state.cursor} were removed (maxLength, maxAge or maxBytes) before this node read them: the read loop fell behind retention`,
      );
    }
    const decoded = decodeMessage({ seq, headers, data }, this.generationCount);
    this.state = { ...state, cursor: seq, tag: decoded?.tag ?? tagOf(headers) };
    if (decoded) {
      this.gapOpen = false;
      try {
        this.output.message(decoded.message);
      } catch (error) {
        this.options.onError(error);
      }
    }
    this.progress.settleUpTo(seq);
  }

  private report(detail: string): void {
    if (this.gapOpen) {
      // The open streams were told already, with nothing delivered since: one notice covers both.
      this.options.onError(new SseTransportError(`NATS lost events again before this node read them: ${detail}`));
    } else {
      this.gapOpen = true;
      try {
        this.output.gap(detail);
      } catch (error) {
        this.options.onError(error);
      }
    }
    // Whatever flush() or a replay waited for may be among the lost messages.
    this.progress.settleAll();
  }

  /** `promise`, or {@link STOPPED} as soon as `stop()` is called. */
  private interruptible<T>(promise: Promise<T>): Promise<T | typeof STOPPED> {
    promise.catch(() => {});
    return Promise.race([promise, this.stopSignal]);
  }
}
