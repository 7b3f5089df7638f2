/**
 * Responses to pipelined requests that wait behind another response on the same socket.
 *
 * Node queues such a response without a socket (`res.socket` is `null`) until the ones ahead of
 * it finish. If the socket closes first, Node never emits `close` on the queued response, so a
 * stream opened on it would stay registered for good, holding a connection slot and a per-client
 * slot. Its request still knows the socket (`res.req.socket`), so the sink listens there.
 * One shared listener per socket and a map entry only for queued streams: streams that own their
 * socket (nearly all) cost nothing here.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What a queued stream's sink exposes to be told its socket closed. */
export interface Releasable {
  finish(): void;
}

const waiting = new WeakMap<Socket, Releasable[]>();
/** Sockets with queued streams: lets {@link forgetQueued} return at once in the usual case. */
let watched = 0;

/** True when `res` waits behind another response on its socket (HTTP/1.1 pipelining). */
export function isQueued(res: ServerResponse): boolean {
  // HTTP/2 has no pipelining; and its compat response makes a socket proxy when `socket` is read.
  return !('stream' in res) && res.socket === null && !res.writableFinished;
}

/** Calls `sink.finish()` when the socket `res` waits on closes (at once if it already has). */
export function releaseWhenSocketCloses(res: ServerResponse, sink: Releasable): void {
  const socket = res.req?.socket;
  if (!socket) return;
  if (socket.closed) {
    sink.finish();
    return;
  }
  const queue = waiting.get(socket);
  if (queue) {
    queue.push(sink);
    return;
  }
  waiting.set(socket, [sink]);
  watched++;
  socket.on('close', onSocketClose);
}

/** Stops watching for `sink`: its response got the socket and closed the usual way. */
export function forgetQueued(res: ServerResponse, sink: Releasable): void {
  if (watched === 0) return;
  const socket = res.req?.socket;
  const queue = socket && waiting.get(socket);
  if (!socket || !queue) return;
  const at = queue.indexOf(sink);
  if (at !== -1) queue.splice(at, 1);
  if (queue.length > 0) return;
  unwatch(socket);
  // A keep-alive socket may serve many more requests: leave no listener behind on it.
  socket.removeListener('close', onSocketClose);
}

/**
 * Drops the connection a queued response waits on. `res.destroy()` alone would only take effect
 * once the response gets its socket, which a stalled peer may never let happen.
 */
export function destroyQueuedSocket(res: ServerResponse): void {
  res.req?.socket?.destroy();
}

function unwatch(socket: Socket): void {
  waiting.delete(socket);
  watched--;
}

// Shared (`this` is the socket): no closure per queued stream.
function onSocketClose(this: Socket): void {
  const queue = waiting.get(this);
  if (!queue) return;
  unwatch(this);
  for (const sink of queue) sink.finish();
}
