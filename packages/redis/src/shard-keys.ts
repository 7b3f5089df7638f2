/**
 * The keys of a sharded transport's streams: `<streamKey>:{<tag>}`, one per shard, with hash tags
 * chosen (computed here, not guessed) so that Redis Cluster puts shard `k` in a slot near the
 * middle of the `k`-th of S equal ranges of the slot space. A cluster whose masters own equal
 * ranges (what `redis-cli --cluster create` makes) then has the S shards on as many masters as
 * it can: on different masters when S is at most their number.
 *
 * @see https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#key-distribution-model
 */

const SLOTS = 16_384;

/** CRC16-CCITT (XModem), as Redis Cluster hashes keys. */
function crc16(text: string): number {
  let crc = 0;
  for (const byte of new TextEncoder().encode(text)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The Cluster slot of `key` (its hash tag's, when it has one). */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16(key.slice(open + 1, close)) % SLOTS;
  }
  return crc16(key) % SLOTS;
}

/** The hash tag of shard `k` of `shards`: `s<k>-<n>`, the first `n` whose slot is near the range's middle. */
function tagFor(k: number, shards: number): string {
  const width = SLOTS / shards;
  const middle = (k + 0.5) * width;
  const near = Math.max(1, width / 8);
  for (let n = 0; ; n++) {
    const tag = `s${k}-${n}`;
    if (Math.abs((crc16(tag) % SLOTS) - middle) <= near) return tag;
  }
}

/** The stream keys of `shards` shards of `streamKey`, shard 0 first. */
export function shardKeys(streamKey: string, shards: number): string[] {
  return Array.from({ length: shards }, (_, k) => `${streamKey}:{${tagFor(k, shards)}}`);
}
