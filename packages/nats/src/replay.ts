import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { ReplayResult, TransportMessage } from '@ssekit/core';
import { openReader } from './consumer.js';
import { parseEventId, positionOf } from './event-id.js';
import { decodeMessage, subjectFor, tagOf } from './message.js';
import type { ResolvedOptions } from './options.js';
import { getMessage, streamInfo } from './stored.js';

/** A replay, and the newest sequence it accounts for (`through` is its position). */
export interface Replayed {
  readonly result: ReplayResult;
  /** The read loop should have delivered up to here before the replay is handed over. */
  readonly upTo: number | undefined;
}

const UNKNOWN: Replayed = { result: { messages: [], gap: 'unknown' }, upTo: undefined };
const EXPIRED: Replayed = { result: { messages: [], gap: 'expired' }, upTo: undefined };

/**
 * The retained messages after `lastEventId` on `channels`, oldest first, read up to the
 * stream's last sequence when the replay began, with `through` at that sequence (in the read
 * loop's `generation`).
 *
 * An id of this transport (`<seq>-<tag>`) is known when the message at its sequence carries its
 * tag; older than the first retained message it is expired; anything else is unknown. A
 * publisher-given id resolves to the latest message on its subject. The messages after it are read
 * with an ephemeral consumer; a jump in sequence means the limits removed some while the replay
 * read, and the result is marked expired.
 */
export async function readReplay(
  jsm: JetStreamManager,
  js: JetStreamClient,
  options: ResolvedOptions,
  generation: number,
  channels: readonly string[],
  lastEventId: string,
): Promise<Replayed> {
  const { stream } = options;
  // The id first, the stream's end after: a message with the id is then never past that end.
  let from: number;
  const own = parseEventId(lastEventId);
  if (own) {
    const stored = await getMessage(jsm, stream, { seq: own.seq });
    if (stored && tagOf(stored.header) !== own.tag) return UNKNOWN; // another stream's message
    if (!stored) {
      const info = await streamInfo(jsm, stream);
      // Older than the oldest retained message: trimmed. Otherwise never issued by this stream.
      return info && own.seq < info.state.first_seq && own.seq <= info.state.last_seq ? EXPIRED : UNKNOWN;
    }
    from = own.seq;
  } else {
    if (lastEventId === '') return UNKNOWN;
    const stored = await getMessage(jsm, stream, { last_by_subj: subjectFor(options.subject, lastEventId) });
    if (!stored) return UNKNOWN;
    from = stored.seq;
  }
  const info = await streamInfo(jsm, stream);
  if (!info) return UNKNOWN; // deleted meanwhile
  const last = Math.max(info.state.last_seq, from);
  const through = positionOf(generation, last);
  if (from >= last) return { result: { messages: [], through }, upTo: last };

  const wanted = new Set(channels);
  const messages: TransportMessage[] = [];
  let gap: ReplayResult['gap'];
  let next = from + 1;
  const reader = await openReader(jsm, js, options, next);
  try {
    while (next <= last) {
      const batch = await reader.consumer.fetch({
        max_messages: Math.min(options.readCount, last - next + 1),
        expires: Math.max(1_000, options.timeout),
      });
      let got = 0;
      for await (const message of batch) {
        got++;
        const seq = message.seq;
        if (seq < next) continue;
        if (seq > next) gap = 'expired'; // removed by the limits while the replay read
        next = seq + 1;
        if (seq > last) break;
        const decoded = decodeMessage({ seq, headers: message.headers, data: message.data }, generation);
        if (decoded?.message.channels.some((channel) => wanted.has(channel))) messages.push(decoded.message);
        if (message.info.pending === 0 && seq < last) {
          // Nothing after it: the rest up to `last` was removed meanwhile.
          gap = 'expired';
          next = last + 1;
        }
        if (next > last) break;
      }
      if (got === 0) {
        // Nothing came: whatever is left up to `last` is gone (or NATS stalled; say so rather than hang).
        gap = 'expired';
        break;
      }
    }
  } finally {
    await reader.close();
  }
  return { result: gap ? { messages, gap, through } : { messages, through }, upTo: last };
}
