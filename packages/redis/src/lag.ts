/**
 * How far the read loop is behind the stream, from what it knows: the newest entry of its last
 * snapshot against its cursor. No command is sent; `stats()` may be called on every scrape.
 */
import type { ReadState } from './continuity.js';
import { compareStreamIds, parseStreamId } from './stream-id.js';

/** Entries and milliseconds (of the entries' ids) between the cursor and the newest entry seen. */
export function lagOf(state: ReadState | undefined): { lagEntries: number; lagMs: number } {
  if (state?.lastGeneratedId === undefined) return { lagEntries: 0, lagMs: 0 };
  const cursor = parseStreamId(state.cursor);
  const newest = parseStreamId(state.lastGeneratedId);
  // At or past the newest entry (also after a restart that lost history): caught up.
  if (!cursor || !newest || compareStreamIds(newest, cursor) <= 0) return { lagEntries: 0, lagMs: 0 };
  // Redis < 7 keeps no count: behind by at least one.
  const counted = state.count !== undefined && state.entriesAdded !== undefined ? state.entriesAdded - state.count : 1;
  return { lagEntries: Math.max(1, counted), lagMs: Number(newest.ms - cursor.ms) };
}
