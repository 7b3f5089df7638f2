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
  | 'INVALID_DATA'
  | 'CONNECTION_CLOSED'
  | 'BROKER_CLOSED'
  | 'TRANSPORT_FAILED'
  | 'REJECTED'
  | 'HOOK_FAILED'
  | 'NOT_INSTALLED'
  | 'PRESENCE_UNAVAILABLE'
  | 'CROSS_SHARD'
  | 'INVALID_SHARD';

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
 * The transport could not carry or replay an event (a Redis server down, for example). When
 * `publish` rejects with it the event was most likely not published, but a reply lost in flight
 * cannot be told apart, so a retry may deliver it twice: give such events your own `id` so
 * subscribers can recognise a repeat, and check the transport's connection.
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
 *
 * A refusal is an answer, not a fault, so its `stack` is the one line `SseRejectedError: message`:
 * error pages that print stacks (Express outside production) show clients nothing but the message.
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
    this.stack = `${this.name}: ${message}`;
  }
}

/**
 * The admission hooks whose failures {@link SseHookError} reports: the `BrokerOptions` hooks, and
 * `transport` for the app's code the transport runs when a stream opens (the Redis transport's
 * `shardOf`), which failed with a typed error other than `TRANSPORT_FAILED`.
 */
export type AdmissionHook = 'authorize' | 'authorizeTopic' | 'clientId' | 'transport';

/**
 * An admission hook (`authorize`, `authorizeTopic` or `clientId`, or the transport's own
 * `shardOf`) threw or rejected with something other than an {@link SseRejectedError}. Adapters
 * answer it with a plain 500, like any failure of route code: the hook's own error is kept as
 * `cause` for your logs and is never written to the client (its message could hold a connection
 * string or a user's data).
 *
 * To refuse a stream with a message for the client, return `false` or `reject(status, message)`
 * from the hook instead of throwing.
 */
export class SseHookError extends SseError {
  /** Always 500: the server failed, not the request. */
  readonly status = 500;
  /** The same status under the name Fastify and `http-errors` read. */
  readonly statusCode = 500;
  /** Koa and `http-errors` read this: the message is for the server log, not the client. */
  readonly expose = false;
  /** Which hook failed. */
  readonly hook: AdmissionHook;

  constructor(hook: AdmissionHook, cause: unknown) {
    super('HOOK_FAILED', `The ${hook} hook failed; its error is this error's \`cause\`.`, { cause });
    this.name = 'SseHookError';
    this.hook = hook;
    // Frameworks that print stacks to clients (Express outside production) print this line only;
    // the hook's own stack stays on `cause`.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * True when `value` is an {@link SseError}, also when it comes from another copy of ssekit
 * loaded in the same process (where `instanceof` would say no).
 */
export function isSseError(value: unknown): value is SseError {
  return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
}
