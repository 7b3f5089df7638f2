/**
 * The seam between resumable streams and where their events are kept. The broker keeps them in
 * memory by default; a transport that spans processes (`@ssekit/redis`) provides its own store
 * as `Transport.resumable`, so a reader on any node can resume a stream produced on another.
 */

/** What a store records about one resumable stream when it is created. */
export interface StoredStreamInfo {
  /**
   * The client key allowed to read it; `undefined` when anyone who knows the id may (a broker
   * without an `authorize` or `clientId` hook has no client keys to compare).
   */
  readonly owner: string | undefined;
  /** Milliseconds the stream is kept if its producer never finishes (a crashed node). */
  readonly ttl: number;
}

/** One read of a stored stream: see {@link ResumableStore.read}. */
export interface StoredRead {
  /**
   * Encoded events (each with its `id:` line) after the asked sequence number, oldest first.
   * Event `n` of a stream has id `n`, counting from 1.
   */
  readonly events: readonly Uint8Array[];
  /** The sequence number of the newest event in `events` (the asked one when empty). */
  readonly last: number;
  /** True once the producer has ended and `events` reaches the stream's final event. */
  readonly finished: boolean;
  /** The reader's client key must match (see {@link StoredStreamInfo.owner}). */
  readonly owner: string | undefined;
}

/** What {@link ResumableStore.append} found: `stopped` means a stop was asked, from any node. */
export type AppendResult = 'ok' | 'stopped';

/**
 * Keeps the events of resumable streams and wakes their readers. Implement it to keep them
 * somewhere every node reaches (see `@ssekit/redis`); the broker's in-memory store is the default.
 *
 * Contract: sequence numbers start at 1 and grow by one; `append` is only called by the one
 * producer of a stream, in order; a stream is readable from `create` until `ttl` ms after
 * `finish` (or after `create`, if it never finishes), then `read` answers `undefined`.
 */
export interface ResumableStore {
  /** Records a new stream. Rejects when the id is already in use. */
  create(id: string, info: StoredStreamInfo): Promise<void>;
  /** Stores event `seq` (encoded, with its `id:` line). Resolves to `stopped` once a stop was asked. */
  append(id: string, seq: number, event: Uint8Array): Promise<AppendResult>;
  /** Marks the stream finished (its last event is appended) and keeps it for `ttl` ms more. */
  finish(id: string, ttl: number): Promise<void>;
  /**
   * Events after sequence number `after`, at most about `maxBytes` of them (at least one).
   * `undefined` when the stream is unknown or expired.
   */
  read(id: string, after: number, maxBytes: number): Promise<StoredRead | undefined>;
  /**
   * Resolves once there may be events after `after` or the stream finished or expired (it may
   * resolve early: readers read again), or when `signal` aborts.
   */
  wait(id: string, after: number, signal: AbortSignal): Promise<void>;
  /** Asks the stream's producer to stop, wherever it runs. Resolves to false for an unknown stream. */
  stop(id: string): Promise<boolean>;
  /** Calls `listener` when a stop is asked for `id` (on the producer's node). Returns a remover. */
  onStop(id: string, listener: () => void): () => void;
  /** A reader attached (`+1`) or left (`-1`): the producer may stop when none is left (see `whenAbandoned`). */
  readers(id: string, change: 1 | -1): void;
  /** Milliseconds since the stream last had a reader (0 while it has one); `undefined` when unknown. */
  idleFor(id: string): Promise<number | undefined>;
  /** Releases timers and connections. */
  close(): void | Promise<void>;
}
