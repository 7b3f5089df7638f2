/**
 * Whether a response's events may skip `res.write` and go to its socket already framed. This is
 * the one place the Node bridge reads Node's private response state; `test/direct-socket.test.ts`
 * fails loudly if a Node release renames it (the fast path would otherwise turn itself off
 * silently, since an absent field reads as "no").
 */
import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Node internals read here: `chunkedEncoding`, `outputData` and the socket's `_httpMessage`. */
type Internals = ServerResponse & { chunkedEncoding?: boolean; outputData?: unknown[] };
type OwnedSocket = Socket & { _httpMessage?: unknown };

/**
 * The socket to write `res`'s events to pre-framed, when that is exactly what `res.write` would
 * do: chunked HTTP/1.1, Node's own `write` (no compression or logging wrapper), the response owns
 * the socket (it is not queued behind a pipelined one) and Node holds nothing back for it.
 * Decide once, when the stream opens: a later pipelined response only queues behind this one, so
 * ownership cannot change while it streams.
 */
export function directSocketOf(res: ServerResponse): Socket | undefined {
  const internals = res as Internals;
  const direct = internals.chunkedEncoding === true && res.write === ServerResponse.prototype.write;
  // Read `socket` only then: an HTTP/2 compat response makes a socket proxy when it is read.
  if (!direct) return undefined;
  const socket = res.socket as OwnedSocket | null;
  return socket && socket._httpMessage === res && internals.outputData?.length === 0 ? socket : undefined;
}
