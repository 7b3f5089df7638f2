/**
 * Coalesces what is due for each socket in one tick into one write.
 *
 * Broker deliveries carry a batch index (their order in the tick). A stream that received an
 * unbroken run of the tick's deliveries gets the same concatenated buffer as every other stream
 * with that run, so a burst of N events costs one concatenation, not one per socket.
 */
import { concat } from './backlog.js';
import { type AnyStream, NOTHING_PENDING } from './stream.js';

export class WriteScheduler {
  private dirty: AnyStream[] = [];
  private scheduled = false;
  private batchCount = 0;
  /** Joined runs of this tick's deliveries, by range, while the tick is flushed. */
  private shared = new Map<number, Uint8Array>();
  private readonly flushBound = () => this.flushAll();

  /** Index the next broker delivery of this tick will carry. */
  nextBatchIndex(): number {
    return this.batchCount++;
  }

  enqueue(stream: AnyStream, chunk: Uint8Array, batchIndex: number): void {
    if (stream.pending.length === 0) {
      this.dirty.push(stream);
      stream.firstBatch = batchIndex;
      stream.lastBatch = batchIndex;
      stream.pending = [];
    } else if (batchIndex === -1 || stream.lastBatch === -1 || batchIndex !== stream.lastBatch + 1) {
      stream.firstBatch = -1; // not an unbroken run of the tick's batch: concatenate alone
      stream.lastBatch = -1;
    } else {
      stream.lastBatch = batchIndex;
    }
    stream.pending.push(chunk);
    stream.pendingBytes += chunk.byteLength;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushBound);
    }
  }

  /** Writes what is queued for one stream now (it stays in the tick's list, with nothing left). */
  flush(stream: AnyStream): void {
    const pending = stream.pending;
    if (pending.length === 0 || stream.closed) return;
    const chunk = pending.length === 1 ? (pending[0] as Uint8Array) : this.joined(stream);
    stream.pending = NOTHING_PENDING;
    stream.pendingBytes = 0;
    stream.write(chunk);
  }

  private flushAll(): void {
    const dirty = this.dirty;
    this.dirty = [];
    this.scheduled = false;
    for (const stream of dirty) this.flush(stream);
    this.shared.clear();
    this.batchCount = 0;
  }

  private joined(stream: AnyStream): Uint8Array {
    const { firstBatch, lastBatch } = stream;
    if (firstBatch === -1 || lastBatch - firstBatch + 1 !== stream.pending.length) {
      return concat(stream.pending, stream.pendingBytes);
    }
    const key = firstBatch * 2 ** 26 + lastBatch;
    let chunk = this.shared.get(key);
    if (!chunk) {
      chunk = concat(stream.pending, stream.pendingBytes);
      this.shared.set(key, chunk);
    }
    return chunk;
  }
}
