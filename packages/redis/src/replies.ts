/**
 * Readers for the replies whose shape depends on the protocol and the client version:
 * `XREAD` (a map from key to entries under RESP3) and `XINFO STREAM` (a map of fields).
 * ioredis flattens both into arrays today; plain objects and `Map`s are accepted too so a
 * client that keeps RESP3 maps as maps still works.
 */

/**
 * The entries of an `XREAD` reply over one stream (empty after a timeout). Taken by position, not
 * by key: a client `keyPrefix` renames the key in the reply.
 */
export function xreadEntries(reply: unknown): unknown[] {
  if (reply == null) return [];
  if (Array.isArray(reply)) {
    // RESP2: [[key, entries]]; a flattened RESP3 map: [key, entries].
    const first: unknown = reply[0];
    return asArray(Array.isArray(first) ? first[1] : reply[1]);
  }
  const values = reply instanceof Map ? [...reply.values()] : typeof reply === 'object' ? Object.values(reply) : [];
  return asArray(values[0]);
}

/** What replay and the read loop need from `XINFO STREAM`. */
export interface StreamInfo {
  /** The id of the newest entry ever added (trimmed or not). */
  readonly lastGeneratedId: string;
  /** The oldest retained entry's id, `undefined` when the stream is empty. */
  readonly firstEntryId: string | undefined;
  /** Entries retained. */
  readonly length: number;
  /** Entries ever added, trimmed or not (Redis >= 7; `undefined` before). */
  readonly entriesAdded: number | undefined;
  /**
   * The newest id removed by `XDEL` (Redis >= 7). Trimming does not move it (checked on 7.0),
   * which is why the read loop counts entries instead.
   */
  readonly maxDeletedEntryId: string | undefined;
}

/** Reads `XINFO STREAM`, or `undefined` when the reply has no `last-generated-id`. */
export function streamInfo(reply: unknown): StreamInfo | undefined {
  const lastGeneratedId = field(reply, 'last-generated-id');
  if (typeof lastGeneratedId !== 'string') return undefined;
  const first = field(reply, 'first-entry');
  const firstEntryId = Array.isArray(first) && typeof first[0] === 'string' ? first[0] : undefined;
  const length = Number(field(reply, 'length') ?? 0);
  const added = field(reply, 'entries-added');
  const entriesAdded = added === undefined || added === null ? undefined : Number(added);
  const deleted = field(reply, 'max-deleted-entry-id');
  return {
    lastGeneratedId,
    firstEntryId,
    length,
    entriesAdded: Number.isSafeInteger(entriesAdded) ? entriesAdded : undefined,
    maxDeletedEntryId: typeof deleted === 'string' ? deleted : undefined,
  };
}

/** The `run_id` of an `INFO server` reply: it changes whenever the Redis process does. */
export function runId(info: unknown): string | undefined {
  return typeof info === 'string' ? /^run_id:(\w+)/m.exec(info)?.[1] : undefined;
}

function field(reply: unknown, name: string): unknown {
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) if (reply[i] === name) return reply[i + 1];
    return undefined;
  }
  return mapGet(reply, name);
}

function mapGet(value: unknown, key: string): unknown {
  if (value instanceof Map) return value.get(key);
  if (typeof value === 'object' && value !== null) return (value as Record<string, unknown>)[key];
  return undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
