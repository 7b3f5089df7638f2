// The bytes of one transported event as every client receives it: its `id:` line, then its frame.
// The broker and the in-memory history share these so an event is encoded once, whatever the
// number of sockets it goes to, live or replayed.
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Encodes an event for the wire: `id: <id>\n` followed by its frame. */
export function encodeWire(id: string, frame: string): Uint8Array {
  return textEncoder.encode(`id: ${id}\n${frame}`);
}

/** The frame back from {@link encodeWire}'s bytes (ids never hold a line break). */
export function frameOf(bytes: Uint8Array): string {
  return textDecoder.decode(bytes.subarray(bytes.indexOf(0x0a) + 1));
}
