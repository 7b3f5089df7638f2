import type { ReplayResult, TransportMessage } from '@ssekit/core';
import { isCluster, type RedisClient } from './client.js';
import { decodeEntry, rangeEntries } from './entry.js';
import type { ResolvedOptions } from './options.js';
import { streamInfo } from './replies.js';
import { compareStreamIds, parseStreamId, positionOf, type StreamId } from './stream-id.js';
import { clusterSafe } from './stream-key.js';

/** A replay (`result.through` is `upTo` as a position), and the newest entry id it accounts for. */
export interface Replayed {
  readonly result: ReplayResult;
  /** The read loop must have delivered up to here before the replay is handed over. */
  readonly upTo: StreamId | undefined;
}

const UNKNOWN: Replayed = { result: { messages: [], gap: 'unknown' }, upTo: undefined };
const EXPIRED: Replayed = { result: { messages: [], gap: 'expired' }, upTo: undefined };

/**
 * The key a publisher-given id is resolved through: `{<streamKey>}:id:<id>`, whose hash tag is
 * the whole stream key, so Redis Cluster puts it in the stream's slot (the publish script writes
 * both). A stream key with a hash tag of its own (`{chat}:events`) keeps `<streamKey>:id:<id>`.
 */
export function customIdKey(options: ResolvedOptions, id: string): string {
  return `${clusterSafe(options.streamKey) ? options.streamKey : `{${options.streamKey}}`}:id:${id}`;
}

/** Where earlier versions indexed custom ids: still read on a single server, for a rolling upgrade. */
function legacyCustomIdKey(options: ResolvedOptions, id: string): string {
  return `${options.streamKey}:id:${id}`;
}

/**
 * The retained entries after `lastEventId` on `channels`, oldest first. With `fromStart`, `0-0`
 * means the stream's very beginning (a shard read from before its first entry), not an unknown id.
 *
 * The first page is read in one `MULTI` with `XINFO STREAM` and an exact lookup of the id, so the
 * verdict (known, expired, unknown) and the entries come from one consistent snapshot. Later
 * pages check that the stream still reaches back to where the previous page ended; if trimming
 * overtook the replay, what was read is returned marked `expired`.
 */
export async function readReplay(
  client: RedisClient,
  options: ResolvedOptions,
  channels: readonly string[],
  lastEventId: string,
  fromStart = false,
): Promise<Replayed> {
  const { streamKey, readCount } = options;
  let fromId = lastEventId;
  if (!parseStreamId(fromId)) {
    // A publisher-given id: find the entry that carried it.
    if (fromId === '') return UNKNOWN;
    const key = customIdKey(options, fromId);
    const legacy = legacyCustomIdKey(options, fromId);
    let resolved = await client.get(key);
    if (resolved === null && legacy !== key && !isCluster(client)) resolved = await client.get(legacy);
    if (resolved === null) return UNKNOWN;
    fromId = resolved;
  }
  const from = parseStreamId(fromId);
  if (!from) return UNKNOWN;
  // `0-0` as a shard's position: the node started reading it before anything was published there.
  const atStart = fromStart && from.ms === 0n && from.seq === 0n;

  const results = await client
    .multi()
    .xinfo('STREAM', streamKey)
    .xrange(streamKey, fromId, fromId)
    .xrange(streamKey, `(${fromId}`, '+', 'COUNT', readCount)
    .exec();
  if (!results) throw new Error('The replay transaction was aborted.');
  const [infoResult, exactResult, pageResult] = results;
  if (infoResult?.[0]) {
    // No stream at all: nothing was ever published here (or Redis lost its data).
    if (/no such key/i.test(infoResult[0].message))
      return atStart ? { result: { messages: [], through: positionOf(from) }, upTo: undefined } : UNKNOWN;
    throw infoResult[0];
  }
  for (const result of [exactResult, pageResult]) if (result?.[0]) throw result[0];
  const info = streamInfo(infoResult?.[1]);
  const last = info && parseStreamId(info.lastGeneratedId);
  if (!info || !last) throw new Error('XINFO STREAM answered without a last-generated-id.');

  const position = compareStreamIds(from, last);
  if (position > 0) return UNKNOWN; // newer than anything this stream issued
  // From the start, everything must still be there: no entry ever trimmed or deleted.
  if (atStart && info.entriesAdded !== info.length) return EXPIRED;
  if (position < 0 && !atStart && rangeEntries(exactResult?.[1]).length === 0) {
    const first = info.firstEntryId === undefined ? undefined : parseStreamId(info.firstEntryId);
    // Older than the oldest retained entry: trimmed, and entries after it may have been too.
    // Like the in-memory history, send no partial replay: the client reloads its state anyway.
    if (first === undefined || compareStreamIds(from, first) < 0) return EXPIRED;
    // Inside the retained range but never an entry: not an id this stream issued.
    return UNKNOWN;
  }
  let gap: ReplayResult['gap'];

  const wanted = new Set(channels);
  const messages: TransportMessage[] = [];
  let upTo = last;
  let page = rangeEntries(pageResult?.[1]);
  for (;;) {
    let pageEnd: string | undefined;
    for (const raw of page) {
      const entry = decodeEntry(raw);
      if (Array.isArray(raw) && typeof raw[0] === 'string') pageEnd = raw[0];
      if (entry?.message.channels.some((channel) => wanted.has(channel))) messages.push(entry.message);
    }
    if (page.length < readCount || pageEnd === undefined) break;
    const next = await client
      .multi()
      .xrange(streamKey, '-', '+', 'COUNT', 1)
      .xrange(streamKey, `(${pageEnd}`, '+', 'COUNT', readCount)
      .exec();
    if (!next) throw new Error('The replay transaction was aborted.');
    for (const result of next) if (result?.[0]) throw result[0];
    const oldest = rangeEntries(next[0]?.[1])[0];
    const oldestId = Array.isArray(oldest) && typeof oldest[0] === 'string' ? parseStreamId(oldest[0]) : undefined;
    const end = parseStreamId(pageEnd);
    if (oldestId === undefined || (end !== undefined && compareStreamIds(oldestId, end) > 0)) gap = 'expired';
    page = rangeEntries(next[1]?.[1]);
    const lastOfPage = page.at(-1);
    const lastId = Array.isArray(lastOfPage) && typeof lastOfPage[0] === 'string' ? parseStreamId(lastOfPage[0]) : undefined;
    if (lastId && compareStreamIds(lastId, upTo) > 0) upTo = lastId;
  }
  // `through`: live events up to here were read by this replay (or are not on these channels).
  const through = positionOf(upTo);
  return { result: { messages, ...(gap ? { gap } : {}), ...(through ? { through } : {}) }, upTo };
}
