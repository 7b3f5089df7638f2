/**
 * Writes a stored resumable stream to one open stream: the events after the reader's last id,
 * then each new one as the producer stores it, paced by the socket (a batch at a time, the next
 * only once the socket drained), then the response ends after the final event.
 */
import { concat } from '../backlog.js';
import type { AnyStream } from '../stream.js';
import type { ResumableStore, StoredRead } from './store.js';

/** Bytes read from the store and written at a time. */
export const READ_BYTES = 64 * 1024;

/** Counters a reader updates. */
export interface ReaderCounters {
  delivered: number;
}

/**
 * Follows stream `id` from `first` (the read that admitted the reader) until the stream ends or
 * the reader leaves. Failures of the store end the reader's response (the client resumes).
 */
export async function follow(
  stream: AnyStream,
  store: ResumableStore,
  id: string,
  first: StoredRead,
  counters: ReaderCounters,
  report: (error: unknown) => void,
): Promise<void> {
  store.readers(id, 1);
  try {
    let batch: StoredRead | undefined = first;
    let after = first.last;
    for (;;) {
      if (stream.closed) return;
      if (batch === undefined) {
        stream.close(); // expired meanwhile: nothing more will come
        return;
      }
      if (batch.events.length > 0) {
        const events = batch.events;
        const chunk =
          events.length === 1
            ? (events[0] as Uint8Array)
            : concat(
                events,
                events.reduce((sum, event) => sum + event.byteLength, 0),
              );
        // Queued like the stream's own sends: what arrives in one tick goes out as one write.
        stream.queue(chunk);
        if (stream.closed) return; // dropped as slow: it resumes from its last id
        counters.delivered += events.length;
        after = batch.last;
        stream.lastId = String(after);
        if (!stream.writable) await stream.drained();
      } else if (batch.finished) {
        stream.close();
        return;
      } else {
        await store.wait(id, after, stream.signal);
      }
      if (stream.closed) return;
      batch = await store.read(id, after, READ_BYTES);
    }
  } catch (error) {
    report(error);
    stream.end('server');
  } finally {
    store.readers(id, -1);
  }
}
