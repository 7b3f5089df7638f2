import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Options of {@link createNatsTransport}.
 *
 * @example
 * ```ts
 * const options: NatsTransportOptions = { nats: 'nats://127.0.0.1:4222', stream: 'CHAT_EVENTS', maxAge: 600_000 };
 * ```
 */
export interface NatsTransportOptions {
  /**
   * Your NATS connection (from `connect()` of `@nats-io/transport-node`), or a server URL such as
   * `nats://127.0.0.1:4222`. A connection of yours is used as it is (NATS multiplexes one
   * connection) and never closed; give it `maxReconnectAttempts: -1` so it never gives up. From a
   * URL the transport opens its own connection, reconnecting forever, and closes it on `close()`.
   */
  nats: NatsConnection | string;
  /**
   * The JetStream stream every node of the app appends to and reads from, created by the first
   * node that needs it. Apps sharing a NATS server keep apart by giving each its own stream and
   * `subject`.
   * @default 'SSEKIT'
   */
  stream?: string;
  /**
   * The subject prefix the stream captures (`<subject>.>`): events are published on
   * `<subject>.e`, events with a publisher-given id on `<subject>.i.<id, base64url>`.
   * @default 'ssekit'
   */
  subject?: string;
  /**
   * Messages the stream keeps (`max_msgs`), across all channels. `0` lifts the cap.
   * @default 10_000
   */
  maxLength?: number;
  /**
   * Milliseconds a message stays replayable (`max_age`, by the server's clock). `0` lifts the cap.
   * @default 300_000 (5 minutes)
   */
  maxAge?: number;
  /**
   * Bytes the stream keeps (`max_bytes`), oldest messages leave first. `0` lifts the cap.
   * @default 0
   */
  maxBytes?: number;
  /**
   * Where the server keeps the stream when this transport creates it: `'file'` survives a server
   * restart; `'memory'` does not (open streams then get an `ssekit:gap`).
   * @default 'file'
   */
  storage?: 'file' | 'memory';
  /**
   * Replicas of the stream in a JetStream cluster, when this transport creates it.
   * @default 1
   */
  replicas?: number;
  /**
   * Messages fetched at most per pull request, for live delivery and per replay batch.
   * @default 1_000
   */
  readCount?: number;
  /**
   * Milliseconds `publish`, `replay` and `ready` wait for NATS (first for the connection to be
   * up, then for the answer) before they reject with `SseTransportError`.
   * @default 3_000
   */
  timeout?: number;
  /**
   * Told about errors the transport recovers from by itself: the read loop losing its consumer,
   * a listener throwing, lost history. Publish and replay failures are not reported here; their
   * promises reject.
   * @default ignore them
   */
  onError?: (error: unknown) => void;
}

/** {@link NatsTransportOptions} with every default applied. */
export interface ResolvedOptions {
  readonly stream: string;
  readonly subject: string;
  readonly maxLength: number;
  readonly maxAge: number;
  readonly maxBytes: number;
  readonly storage: 'file' | 'memory';
  readonly replicas: number;
  readonly readCount: number;
  readonly timeout: number;
  readonly onError: (error: unknown) => void;
}

const NAME = /^[A-Za-z0-9_-]+$/;
const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Applies the defaults and rejects values NATS would refuse on every call. */
export function resolveOptions(options: NatsTransportOptions): ResolvedOptions {
  const stream = options.stream ?? 'SSEKIT';
  if (!NAME.test(stream)) throw new RangeError(`stream must be a JetStream stream name (letters, digits, _ and -), got "${stream}".`);
  const subject = options.subject ?? 'ssekit';
  if (!SUBJECT.test(subject)) {
    throw new RangeError(`subject must be dot-separated tokens of letters, digits, _ and - (no wildcards), got "${subject}".`);
  }
  const storage = options.storage ?? 'file';
  if (storage !== 'file' && storage !== 'memory') throw new RangeError(`storage must be 'file' or 'memory', got "${String(storage)}".`);
  return {
    stream,
    subject,
    maxLength: count(options.maxLength, 10_000, 'maxLength'),
    maxAge: count(options.maxAge, 300_000, 'maxAge'),
    maxBytes: count(options.maxBytes, 0, 'maxBytes'),
    storage,
    replicas: Math.max(1, count(options.replicas, 1, 'replicas')),
    readCount: Math.max(1, count(options.readCount, 1_000, 'readCount')),
    timeout: Math.max(1, count(options.timeout, 3_000, 'timeout')),
    onError: options.onError ?? (() => {}),
  };
}

function count(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}.`);
  return value;
}
