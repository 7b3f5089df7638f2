/**
 * The SSE id of a sharded transport's event: the node's vector of per-shard positions, the last
 * entry it delivered from every shard it reads, so one `Last-Event-ID` covers every topic of a
 * client and replays on any node.
 *
 * Format: one token per shard, joined by `.` (so S - 1 dots; an entry id `<ms>-<seq>` has none).
 * A shard the node does not read has an empty token. The first non-empty token is the entry's
 * milliseconds in base 36; every other is its milliseconds minus those (base 36, `-` when
 * negative). A non-zero sequence number follows as `_<seq in base 36>`. With S = 3 and all shards
 * busy: `mizu4h2o.-2.3_1` (15 bytes, the size of an entry id `1765009123456-0`).
 */

/** Per shard, the entry id `<ms>-<seq>` read up to, or `undefined` for a shard not read. */
export type Positions = (string | undefined)[];

const ENTRY = /^(\d{1,16})-(\d{1,16})$/;
const TOKEN = /^(-?[0-9a-z]{1,11})(?:_([0-9a-z]{1,11}))?$/;

function split(entryId: string): [number, number] | undefined {
  const match = ENTRY.exec(entryId);
  if (!match) return undefined;
  const ms = Number(match[1]);
  const seq = Number(match[2]);
  return Number.isSafeInteger(ms) && Number.isSafeInteger(seq) ? [ms, seq] : undefined;
}

/** The id for `positions` (see the file comment). */
export function encodeVector(positions: Positions): string {
  let base: number | undefined;
  let out = '';
  for (let k = 0; k < positions.length; k++) {
    if (k > 0) out += '.';
    const entryId = positions[k];
    const parts = entryId === undefined ? undefined : split(entryId);
    if (!parts) continue;
    const [ms, seq] = parts;
    if (base === undefined) {
      base = ms;
      out += ms.toString(36);
    } else {
      out += (ms - base).toString(36);
    }
    if (seq !== 0) out += `_${seq.toString(36)}`;
  }
  return out;
}

/** The positions in `id`, or `undefined` when it is not a vector of `shards` shards. */
export function decodeVector(id: string, shards: number): Positions | undefined {
  const tokens = id.split('.');
  if (tokens.length !== shards) return undefined;
  let base: number | undefined;
  const positions: Positions = [];
  for (const token of tokens) {
    if (token === '') {
      positions.push(undefined);
      continue;
    }
    const match = TOKEN.exec(token);
    if (!match) return undefined;
    const value = Number.parseInt(match[1] as string, 36);
    const seq = match[2] === undefined ? 0 : Number.parseInt(match[2], 36);
    const ms = base === undefined ? value : base + value;
    if (base === undefined) {
      if (value < 0) return undefined;
      base = value;
    }
    if (!Number.isSafeInteger(ms) || ms < 0 || !Number.isSafeInteger(seq)) return undefined;
    positions.push(`${ms}-${seq}`);
  }
  return base === undefined ? undefined : positions;
}
