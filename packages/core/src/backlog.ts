/**
 * A reconnecting client's replay, written as its socket drains.
 *
 * History is held as references to the transport's messages and encoded a batch at a time, only
 * when the socket has room: C clients replaying the same M bytes cost about M (the history,
 * shared) plus C times one batch and the socket's buffer, not C times M, and a client that stops
 * reading holds no copy of its replay. Live events and the stream's own sends that arrive
 * meanwhile queue behind it, in order, and count against `maxBufferedBytes` like any live bytes.
 */

import { atOrBeforeFloor } from './floor.js';
import type { Sink } from './sink.js';
import type { LaneFloors, TransportMessage } from './transport.js';
import { encodeWire } from './wire.js';

/** Batches of small events are joined up to this size before one write. */
const BATCH_BYTES = 16 * 1024;
/** Bytes from this size on are the history's own copy: written alone, never joined (copied). */
const SHARED_FROM = 1024;

type Item = TransportMessage | Uint8Array;

/** The bytes of a transported event as clients receive them: the transport's copy when it kept one. */
export function encodeMessage(message: TransportMessage): Uint8Array {
  return message.bytes ?? encodeWire(message.id, message.frame);
}

/** What a backlog needs of the stream it writes for (the broker's per-stream record). */
export interface BacklogOwner {
  readonly sink: Sink;
  readonly host: { readonly counters: { slowClientCloses: number } };
  backlog: Backlog | undefined;
  lastId: string | undefined;
  end(reason: 'slow'): void;
  /** What the sink holds back (a sink that throws is dropped and holds nothing). */
  bufferedBytes(): number;
  /** The sink threw: drop the stream and report it (see `Stream.sinkFailed`). */
  sinkFailed(error: unknown): void;
  /** Writes a chunk the backlog already bounded; false when the socket is full. */
  writeUncapped(chunk: Uint8Array): boolean;
  /** Everything is written: back to live writes (or end, if the stream is closing). */
  backlogDone(): void;
}

/** See the file comment. Created when a stream opens with a `Last-Event-ID`. */
export class Backlog {
  /**
   * Until the transport's replay is back: live deliveries (with their message, for the seam) and
   * the stream's own chunks (no message), in arrival order.
   */
  private seam: Array<{ chunk: Uint8Array; message: TransportMessage | undefined }> | undefined = [];
  private items: Array<Item | undefined> = [];
  private head = 0;
  /** Bytes of live chunks queued here: they count against the byte cap. */
  private liveBytes = 0;
  private waiting = false;

  constructor(private readonly maxBufferedBytes: number) {}

  /** Queues a live chunk behind the replay; drops the stream as slow past the byte cap. */
  pushLive(stream: BacklogOwner, chunk: Uint8Array, message?: TransportMessage): void {
    if (this.seam) this.seam.push({ chunk, message });
    else this.items.push(chunk);
    this.liveBytes += chunk.byteLength;
    if (this.liveBytes + stream.bufferedBytes() > this.maxBufferedBytes) {
      stream.host.counters.slowClientCloses++;
      stream.end('slow');
    }
  }

  /**
   * The transport's replay is back: history first, then `notice` (a gap event) if any, then what
   * arrived meanwhile, minus what the replay already had (by id, or by position up to `through`).
   */
  start(
    stream: BacklogOwner,
    messages: readonly TransportMessage[],
    notice: Uint8Array | undefined,
    through: number | string | LaneFloors | undefined,
  ): void {
    const seam = this.seam ?? [];
    this.seam = undefined;
    if (stream.backlog !== this) return; // the client left meanwhile
    const replayed = new Set<string>();
    for (const message of messages) {
      this.items.push(message);
      replayed.add(message.id);
    }
    if (messages.length > 0) stream.lastId = (messages[messages.length - 1] as TransportMessage).id;
    if (notice) this.items.push(notice);
    for (const { chunk, message } of seam) {
      if (message) {
        const old = replayed.has(message.id) || atOrBeforeFloor(message, through);
        if (old) {
          this.liveBytes -= chunk.byteLength;
          continue;
        }
      }
      this.items.push(chunk);
    }
    this.pump(stream);
  }

  /** The stream is ending gracefully: finish writing (once the replay is back), then end it. */
  close(stream: BacklogOwner): void {
    if (this.seam === undefined && !this.waiting) this.pump(stream);
  }

  private pump(stream: BacklogOwner): void {
    const sink = stream.sink;
    while (this.head < this.items.length) {
      if (stream.backlog !== this || sink.closed) return;
      if (!stream.writeUncapped(this.nextBatch())) {
        if (stream.backlog !== this) return; // the sink failed: the stream is dropped
        this.waiting = true;
        try {
          sink.onDrain(() => {
            this.waiting = false;
            this.pump(stream);
          });
        } catch (error) {
          stream.sinkFailed(error);
        }
        return;
      }
    }
    if (stream.backlog === this) stream.backlogDone();
  }

  private nextBatch(): Uint8Array {
    const parts: Uint8Array[] = [];
    let size = 0;
    while (this.head < this.items.length && size < BATCH_BYTES) {
      const item = this.items[this.head] as Item;
      const live = item instanceof Uint8Array;
      const bytes = live ? item : encodeMessage(item);
      const shared = bytes.byteLength >= SHARED_FROM;
      if (shared && parts.length > 0) break;
      this.items[this.head++] = undefined; // let the socket's copy be the only one
      if (live) this.liveBytes -= bytes.byteLength;
      parts.push(bytes);
      size += bytes.byteLength;
      if (shared) break;
    }
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts, size);
  }
}

/** One buffer holding `chunks` back to back. */
export function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
