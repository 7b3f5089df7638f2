/**
 * The SSE ids this transport writes, `<stream sequence>-<tag>`, and the positions it gives the
 * broker.
 *
 * The sequence alone would not do: a stream created again (a server restarted without
 * persistence, the stream deleted) numbers its messages from 1 again, and an old id would resume
 * after a stranger's message. The tag is a random word stored with the message, so replay checks
 * that the message at the sequence is the one the id was written for.
 */
import { randomBytes } from 'node:crypto';

/** A parsed id: the stream sequence and the tag stored with that message. */
export interface EventId {
  readonly seq: number;
  readonly tag: string;
}

const SHAPE = /^(\d{1,16})-([0-9a-z]{8})$/;

/** Eight random lowercase letters and digits (about 41 bits). */
export function newTag(): string {
  const bytes = randomBytes(8);
  let tag = '';
  for (const byte of bytes) tag += (byte % 36).toString(36);
  return tag;
}

/** Parses an id this transport issued, or `undefined` for any other string. */
export function parseEventId(id: string): EventId | undefined {
  const match = SHAPE.exec(id);
  if (!match) return undefined;
  const seq = Number(match[1]);
  return Number.isSafeInteger(seq) && seq > 0 ? { seq, tag: match[2] as string } : undefined;
}

/** True when `id` has the shape of the ids this transport issues (publisher ids of it are refused). */
export function looksLikeEventId(id: string): boolean {
  return SHAPE.test(id);
}

/** The SSE id of the message at `seq` carrying `tag`. */
export function formatEventId(seq: number, tag: string): string {
  return `${seq}-${tag}`;
}

/**
 * The broker-facing position of the message at `seq` (see `TransportMessage.position` in
 * `@ssekit/core`): the read loop's generation (raised each time it finds the stream replaced, so
 * positions keep growing while sequences start over) and the sequence, both zero-padded, so
 * positions compare with `<` as strings.
 */
export function positionOf(generation: number, seq: number): string {
  return `${String(generation).padStart(10, '0')}-${String(seq).padStart(16, '0')}`;
}
