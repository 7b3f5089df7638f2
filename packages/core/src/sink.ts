/**
 * The one boundary adapters implement: a byte sink over a live response.
 * Core writes through it and never sees a framework.
 */

/**
 * A live response body that core writes SSE bytes into.
 *
 * Contract for implementers (the Node bridge in `@ssekit/core/node` is the reference):
 * - The status and headers are already sent and flushed when core receives the sink.
 * - `write` never throws on a closed peer; it returns `false` and the close is reported via `onClose`.
 *   A sink that throws anyway (from `write`, `bufferedBytes`, `onDrain`, `end` or `unresponsive`) costs only its own stream:
 *   the broker drops it (close reason `error`, unless it was ending already), reports the error to `onError` (`phase: 'write'`)
 *   and goes on with every other stream.
 * - `onClose` listeners run exactly once, whether the peer left, `end()` finished or `abort()` ran.
 */
export interface Sink {
  /**
   * Queues bytes for the peer. Returns `false` when the transport's buffer is full and the caller
   * should wait for {@link Sink.onDrain} before writing more.
   */
  write(chunk: Uint8Array): boolean;
  /** Bytes accepted by `write` and not yet handed to the operating system. */
  readonly bufferedBytes: number;
  /** True once the sink has closed for any reason. */
  readonly closed: boolean;
  /** Calls `listener` the next time the buffer empties. Returns a function that removes it. */
  onDrain(listener: () => void): () => void;
  /** Calls `listener` once when the stream is over (peer gone, ended or aborted). */
  onClose(listener: () => void): void;
  /** Ends the response gracefully after buffered bytes are sent. */
  end(): void;
  /** Drops the connection at once, discarding buffered bytes (slow clients). */
  abort(): void;
  /**
   * True when the peer has stopped acknowledging what was sent: its host vanished from the
   * network without a FIN or RST. Checked on every heartbeat round; optional, for sinks that can
   * tell (the Node sink reads the kernel's retransmission state on Linux).
   */
  unresponsive?(): boolean;
}
