/**
 * Coalesces what is due for each socket in one tick into one write (two for a broker burst).
 *
 * A broker delivery that is a stream's first write of the tick is written at once, during the
 * fan-out, when nothing can be reordered or dropped with it (nothing is queued for the stream and
 * its sink holds nothing back): one pass over the subscribers instead of two, the way a
 * hand-written server writes. Later deliveries of the same tick, and every delivery of a batch the
 * transport marks as one (`more`), are written in a microtask, as soon as the publishing code
 * yields: a burst of N events costs a stream two writes (one for a batch), not N. A stream's
 * own sends (`send`, `comment`, `pipe`) wait until the tick's promise jobs have all run
 * (`process.nextTick` queued from them runs once the microtask queue is empty), the way Node's
 * own `res.write` corks until `nextTick`: a producer that yields one item per promise job (an
 * async generator of LLM tokens piped into the stream) gets its items joined into one write
 * instead of one system call each. `send()` reports the stream as not writable while
 * `PENDING_LIMIT` bytes or more wait for that write, and `drained()` resolves once it is made (and
 * the socket has room), so such a producer, piped or awaiting `drained()`, waits for the write
 * instead of queueing without bound. What one tick sends is still one write.
 *
 * Broker deliveries carry a batch index (their order in the tick). A stream that received an
 * unbroken run of the tick's deliveries gets the same concatenated buffer as every other stream
 * with that run, so a burst of N events costs one concatenation, not one per socket.
 */
import type { AnyStream } from './stream.js';

export class WriteScheduler {
  private dirty: AnyStream[] = [];
  /** A flush is queued as a microtask (broker deliveries are due). */
  private soon = false;
  /** A flush is queued with `nextTick` (only streams' own sends are due). */
  private later = false;
  private batchCount = 0;
  /** Advanced by each flush of the tick's queue; a stream written at once holds it (`writeTick`). */
  private tick = 1;
  /** Joined runs of this tick's deliveries, by range, while the tick is flushed. */
  private shared = new Map<number, Uint8Array>();
  private readonly flushSoon = () => {
    this.soon = false;
    this.flushAll();
  };
  private readonly flushLater = () => {
    this.later = false;
    this.flushAll();
  };
  /** `process.nextTick` where there is one (Node, Bun, Deno), else a microtask. */
  private readonly nextTick: (callback: () => void) => void =
    typeof globalThis.process?.nextTick === 'function' ? (callback) => process.nextTick(callback) : queueMicrotask;

  /** Index the next broker delivery of this tick will carry. */
  nextBatchIndex(): number {
    return this.batchCount++;
  }

  /**
   * A broker delivery for `stream`: written now when it is the stream's first of this tick and the
   * stream can take it at once (see the file comment), queued otherwise. `more`: the transport
   * delivers another message in this same turn, so queue it to join the rest.
   */
  deliver(stream: AnyStream, chunk: Uint8Array, batchIndex: number, more: boolean): void {
    if (!more && stream.pendingFirst === undefined && stream.writeTick !== this.tick && stream.writeAtOnce(chunk)) {
      stream.writeTick = this.tick;
      if (!this.soon) {
        // The tick ends with the microtask: later deliveries of this tick queue behind this write.
        this.soon = true;
        queueMicrotask(this.flushSoon);
      }
      // No `written()`: a stream that can take a write at once was writable already, and a
      // writable stream has no drain waiters (they are woken when it becomes writable).
      return;
    }
    this.enqueue(stream, chunk, batchIndex);
  }

  enqueue(stream: AnyStream, chunk: Uint8Array, batchIndex: number): void {
    if (stream.pendingFirst === undefined) {
      this.dirty.push(stream);
      stream.firstBatch = batchIndex;
      stream.lastBatch = batchIndex;
      stream.pendingFirst = chunk;
    } else {
      if (batchIndex === -1 || stream.lastBatch === -1 || batchIndex !== stream.lastBatch + 1) {
        stream.firstBatch = -1; // not an unbroken run of the tick's batch: concatenate alone
        stream.lastBatch = -1;
      } else {
        stream.lastBatch = batchIndex;
      }
      if (stream.pendingMore) stream.pendingMore.push(chunk);
      else stream.pendingMore = [chunk];
    }
    stream.pendingBytes += chunk.byteLength;
    if (batchIndex !== -1) {
      if (!this.soon) {
        this.soon = true;
        queueMicrotask(this.flushSoon);
      }
    } else if (!this.later && !this.soon) {
      this.later = true;
      this.nextTick(this.flushLater);
    }
  }

  /** Writes what is queued for one stream now (it stays in the tick's list, with nothing left). */
  flush(stream: AnyStream): void {
    const first = stream.pendingFirst;
    if (first === undefined || stream.closed) return;
    const chunk = stream.pendingMore === undefined ? first : this.joined(stream, first, stream.pendingMore);
    stream.pendingFirst = undefined;
    stream.pendingMore = undefined;
    stream.pendingBytes = 0;
    stream.write(chunk);
    stream.written();
  }

  private flushAll(): void {
    this.tick++;
    const dirty = this.dirty;
    this.dirty = [];
    for (const stream of dirty) this.flush(stream);
    this.shared.clear();
    this.batchCount = 0;
  }

  private joined(stream: AnyStream, first: Uint8Array, more: Uint8Array[]): Uint8Array {
    const { firstBatch, lastBatch } = stream;
    if (firstBatch === -1 || lastBatch - firstBatch !== more.length) return join(first, more, stream.pendingBytes);
    const key = firstBatch * 2 ** 26 + lastBatch;
    let chunk = this.shared.get(key);
    if (!chunk) {
      chunk = join(first, more, stream.pendingBytes);
      this.shared.set(key, chunk);
    }
    return chunk;
  }
}

/** `first` and then `more`, `length` bytes in all, as one chunk. */
function join(first: Uint8Array, more: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(first, 0);
  let offset = first.byteLength;
  for (const chunk of more) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
