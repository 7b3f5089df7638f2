/**
 * Whether the stream the read loop is about to read on from still holds every entry after its
 * cursor: the judgement that turns "Redis restarted without persistence" or "the loop fell
 * behind retention" into a gap notice instead of a silent skip.
 *
 * The loop keeps a count of the entries ever added up to its cursor. Entries are added in id
 * order, so in a consistent {@link Snapshot}, `entries-added - count` entries were added after
 * the cursor; fewer retained after it means some were trimmed or deleted before the loop read
 * them, more means the stream is not the one the count was taken on. Trimming leaves
 * `max-deleted-entry-id` alone (Redis 7.0), so counting is what finds it.
 */
import type { Snapshot } from './snapshot.js';
import { compareStreamIds, parseStreamId, type StreamId } from './stream-id.js';

/** What the loop knew before the snapshot. */
export interface ReadState {
  /** The id of the last entry read (or the starting point). */
  readonly cursor: string;
  /** Entries ever added up to and including the cursor; `undefined` when unknown (Redis < 7). */
  readonly count: number | undefined;
  /** The Redis `run_id` the loop last checked. */
  readonly runId: string | undefined;
  /** `last-generated-id` and `entries-added` of the previous snapshot; `undefined`: no stream. */
  readonly lastGeneratedId: string | undefined;
  readonly entriesAdded: number | undefined;
  /** The newest id this node's own publishes got back. */
  readonly ownLast: StreamId | undefined;
}

/** The judgement of one snapshot. */
export interface Verdict {
  /** Set when history after the cursor was lost: what was seen, for logs. */
  readonly lost: string | undefined;
  /** The count for the cursor to carry on with (corrected after a loss). */
  readonly count: number | undefined;
}

const ZERO: StreamId = { ms: 0n, seq: 0n };

/** Judges `snapshot` (taken after `state.cursor`, at most `readCount` entries). */
export function judge(state: ReadState, snapshot: Snapshot, readCount: number): Verdict {
  const cursor = parseStreamId(state.cursor) ?? ZERO;
  const changed =
    snapshot.runId !== undefined && state.runId !== undefined && snapshot.runId !== state.runId
      ? `Redis was restarted or failed over (run_id ${state.runId} is now ${snapshot.runId})`
      : undefined;
  const stream = snapshot.stream;
  if (!stream) {
    // No key: fine for an app that never published, a loss if there was a stream before (or
    // may have been one on the previous instance since the loop last looked).
    if (state.lastGeneratedId === undefined && !changed) return { lost: undefined, count: 0 };
    return { lost: describe(changed, 'the stream does not exist any more', state.cursor), count: 0 };
  }
  const last = parseStreamId(stream.lastGeneratedId) ?? ZERO;
  const first = stream.firstEntryId === undefined ? undefined : parseStreamId(stream.firstEntryId);
  const added = stream.entriesAdded;
  // Entries retained after the cursor: all of them when the read was not cut by COUNT, or the
  // whole stream when even the oldest retained entry is after the cursor.
  const retainedAfter =
    snapshot.entries.length < readCount
      ? snapshot.entries.length
      : first !== undefined && compareStreamIds(first, cursor) > 0
        ? stream.length
        : undefined;
  const expected = state.count !== undefined && added !== undefined ? added - state.count : undefined;
  const corrected = added !== undefined && retainedAfter !== undefined ? added - retainedAfter : undefined;

  const previous = state.lastGeneratedId === undefined ? undefined : parseStreamId(state.lastGeneratedId);
  const deleted = stream.maxDeletedEntryId === undefined ? undefined : parseStreamId(stream.maxDeletedEntryId);
  let replaced: string | undefined;
  if (previous !== undefined && compareStreamIds(last, previous) < 0) {
    replaced = `its last-generated-id went back from ${state.lastGeneratedId} to ${stream.lastGeneratedId}`;
  } else if (state.entriesAdded !== undefined && added !== undefined && added < state.entriesAdded) {
    replaced = `its entries-added went back from ${state.entriesAdded} to ${added}`;
  } else if (expected !== undefined && retainedAfter !== undefined && retainedAfter > expected) {
    replaced = `it holds ${retainedAfter} entries after the cursor, but only ${expected} were added since`;
  } else if (changed && compareStreamIds(cursor, ZERO) === 0) {
    replaced = 'this node had read no entry to check the new instance against';
  } else if (
    changed &&
    !snapshot.cursorPresent &&
    first !== undefined &&
    compareStreamIds(first, cursor) <= 0 &&
    (deleted === undefined || compareStreamIds(deleted, cursor) < 0)
  ) {
    replaced = 'the entry at the cursor is gone, though older ones are retained';
  } else if (changed && state.ownLast !== undefined && compareStreamIds(state.ownLast, last) > 0) {
    replaced = `an event this node published (${state.ownLast.ms}-${state.ownLast.seq}) is not in it`;
  }
  if (replaced) return { lost: describe(changed, `the stream lost history: ${replaced}`, state.cursor), count: corrected };
  if (expected !== undefined && retainedAfter !== undefined && retainedAfter < expected) {
    const trimmed = `${expected - retainedAfter} entries after the cursor were trimmed or deleted before this node read them (the read loop fell behind retention)`;
    return { lost: describe(changed, trimmed, state.cursor), count: corrected };
  }
  return { lost: undefined, count: state.count ?? corrected };
}

function describe(changed: string | undefined, what: string, cursor: string): string {
  return `${changed ? `${changed}; ` : ''}${what} (read loop cursor ${cursor}).`;
}
