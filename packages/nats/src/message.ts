/**
 * How one published event is laid out in a JetStream message, and back.
 *
 * The payload is the frame. Headers: `Ssekit-Channels` the channels as a JSON array (channel
 * names may hold any character, JSON escapes the line breaks a header cannot carry),
 * `Ssekit-Tag` the id's tag (see event-id.ts), `Ssekit-Id` the publisher's own id as a JSON
 * string when there was one. Such events go on a subject of their own id, so replay finds the
 * latest message with an id by subject, with no index beside the stream.
 */

import { type MsgHdrs, headers as natsHeaders } from '@nats-io/transport-node';
import type { TransportMessage } from '@ssekit/core';
import { formatEventId, positionOf } from './event-id.js';

const CHANNELS = 'Ssekit-Channels';
const TAG = 'Ssekit-Tag';
const ID = 'Ssekit-Id';

const decoder = new TextDecoder();

/** The subject an event is published on. */
export function subjectFor(prefix: string, customId: string | undefined): string {
  if (customId === undefined || customId === '') return `${prefix}.e`;
  return `${prefix}.i.${Buffer.from(customId, 'utf8').toString('base64url')}`;
}

/** The headers of a published event. */
export function headersFor(channels: readonly string[], tag: string, customId: string | undefined): MsgHdrs {
  const headers = natsHeaders();
  headers.set(CHANNELS, JSON.stringify(channels));
  headers.set(TAG, tag);
  if (customId !== undefined) headers.set(ID, JSON.stringify(customId));
  return headers;
}

/** A stored message as read back: its sequence, headers and payload. */
export interface RawMessage {
  readonly seq: number;
  readonly headers: MsgHdrs | undefined;
  readonly data: Uint8Array;
}

/** A decoded event: the tag, and the message the broker gets. */
export interface Decoded {
  readonly tag: string;
  readonly message: TransportMessage;
}

/** The tag stored with a message, if it carries one. */
export function tagOf(headers: MsgHdrs | undefined): string | undefined {
  const tag = headers?.get(TAG);
  return tag ? tag : undefined;
}

/**
 * Decodes a stored message, with `generation` for its position. Returns `undefined` for messages
 * this transport did not write (someone else publishing on the stream's subjects): they are
 * skipped, not delivered.
 */
export function decodeMessage(raw: RawMessage, generation: number): Decoded | undefined {
  const tag = tagOf(raw.headers);
  const channelsJson = raw.headers?.get(CHANNELS);
  if (!tag || !channelsJson) return undefined;
  let channels: unknown;
  let customId: unknown;
  try {
    channels = JSON.parse(channelsJson);
    const idJson = raw.headers?.get(ID);
    customId = idJson ? JSON.parse(idJson) : undefined;
  } catch {
    return undefined;
  }
  if (!Array.isArray(channels) || !channels.every((channel) => typeof channel === 'string')) return undefined;
  const id = typeof customId === 'string' ? customId : formatEventId(raw.seq, tag);
  return {
    tag,
    message: { id, channels: channels as string[], frame: decoder.decode(raw.data), position: positionOf(generation, raw.seq) },
  };
}
