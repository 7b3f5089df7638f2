/**
 * The seam between the broker and whatever carries events between processes.
 * The in-memory transport is the default; `@ssekit/redis` plugs in here.
 */

/**
 * One published event as the transport carries it.
 * `frame` is the already-validated, serialized event text without its `id` line, so every node
 * only prepends `id: …` and encodes once.
 */
export interface TransportMessage {
  /** The event id written on the wire, assigned by the transport unless the publisher gave one. */
  readonly id: string;
  /** Internal channel names (topics, broadcast, per-client) the event goes to. */
  readonly channels: readonly string[];
  /** The event block without its `id` line, ending with the blank line. */
  readonly frame: string;
  /**
   * The event as written to clients (`id: …` line, then `frame`, UTF-8), when the transport keeps
   * it encoded. The broker writes these bytes as they are instead of encoding again, so sockets that
   * buffer the event share the transport's copy. Never modified once published.
   */
  readonly bytes?: Uint8Array;
}

/** What the transport knows about the events after a client's last id. */
export interface ReplayResult {
  /** Events after the id on the asked channels, oldest first, each once. */
  readonly messages: readonly TransportMessage[];
  /**
   * Set when events may have been missed: `expired` when history no longer reaches back to the
   * id, `unknown` when the id was never seen (another server, a restart, or garbage).
   */
  readonly gap?: 'expired' | 'unknown';
}

/** Carries published events to every broker that shares it, and remembers them for replay. */
export interface Transport {
  /**
   * Stores and delivers an event to every subscribed listener (this process's included).
   * Resolves to the event id. `id` is the publisher's own id, if any.
   */
  publish(channels: readonly string[], frame: string, id?: string): string | Promise<string>;
  /** Registers the listener that receives every delivered event. Returns an unsubscribe function. */
  subscribe(listener: (message: TransportMessage) => void): () => void;
  /** The retained events after `lastEventId` on `channels`. */
  replay(channels: readonly string[], lastEventId: string): ReplayResult | Promise<ReplayResult>;
  /** Releases timers and connections. */
  close(): void | Promise<void>;
}
