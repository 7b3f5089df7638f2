import type { Transport } from '@ssekit/core';

/** A backend server process the suite starts: Redis, NATS, or the next engine. */
export interface TransportServer {
  /** What `createTransport` connects to. */
  readonly url: string;
  /** Whether it keeps its data across `restart()`. */
  readonly persistent: boolean;
  /** Kills it at once (`SIGKILL`), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port (and data directory). */
  restart(): Promise<void>;
  /** Stops it for good and removes its data. */
  stop(): Promise<void>;
}

/** Bounds a test asks of the transport it creates. */
export interface TransportTestOptions {
  /** Events the transport keeps, exactly (no approximate trimming). */
  maxLength?: number;
  /** Milliseconds publish and replay wait for the backend before they reject. */
  timeout?: number;
}

/**
 * What one engine gives the shared transport suite: how to start its server and how to make a
 * transport on it. Everything else (the tests) is the same for every engine.
 */
export interface TransportHarness {
  /** The engine's name, for test titles. */
  readonly name: string;
  /** Starts a server of the engine's on a free port, with persistence or without. */
  startServer(options: { persistent: boolean }): Promise<TransportServer>;
  /**
   * A transport on `server` (or on `url`, where nothing may listen) in `namespace`: transports
   * of one namespace share their events, those of different namespaces never meet.
   */
  createTransport(server: { url: string; persistent: boolean }, namespace: string, options?: TransportTestOptions): Transport;
  /** The engine's URL for a server on 127.0.0.1 at `port`. */
  urlFor(port: number): string;
  /**
   * Set for a transport whose ids are its nodes' own (a sharded one: each node writes its vector of
   * shard positions, so one event has a different id on each node and `publish` resolves to a
   * partial one), that keeps order per channel group only, refuses one event on channels of
   * several groups and refuses publisher-given ids. The tests that rely on any of these are
   * skipped; the others compare frames, not ids.
   */
  readonly perNodeIds?: boolean;
}
