/**
 * From the transport to the sockets: each delivered event is encoded once and queued for every
 * stream on its channels, once per stream; lost history becomes a gap event on the streams it hit.
 */
import { encodeMessage } from './backlog.js';
import type { Channels } from './channels.js';
import { channels as diagnostics } from './diagnostics.js';
import { atOrBeforeFloor } from './floor.js';
import { encodeGap } from './gap.js';
import type { AnyStream } from './stream.js';
import type { TransportGap, TransportListener, TransportMessage } from './transport.js';
import type { WriteScheduler } from './write-scheduler.js';

/** Counters fan-out updates. */
export interface FanOutCounters {
  delivered: number;
  gaps: number;
}

export function createFanOut(
  channels: Channels,
  scheduler: WriteScheduler,
  open: ReadonlySet<AnyStream>,
  counters: FanOutCounters,
): TransportListener {
  let deliveryStamp = 0;
  // A publish made while a fan-out runs (a close hook or a presence notice run by a stream it
  // dropped, with a transport that delivers synchronously) waits for that fan-out to finish: an
  // event handed to the streams left in it first would overtake the one being delivered, and
  // re-stamp them so that an event on several channels could reach a stream twice.
  let fanningOut = false;
  const later: Array<{ message: TransportMessage; more: boolean }> = [];

  const message = (message: TransportMessage, more = false) => {
    if (fanningOut) {
      later.push({ message, more });
      return;
    }
    fanningOut = true;
    // Even when a delivery throws (a bug: a sink's failure is its own stream's), what was
    // published meanwhile is delivered, in order; the first error is thrown after.
    let failure: { error: unknown } | undefined;
    try {
      deliver(message, more);
    } catch (error) {
      failure = { error };
    }
    for (let i = 0; i < later.length; i++) {
      const next = later[i] as { message: TransportMessage; more: boolean };
      try {
        deliver(next.message, next.more);
      } catch (error) {
        failure ??= { error };
      }
    }
    later.length = 0;
    fanningOut = false;
    if (failure) throw failure.error;
  };

  const deliver = (message: TransportMessage, more: boolean) => {
    let bytes: Uint8Array | undefined;
    let batchIndex = -1;
    let streams = 0;
    const stamp = ++deliveryStamp;
    const position = message.position;
    channels.forEach(message.channels, (stream) => {
      if (stream.stamp === stamp) return; // on several of the event's channels: once
      stream.stamp = stamp;
      const floor = stream.floor;
      if (floor !== undefined && position !== undefined) {
        if (typeof floor !== 'object') {
          // The transport is late with an event this stream's replay already had.
          if (position <= floor) return;
          stream.floor = undefined;
        } else if (atOrBeforeFloor(message, floor)) {
          // Per lane: a later event of one lane says nothing of the others, so the floors stay.
          return;
        }
      }
      if (!bytes) {
        bytes = encodeMessage(message);
        batchIndex = scheduler.nextBatchIndex();
      }
      stream.lastId = message.id;
      if (stream.backlog) stream.backlog.pushLive(stream, bytes, message);
      else scheduler.deliver(stream, bytes, batchIndex, more);
      counters.delivered++;
      streams++;
    });
    // One message per delivered event, not per socket: a count and the bytes it queued.
    if (diagnostics.deliver.hasSubscribers) {
      diagnostics.deliver.publish({ id: message.id, streams, bytes: bytes === undefined ? 0 : streams * bytes.byteLength });
    }
  };

  const gap = (notice: TransportGap) => {
    const hit = new Set<AnyStream>();
    if (notice.channels) channels.forEach(notice.channels, (stream) => hit.add(stream));
    for (const stream of notice.channels ? hit : open) {
      if (stream.closed) continue;
      // Positions may start over (a new Redis stream): the old floor means nothing now, in the
      // lost lane only when the transport says which.
      const floor = stream.floor;
      if (typeof floor === 'object' && notice.lane !== undefined) {
        const floors = [...floor];
        floors[notice.lane] = undefined;
        stream.floor = floors;
      } else {
        stream.floor = undefined;
      }
      stream.queue(encodeGap(stream.lastId ?? stream.lastEventId ?? null, 'lost'));
      counters.gaps++;
      if (diagnostics.gap.hasSubscribers) diagnostics.gap.publish({ connection: stream, route: stream.route, reason: 'lost' });
    }
  };

  return { message, gap };
}
