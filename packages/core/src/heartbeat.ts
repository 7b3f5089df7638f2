/**
 * One timer for every stream of a broker: a comment on streams that carried nothing since the
 * last round (proxies and browsers drop silent streams), and the dead-peer sweep.
 */
import type { AnyStream } from './stream.js';

const HEARTBEAT = new TextEncoder().encode(':\n');

/** Counters the sweep updates. */
export interface HeartbeatCounters {
  unresponsiveCloses: number;
}

/**
 * Starts the rounds; returns the function that stops them. With `closeUnresponsive`, a stream
 * whose sink reports that its peer stopped acknowledging (the previous round's heartbeat or
 * events are what a vanished host leaves unacknowledged) is dropped.
 */
export function startHeartbeat(
  interval: number,
  streams: Iterable<AnyStream>,
  closeUnresponsive: boolean,
  counters: HeartbeatCounters,
): () => void {
  if (interval <= 0) return () => {};
  const timer = setInterval(() => {
    for (const stream of streams) {
      if (closeUnresponsive && stream.sink.unresponsive?.()) {
        counters.unresponsiveCloses++;
        stream.end('unresponsive');
        continue;
      }
      // A replay being written is traffic enough, and nothing may jump its queue.
      if (!stream.active && !stream.backlog) stream.queue(HEARTBEAT);
      stream.active = false;
    }
  }, interval);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** The first bytes of every stream (see `OPENING` in the broker). */
export const EMPTY_COMMENT = HEARTBEAT;
