import { type IncomingMessage, type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import { HTTP2_FORBIDDEN_HEADERS, SSE_HEADERS } from '../headers.js';
import type { Sink } from '../sink.js';
import { peerStoppedAnswering } from './tcp-probe.js';

/** A Node response an event stream can be written to: HTTP/1.1 or the HTTP/2 compat API. */
export type NodeResponse = ServerResponse | Http2ServerResponse;
/** The matching Node request. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;

/** Options of {@link createNodeSink}. */
export interface NodeSinkOptions {
  /**
   * Extra response headers (CORS headers a framework collected, for example). Headers already set
   * on the response with `setHeader` are kept too. The SSE headers always win.
   */
  headers?: Record<string, string | number | readonly string[] | undefined>;
  /**
   * Once the stream has started, ignore `writeHead` and `end` calls on the response from anyone but
   * the sink. For hosts that may still try to answer a response the handler has taken over
   * (`@hono/node-server`, when Hono re-wraps the handler's marker response).
   * @default false
   */
  exclusive?: boolean;
}

const sinkOf = Symbol('ssekit.sink');
/** Node internals read to decide whether a direct socket write is safe; absent ones mean "no". */
type Owned = ServerResponse & { [sinkOf]?: NodeSink; chunkedEncoding?: boolean; outputData?: unknown[] };
type OwnedSocket = Socket & { _httpMessage?: unknown };

const CRLF = Buffer.from('\r\n');
/**
 * From this size on, a chunk bound for a socket that is already backed up goes out as three
 * writes (size line, the chunk itself, CRLF) instead of one framed copy. Such a socket holds what
 * it is given until its peer reads, and the chunk itself is usually the history's own bytes: it
 * then buffers references, not copies, however many clients fall behind.
 */
const SHARE_FROM = 1024;
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

/**
 * The HTTP/1.1 chunk for `chunk`, framed once: the scheduler writes the same bytes to every socket
 * in a row, so only the first socket pays for the framing.
 */
function framed(chunk: Uint8Array): Buffer {
  const line = sizeLine(chunk);
  lastFramed ??= Buffer.concat([line, chunk, CRLF]);
  return lastFramed;
}

/** Writes `chunk` as one HTTP/1.1 chunk straight to the socket. */
function writeChunk(socket: Socket, chunk: Uint8Array): boolean {
  if (chunk.byteLength < SHARE_FROM || socket.writableLength === 0) return socket.write(framed(chunk));
  socket.cork();
  socket.write(sizeLine(chunk));
  socket.write(chunk);
  const more = socket.write(CRLF);
  socket.uncork();
  return more;
}

// Shared listener and replacements (`this` is the response): no closure per idle socket. `on`, not
// `once`: a response closes once, and `once` costs a wrapper and its state object per socket.
function onResponseClose(this: Owned): void {
  this[sinkOf]?.finish();
}

function claimedWriteHead(this: Owned): Owned {
  return this;
}

function claimedEnd(this: Owned, ...args: unknown[]): Owned {
  const sink = this[sinkOf];
  return sink?.ending && sink.hostEnd ? (sink.hostEnd.apply(this, args as never) as Owned) : this;
}

/** The Node bridge's {@link Sink}. Methods live on the prototype: idle sockets cost little. */
class NodeSink implements Sink {
  private done: boolean;
  /** @internal Set by `end()`, read by a claimed response's `end`. */
  ending = false;
  /** @internal The response's own `end`, kept when the sink claims the response. */
  hostEnd: ServerResponse['end'] | undefined;
  private listeners: Array<() => void> | undefined;
  /**
   * The socket events go to pre-framed, when that is exactly what `res.write` would do: chunked
   * HTTP/1.1, Node's own `write`, the response owns the socket (not queued behind a pipelined one)
   * and Node holds nothing back for it. Decided once when the stream opens: a later pipelined
   * response only queues behind this one, so ownership cannot change while it streams.
   */
  private readonly socket: OwnedSocket | undefined;

  constructor(private readonly res: Owned) {
    this.done = res.destroyed || res.writableEnded;
    const socket = res.socket as OwnedSocket | null;
    const direct = res.chunkedEncoding === true && res.write === ServerResponse.prototype.write;
    this.socket = direct && socket && socket._httpMessage === res && res.outputData?.length === 0 ? socket : undefined;
    res[sinkOf] = this;
    res.on('close', onResponseClose);
  }

  write(chunk: Uint8Array): boolean {
    if (this.done) return false;
    const socket = this.socket;
    if (socket) return !socket.destroyed && writeChunk(socket, chunk);
    return !this.res.destroyed && this.res.write(chunk);
  }

  get bufferedBytes(): number {
    return this.socket ? this.socket.writableLength : (this.res.writableLength ?? 0);
  }

  get closed(): boolean {
    return this.done || this.res.destroyed;
  }

  onDrain(listener: () => void): () => void {
    // Direct writes fill the socket, so its drain is the one that matters.
    const emitter = this.socket ?? this.res;
    emitter.once('drain', listener);
    return () => emitter.removeListener('drain', listener);
  }

  onClose(listener: () => void): void {
    if (this.done) {
      queueMicrotask(listener);
      return;
    }
    // Nearly always one listener (the connection's): a one-element literal, not a grown array.
    if (this.listeners) this.listeners.push(listener);
    else this.listeners = [listener];
  }

  end(): void {
    this.ending = true;
    if (!this.res.writableEnded) this.res.end();
  }

  abort(): void {
    this.res.destroy();
  }

  unresponsive(): boolean {
    const socket = this.res.socket;
    // HTTP/2 streams share their session's socket: a dead peer there ends the session anyway.
    return socket !== null && !('stream' in this.res) && peerStoppedAnswering(socket);
  }

  /** @internal */
  finish(): void {
    if (this.done && this.listeners === undefined) return;
    this.done = true;
    const listeners = this.listeners ?? [];
    this.listeners = undefined;
    for (const listener of listeners) listener();
  }

  /** @internal See {@link NodeSinkOptions.exclusive}. */
  claim(): void {
    const res = this.res;
    this.hostEnd = res.end;
    res.writeHead = claimedWriteHead as never;
    res.end = claimedEnd as never;
  }
}

/**
 * Starts an event stream on a Node response and returns it as a {@link Sink}: writes status 200
 * and the SSE headers, flushes them at once (so the client's `open` fires before the first event)
 * and turns Nagle's algorithm off.
 *
 * @example
 * ```ts
 * http.createServer(async (req, res) => {
 *   await broker.stream(toStreamRequest(req), { topics: ['news'] }, () => createNodeSink(res));
 * });
 * ```
 */
export function createNodeSink(res: NodeResponse, options: NodeSinkOptions = {}): Sink {
  const http2 = 'stream' in res;
  const headers = { ...res.getHeaders(), ...options.headers, ...SSE_HEADERS } as OutgoingHttpHeaders;
  if (http2) for (const name of HTTP2_FORBIDDEN_HEADERS) delete headers[name];
  for (const name of Object.keys(headers)) if (headers[name] === undefined) delete headers[name];
  // Headers set earlier with setHeader would merge in again; clear them so each is sent once.
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  const writable = res as ServerResponse;
  writable.writeHead(200, headers);
  // HTTP/2 compat responses send their head in writeHead; HTTP/1.1 needs an explicit flush.
  writable.flushHeaders?.();
  if (!http2) writable.socket?.setNoDelay(true);
  const sink = new NodeSink(writable);
  if (options.exclusive) sink.claim();
  return sink;
}
