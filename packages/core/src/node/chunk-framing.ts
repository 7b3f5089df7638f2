/**
 * HTTP/1.1 chunked framing for direct socket writes. The write scheduler hands the same encoded
 * bytes to every socket of a fan-out in a row, so the framing of the last chunk is kept
 * module-wide: only the first socket of the run pays for it.
 */
import type { Socket } from 'node:net';

const CRLF = Buffer.from('\r\n');
/**
 * From this size on, a chunk bound for a socket that is already backed up goes out as three
 * writes (size line, the chunk itself, CRLF) instead of one framed copy. Such a socket holds what
 * it is given until its peer reads, and the chunk itself is usually the history's own bytes: it
 * then buffers references, not copies, however many clients fall behind.
 */
export const SHARE_FROM = 1024;

let lastChunk: Uint8Array | undefined;
let lastSizeLine: Buffer | undefined;
let lastFramed: Buffer | undefined;

/** The HTTP/1.1 chunk size line for `chunk`, made once for the run of sockets it goes to. */
function sizeLine(chunk: Uint8Array): Buffer {
  if (chunk !== lastChunk) {
    lastChunk = chunk;
    lastSizeLine = Buffer.from(`${chunk.byteLength.toString(16)}\r\n`);
    lastFramed = undefined;
  }
  return lastSizeLine as Buffer;
}

/** The HTTP/1.1 chunk for `chunk` (size line, bytes, CRLF), framed once for the run. */
function framed(chunk: Uint8Array): Buffer {
  const line = sizeLine(chunk);
  lastFramed ??= Buffer.concat([line, chunk, CRLF]);
  return lastFramed;
}

/**
 * Writes `chunk` as one HTTP/1.1 chunk straight to `socket`. Returns `socket.write`'s answer:
 * `false` when the socket wants no more until it drains.
 */
export function writeChunk(socket: Socket, chunk: Uint8Array): boolean {
  if (chunk.byteLength < SHARE_FROM || socket.writableLength === 0) return socket.write(framed(chunk));
  socket.cork();
  socket.write(sizeLine(chunk));
  socket.write(chunk);
  const more = socket.write(CRLF);
  socket.uncork();
  return more;
}
