import type { RedisClient } from './client.js';
import { rangeEntries } from './entry.js';
import type { ResolvedOptions } from './options.js';
import { runId, type StreamInfo, streamInfo, xreadEntries } from './replies.js';

/**
 * One consistent look at the stream from the read loop's cursor: `XINFO STREAM`, whether the
 * cursor's own entry is still there, and the next entries after it, read in one `MULTI`, so
 * nothing can be added or trimmed between the facts the loop checks and the entries it delivers.
 */
export interface Snapshot {
  /** `INFO server`'s `run_id`, when asked for (after every (re)connect). */
  readonly runId: string | undefined;
  /** `undefined` when the key does not exist. */
  readonly stream: StreamInfo | undefined;
  /** True when the entry at the cursor is retained. */
  readonly cursorPresent: boolean;
  /** Raw entries after the cursor, oldest first, at most `readCount`. */
  readonly entries: unknown[];
}

/**
 * Takes a {@link Snapshot} after `cursor` (without a cursor: only the stream facts, for the
 * loop's starting point). `withRunId` adds `INFO server`, for the loop to tell a restarted or
 * failed-over Redis from the one it read before.
 */
export async function takeSnapshot(
  reader: RedisClient,
  options: ResolvedOptions,
  cursor: string | undefined,
  withRunId: boolean,
): Promise<Snapshot> {
  const { streamKey, readCount } = options;
  const multi = reader.multi();
  if (withRunId) multi.info('server');
  multi.xinfo('STREAM', streamKey);
  if (cursor !== undefined) {
    multi.xrange(streamKey, cursor, cursor);
    multi.xread('COUNT', readCount, 'STREAMS', streamKey, cursor);
  }
  const results = await multi.exec();
  if (!results) throw new Error('The read transaction was aborted.');
  let at = 0;
  const next = (): unknown => {
    const [error, value] = results[at++] ?? [];
    if (error) throw error;
    return value;
  };
  const instance = withRunId ? runId(next()) : undefined;
  let stream: StreamInfo | undefined;
  const [infoError, info] = results[at++] ?? [];
  if (infoError) {
    if (!/no such key/i.test(infoError.message)) throw infoError;
  } else {
    stream = streamInfo(info);
    if (!stream) throw new Error('XINFO STREAM answered without a last-generated-id.');
  }
  if (cursor === undefined) return { runId: instance, stream, cursorPresent: false, entries: [] };
  const cursorPresent = rangeEntries(next()).length > 0;
  return { runId: instance, stream, cursorPresent, entries: xreadEntries(next()) };
}
