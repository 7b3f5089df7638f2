/**
 * A reconnecting client's catch-up: the events after its `Last-Event-ID` from the transport's
 * history, a gap event when history cannot serve it, and the seam with live events that arrived
 * meanwhile. Written through the stream's {@link Backlog}, as its socket drains.
 */
import { Backlog } from './backlog.js';
import { channels as diagnostics } from './diagnostics.js';
import { encodeGap } from './gap.js';
import type { AnyStream } from './stream.js';
import type { ReplayResult, Transport } from './transport.js';

/** Counters replay updates. */
export interface ReplayCounters {
  replayed: number;
  gaps: number;
}

/**
 * Puts the stream in backlog mode. Call before it joins its channels, so live events that arrive
 * while the transport replays queue behind the replay instead of jumping ahead of it.
 */
export function holdForReplay(stream: AnyStream, maxBufferedBytes: number): void {
  stream.backlog = new Backlog(maxBufferedBytes);
}

/**
 * Asks the transport for what `lastEventId` missed and starts writing it. `lastEventId` is
 * `null` for an id too long to be one of ours (a gap, `unknown`).
 */
export async function replay(stream: AnyStream, transport: Transport, lastEventId: string | null, counters: ReplayCounters): Promise<void> {
  const backlog = stream.backlog;
  if (!backlog) return;
  let result: ReplayResult;
  try {
    result = lastEventId === null ? { messages: [], gap: 'unknown' } : await transport.replay([...stream.channels], lastEventId);
  } catch {
    // History is out of reach (a transport outage). End the stream rather than skip ahead: the
    // client reconnects with the same Last-Event-ID and loses nothing.
    if (stream.backlog === backlog) stream.backlog = undefined;
    stream.end('server');
    return;
  }
  if (stream.backlog !== backlog) return; // the client left meanwhile
  counters.replayed += result.messages.length;
  let notice: Uint8Array | undefined;
  if (result.gap) {
    counters.gaps++;
    notice = encodeGap(lastEventId, result.gap);
    if (diagnostics.gap.hasSubscribers) diagnostics.gap.publish({ connection: stream, route: stream.route, reason: result.gap });
  }
  if (diagnostics.replay.hasSubscribers) {
    diagnostics.replay.publish({ connection: stream, route: stream.route, events: result.messages.length, gap: result.gap });
  }
  // The stream's own copy of per-lane floors: the transport may keep its array.
  stream.floor = Array.isArray(result.through) ? [...result.through] : result.through;
  backlog.start(stream, result.messages, notice, result.through);
}
