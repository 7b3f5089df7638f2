/**
 * How one published event is laid out in a stream entry, and back.
 *
 * Fields: `c` the channels as a JSON array (channel names may hold any character), `f` the
 * frame, `i` the publisher's own id when there was one. Short names, because Redis stores the
 * names again for every entry whose fields differ from the first entry of its radix-tree node
 * (entries with and without a custom id alternate in some apps).
 */
import type { TransportMessage } from '@ssekit/core';
import { positionOf } from './stream-id.js';

/** A stream entry as Redis returns it: `[id, [field, value, field, value, …]]`. */
export type RawEntry = [id: string, fields: string[]];

/** A decoded entry: the message the broker gets (with its `position`), and the entry id it came from. */
export interface Entry {
  /** The stream entry id (the cursor), whatever id the message carries. */
  readonly entryId: string;
  readonly message: TransportMessage;
}

/** The `XADD` field/value pairs of an event, custom id last. */
export function entryFields(channels: readonly string[], frame: string, customId: string | undefined): string[] {
  const fields = ['c', JSON.stringify(channels), 'f', frame];
  if (customId !== undefined) fields.push('i', customId);
  return fields;
}

/**
 * Decodes one raw entry. Returns `undefined` for entries this transport did not write (someone
 * else appending to the same key), so a foreign entry is skipped rather than breaking the read.
 */
export function decodeEntry(raw: unknown): Entry | undefined {
  if (!Array.isArray(raw) || typeof raw[0] !== 'string') return undefined;
  const entryId = raw[0];
  const fields: unknown = raw[1];
  if (!Array.isArray(fields)) return undefined;
  let channelsJson: unknown;
  let frame: unknown;
  let customId: unknown;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name: unknown = fields[i];
    if (name === 'c') channelsJson = fields[i + 1];
    else if (name === 'f') frame = fields[i + 1];
    else if (name === 'i') customId = fields[i + 1];
  }
  if (typeof channelsJson !== 'string' || typeof frame !== 'string') return undefined;
  let channels: unknown;
  try {
    channels = JSON.parse(channelsJson);
  } catch {
    return undefined;
  }
  if (!Array.isArray(channels) || !channels.every((channel) => typeof channel === 'string')) return undefined;
  const id = typeof customId === 'string' ? customId : entryId;
  // The position is the entry's, whatever id the publisher gave: the seam compares positions.
  const position = positionOf(entryId);
  const message: TransportMessage =
    position === undefined ? { id, channels: channels as string[], frame } : { id, channels: channels as string[], frame, position };
  return { entryId, message };
}

/** The entries of an `XRANGE`/`XREVRANGE` reply (an array of raw entries). */
export function rangeEntries(reply: unknown): unknown[] {
  return Array.isArray(reply) ? reply : [];
}
