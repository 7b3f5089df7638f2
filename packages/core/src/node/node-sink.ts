/**
 * The Node bridge's {@link Sink} over an `http.ServerResponse` (or the HTTP/2 compat response)
 * whose head is already sent: direct framed socket writes when they are safe, `res.write`
 * otherwise, and one report of the stream's end however it comes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import type { Sink } from '../sink.js';
import { bufferView } from './buffer-view.js';
import { writeChunk } from './chunk-framing.js';
import { directSocketOf } from './direct-socket.js';
import { destroyQueuedSocket, forgetQueued, isQueued, releaseWhenSocketCloses } from './queued-response.js';
import { peerStoppedAnswering } from './tcp-probe.js';

/** A Node response an event stream can be written to: HTTP/1.1 or the HTTP/2 compat API. */
export type NodeResponse = ServerResponse | Http2ServerResponse;
/** The matching Node request. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;

/**
 * The {@link Sink} `createNodeSink` returns: a core sink that also tells whether it is ending.
 *
 * @example
 * ```ts
 * const sink = createNodeSink(res);
 * res.end = function guardedEnd(this: ServerResponse) {
 *   // Let the stream's own end through; ignore a host that would answer the response again.
 *   return sink.ending ? ServerResponse.prototype.end.call(this) : this;
 * };
 * ```
 */
export interface NodeSink extends Sink {
  /**
   * True once the stream is finishing or finished: `end()` or `abort()` was called, or the
   * response closed. For hosts that guard a taken-over response against other writers (as
   * `@ssekit/hono` does on `@hono/node-server`) and must still let the sink's own `end` through.
   */
  readonly ending: boolean;
}

const sinkOf = Symbol('ssekit.sink');
type Owned = ServerResponse & { [sinkOf]?: NodeResponseSink };

/** Life of a sink: open, `end()`/`abort()` called, closed (listeners ran). */
const OPEN = 0;
const ENDING = 1;
const DONE = 2;

// Shared listener (`this` is the response): no closure per idle socket. `on`, not `once`: a
// response closes once, and `once` costs a wrapper and its state object per socket.
function onResponseClose(this: Owned): void {
  this[sinkOf]?.finish();
}

/** The Node bridge's sink. Methods live on the prototype: idle sockets cost little. */
export class NodeResponseSink implements NodeSink {
  private state: typeof OPEN | typeof ENDING | typeof DONE;
  private listeners: Array<() => void> | undefined;
  /** The socket events go to pre-framed; see {@link directSocketOf}. */
  private readonly socket: Socket | undefined;

  constructor(private readonly res: Owned) {
    this.state = res.destroyed || res.writableEnded ? DONE : OPEN;
    this.socket = directSocketOf(res);
    res[sinkOf] = this;
    res.on('close', onResponseClose);
    if (this.state === OPEN && isQueued(res)) releaseWhenSocketCloses(res, this);
  }

  write(chunk: Uint8Array): boolean {
    if (this.state === DONE) return false;
    const socket = this.socket;
    // `writable` reads only the socket's writable state, which the write itself touches next.
    if (socket) return socket.writable && writeChunk(socket, chunk);
    return !this.res.destroyed && this.res.write(bufferView(chunk));
  }

  get bufferedBytes(): number {
    return this.socket ? this.socket.writableLength : (this.res.writableLength ?? 0);
  }

  get closed(): boolean {
    return this.state === DONE || this.res.destroyed;
  }

  get ending(): boolean {
    return this.state !== OPEN || this.res.destroyed;
  }

  onDrain(listener: () => void): () => void {
    // Direct writes fill the socket, so its drain is the one that matters.
    const emitter = this.socket ?? this.res;
    emitter.once('drain', listener);
    return () => emitter.removeListener('drain', listener);
  }

  onClose(listener: () => void): void {
    if (this.state === DONE) {
      queueMicrotask(listener);
      return;
    }
    // Nearly always one listener (the connection's): a one-element literal, not a grown array.
    if (this.listeners) this.listeners.push(listener);
    else this.listeners = [listener];
  }

  end(): void {
    if (this.state === OPEN) this.state = ENDING;
    if (!this.res.writableEnded) this.res.end();
  }

  abort(): void {
    if (this.state === OPEN) this.state = ENDING;
    if (isQueued(this.res)) destroyQueuedSocket(this.res);
    this.res.destroy();
  }

  unresponsive(): boolean {
    // HTTP/2 streams share their session's socket: a dead peer there ends the session anyway.
    // Checked first: an HTTP/2 compat response makes a socket proxy when `socket` is read.
    if ('stream' in this.res) return false;
    const socket = this.res.socket;
    return socket !== null && peerStoppedAnswering(socket);
  }

  /** @internal Runs the close listeners, once: the response (or the socket it waited on) closed. */
  finish(): void {
    if (this.state === DONE && this.listeners === undefined) return;
    this.state = DONE;
    forgetQueued(this.res, this);
    const listeners = this.listeners ?? [];
    this.listeners = undefined;
    for (const listener of listeners) listener();
  }
}
