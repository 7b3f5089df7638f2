/**
 * Every failure ssekit reports on purpose is an {@link SseError} with a stable `code`.
 */

/** The codes an {@link SseError} can carry. Stable: match on them, not on messages. */
export type SseErrorCode =
  | 'INVALID_EVENT_NAME'
  | 'INVALID_ID'
  | 'INVALID_RETRY'
  | 'INVALID_TOPIC'
  | 'SERIALIZE_FAILED'
  | 'CONNECTION_CLOSED'
  | 'BROKER_CLOSED'
  | 'TRANSPORT_FAILED'
  | 'REJECTED';

const brand = Symbol.for('ssekit.error');

/**
 * Base class of every error ssekit throws on purpose.
 *
 * @example
 * ```ts
 * try { encodeEvent({ event: 'a\nb' }) } catch (err) {
 *   if (isSseError(err) && err.code === 'INVALID_EVENT_NAME') { ... }
 * }
 * ```
 */
export class SseError extends Error {
  /** Stable machine-readable reason. */
  readonly code: SseErrorCode;
  readonly [brand] = true;

  constructor(code: SseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SseError';
    this.code = code;
  }
}

/**
 * An event field that would corrupt the stream: a line break in `event` or `id`, a NUL in `id`,
 * a `retry` that is not a non-negative safe integer, or data the serializer could not turn into text.
 * Nothing was written when this is thrown.
 */
export class SseEncodeError extends SseError {
  /** The offending field. */
  readonly field: 'event' | 'id' | 'retry' | 'data';

  constructor(code: SseErrorCode, field: SseEncodeError['field'], message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'SseEncodeError';
    this.field = field;
  }
}

/** Writing to a connection or broker that has already closed. */
export class SseClosedError extends SseError {
  constructor(code: 'CONNECTION_CLOSED' | 'BROKER_CLOSED', message: string) {
    super(code, message);
    this.name = 'SseClosedError';
  }
}

/**
 * The transport could not carry or replay an event (a Redis server down, for example). Nothing
 * was published when `publish` rejects with it; retry later or check the transport's connection.
 */
export class SseTransportError extends SseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TRANSPORT_FAILED', message, options);
    this.name = 'SseTransportError';
  }
}

/**
 * A stream request the broker refused before any byte was sent (authorization or admission).
 * Adapters answer it with `status`, `headers` and a short body; `message` is safe to show to clients.
 */
export class SseRejectedError extends SseError {
  /** HTTP status the adapter sends: 400, 401, 403, 406, 429 or 503. */
  readonly status: number;
  /** The same status under the name Fastify and `http-errors` read. */
  readonly statusCode: number;
  /** The message is written for clients and safe to show (Koa and `http-errors` read this). */
  readonly expose = true;
  /** Extra response headers, such as `Retry-After` on 429 and 503. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string, headers: Record<string, string> = {}, options?: { cause?: unknown }) {
    super('REJECTED', message, options);
    this.name = 'SseRejectedError';
    this.status = status;
    this.statusCode = status;
    this.headers = headers;
  }
}

/**
 * True when `value` is an {@link SseError}, also when it comes from another copy of ssekit
 * loaded in the same process (where `instanceof` would say no).
 */
export function isSseError(value: unknown): value is SseError {
  return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
}
