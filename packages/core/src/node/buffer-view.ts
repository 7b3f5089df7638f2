/**
 * Node `Buffer` views of encoded events for `res.write`. Node's writable streams wrap every plain
 * `Uint8Array` they are given in a new `Buffer`, once per response; the write scheduler hands the
 * same encoded bytes to every response of a fan-out in a row, so the view of the last chunk is
 * kept module-wide and the whole run shares it (one view per event, not one per delivery).
 */

let lastChunk: Uint8Array | undefined;
let lastView: Buffer | undefined;

/** `chunk` as a `Buffer` over the same bytes (no copy), made once for the run of responses. */
export function bufferView(chunk: Uint8Array): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk !== lastChunk) {
    lastChunk = chunk;
    lastView = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  return lastView as Buffer;
}
