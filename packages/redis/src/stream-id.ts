/**
 * Redis Stream entry ids (`<ms>-<seq>`, two unsigned 64-bit integers) as the SSE ids this
 * transport writes, and their order.
 */

/** A parsed entry id. */
export interface StreamId {
  readonly ms: bigint;
  readonly seq: bigint;
}

const UINT64_MAX = (1n << 64n) - 1n;
const SHAPE = /^(\d{1,20})-(\d{1,20})$/;

/**
 * Parses an id in the full `<ms>-<seq>` form, or `undefined` for anything else (Redis would also
 * take `<ms>` alone, but an SSE id this transport wrote always has both parts).
 */
export function parseStreamId(id: string): StreamId | undefined {
  const match = SHAPE.exec(id);
  if (!match) return undefined;
  const ms = BigInt(match[1] as string);
  const seq = BigInt(match[2] as string);
  return ms > UINT64_MAX || seq > UINT64_MAX ? undefined : { ms, seq };
}

/**
 * True when `id` has the shape of an entry id. Publisher-given ids of this shape are refused:
 * on replay they could not be told apart from the stream's own.
 */
export function looksLikeStreamId(id: string): boolean {
  return SHAPE.test(id);
}

/** Negative, zero or positive as `a` sorts before, with, or after `b`. */
export function compareStreamIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/** The `<ms>-<seq>` text of a parsed id. */
export function formatStreamId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/**
 * The transport position of an entry (see `TransportMessage.position` in `@ssekit/core`): both
 * parts zero-padded to 20 digits (the width of 2^64 - 1), so positions of any entries compare with
 * `<` as strings exactly as the entries are ordered in the stream.
 */
export function positionOf(id: StreamId | string): string | undefined {
  const parsed = typeof id === 'string' ? parseStreamId(id) : id;
  if (!parsed) return undefined;
  return `${parsed.ms.toString().padStart(20, '0')}-${parsed.seq.toString().padStart(20, '0')}`;
}
