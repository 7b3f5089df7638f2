/**
 * One timer for every stream of a broker: a comment on streams that carried nothing since the
 * last round (proxies and browsers drop silent streams), and the dead-peer sweep.
 */
import { channels as diagnostics } from './diagnostics.js';
import type { AnyStream } from './stream.js';

const HEARTBEAT = new TextEncoder().encode(':\n');

/** Counters the sweep updates. */
export interface HeartbeatCounters {
  unresponsiveCloses: number;
}

/**
 * Starts the rounds; returns the function that stops them. The timer ticks every half interval
 * and a stream gets a heartbeat once two ticks passed without a write (a heartbeat is a write
 * too), so the silence on a stream never lasts much more than one interval, however its last
 * event fell between ticks. On every tick, with `closeUnresponsive`, a stream whose sink reports
 * that its peer stopped acknowledging (the last heartbeat or events are what a vanished host
 * leaves unacknowledged) is dropped. Sinks answer that from what they already know (the Node sink
 * from a table it refreshes in the background), so a round costs a lookup per stream.
 */
export function startHeartbeat(
  interval: number,
  streams: Iterable<AnyStream>,
  closeUnresponsive: boolean,
  counters: HeartbeatCounters,
  afterRound?: () => void,
): () => void {
  if (interval <= 0) return () => {};
  const timer = setInterval(() => {
    let visited = 0;
    let heartbeats = 0;
    let unresponsive = 0;
    for (const stream of streams) {
      visited++;
      if (closeUnresponsive && stream.peerUnresponsive()) {
        counters.unresponsiveCloses++;
        unresponsive++;
        stream.end('unresponsive');
        continue;
      }
      // A replay being written is traffic enough, and nothing may jump its queue.
      if (++stream.idleTicks >= 2 && !stream.backlog) {
        stream.queue(HEARTBEAT);
        heartbeats++;
      }
    }
    if (diagnostics.heartbeatSweep.hasSubscribers) diagnostics.heartbeatSweep.publish({ streams: visited, heartbeats, unresponsive });
    afterRound?.();
  }, interval / 2);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** The first bytes of every stream (see `OPENING` in the broker). */
export const EMPTY_COMMENT = HEARTBEAT;
