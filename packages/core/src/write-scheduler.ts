import { type Connection, NOTHING_PENDING } from './connection.js';
import type { EventMap } from './types.js';

type AnyConnection = Connection<EventMap, unknown>;

/** What happened to one flushed chunk. */
export interface FlushOutcome {
  written: number;
  slowClosed: boolean;
}

/**
 * Coalesces what is due for each socket in one tick into one write.
 *
 * Broker deliveries carry a batch index (their order in the tick). A connection that received an
 * unbroken run of the tick's deliveries gets the same concatenated buffer as every other
 * connection with that run, so a burst of N events costs one concatenation, not one per socket.
 * @internal
 */
export class WriteScheduler {
  private dirty: AnyConnection[] = [];
  private scheduled = false;
  private batchCount = 0;
  private readonly flushBound = () => this.flush();

  constructor(
    private readonly maxBufferedBytes: number,
    private readonly onFlushed: (connection: AnyConnection, outcome: FlushOutcome) => void,
  ) {}

  /** Index the next broker delivery of this tick will carry. */
  nextBatchIndex(): number {
    return this.batchCount++;
  }

  enqueue(connection: AnyConnection, chunk: Uint8Array, batchIndex: number): void {
    if (connection.pending.length === 0) {
      this.dirty.push(connection);
      connection.firstBatch = batchIndex;
      connection.lastBatch = batchIndex;
      connection.pending = [];
    } else if (batchIndex === -1 || connection.lastBatch === -1 || batchIndex !== connection.lastBatch + 1) {
      connection.firstBatch = -1; // not an unbroken run of the tick's batch: concatenate alone
      connection.lastBatch = -1;
    } else {
      connection.lastBatch = batchIndex;
    }
    connection.pending.push(chunk);
    connection.pendingBytes += chunk.byteLength;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(this.flushBound);
  }

  private flush(): void {
    const dirty = this.dirty;
    const shared = new Map<number, Uint8Array>();
    this.dirty = [];
    this.scheduled = false;
    for (const connection of dirty) {
      const pending = connection.pending;
      if (pending.length === 0 || connection.closed) continue;
      const chunk = pending.length === 1 ? (pending[0] as Uint8Array) : this.joined(connection, shared);
      connection.pending = NOTHING_PENDING;
      connection.pendingBytes = 0;
      const sink = connection.sink;
      // An empty socket always takes one chunk (a replay may be large); a backed-up one must
      // stay under the cap or the client is dropped and catches up from history on reconnect.
      if (sink.bufferedBytes > 0 && sink.bufferedBytes + chunk.byteLength > this.maxBufferedBytes) {
        connection.end('slow');
        this.onFlushed(connection, { written: 0, slowClosed: true });
        continue;
      }
      connection.active = true;
      if (!sink.write(chunk)) connection.markFull();
      this.onFlushed(connection, { written: chunk.byteLength, slowClosed: false });
    }
    this.batchCount = 0;
  }

  private joined(connection: AnyConnection, shared: Map<number, Uint8Array>): Uint8Array {
    const { firstBatch, lastBatch } = connection;
    if (firstBatch === -1 || lastBatch - firstBatch + 1 !== connection.pending.length) {
      return concat(connection.pending, connection.pendingBytes);
    }
    const key = firstBatch * 2 ** 26 + lastBatch;
    let chunk = shared.get(key);
    if (!chunk) {
      chunk = concat(connection.pending, connection.pendingBytes);
      shared.set(key, chunk);
    }
    return chunk;
  }
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
