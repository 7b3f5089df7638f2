/**
 * Every failure the client reports is an {@link SseClientError} with a stable `code`.
 */

/**
 * The codes an {@link SseClientError} can carry. Stable: match on them, not on messages.
 *
 * - `HTTP_STATUS`: the server answered with an error status (`status` is set).
 * - `CONTENT_TYPE`: the answer was not `text/event-stream` (`status` and `contentType` are set).
 * - `NETWORK`: the request failed or the connection dropped mid-stream (`cause` is the fetch error).
 * - `STALLED`: no bytes arrived for `stallTimeout` ms, so the connection was dropped.
 * - `CLOSED`: the server ended the response; the client reconnects unless `closeOnEnd` is set.
 * - `PARSE`: the `parse` option threw; that one event was skipped.
 */
export type SseClientErrorCode = 'HTTP_STATUS' | 'CONTENT_TYPE' | 'NETWORK' | 'STALLED' | 'CLOSED' | 'PARSE';

/** Options of the {@link SseClientError} constructor. */
export interface SseClientErrorOptions {
  /** The underlying error (a fetch `TypeError`, a parse error). */
  cause?: unknown;
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** `Content-Type` of the answer, when there was one. */
  contentType?: string;
  /**
   * Whether the client retries after this error.
   * @default false
   */
  retryable?: boolean;
}

const brand = Symbol.for('ssekit.client-error');

/**
 * The error the client reports through its `error` lifecycle event and in the `close` event
 * when it gives up.
 *
 * @example
 * ```ts
 * client.onLifecycle('error', (error) => {
 *   if (error.code === 'HTTP_STATUS' && error.status === 401) redirectToLogin();
 * });
 * ```
 */
export class SseClientError extends Error {
  /** Stable machine-readable reason. */
  readonly code: SseClientErrorCode;
  /** HTTP status of the answer that caused the error, if any. */
  readonly status: number | undefined;
  /** `Content-Type` of the answer that caused the error, if any (`""` when it had none). */
  readonly contentType: string | undefined;
  /** True when the client reconnects after this error (subject to `maxRetries`). */
  readonly retryable: boolean;
  readonly [brand] = true;

  constructor(code: SseClientErrorCode, message: string, options: SseClientErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'SseClientError';
    this.code = code;
    this.status = options.status;
    this.contentType = options.contentType;
    this.retryable = options.retryable ?? false;
  }
}

/**
 * True when `value` is an {@link SseClientError}, also when it comes from another copy of
 * `@ssekit/client` loaded in the same page or process (where `instanceof` would say no).
 *
 * @example
 * ```ts
 * client.onLifecycle('close', ({ error }) => {
 *   if (isSseClientError(error) && error.code === 'CONTENT_TYPE') console.warn('not an event stream');
 * });
 * ```
 */
export function isSseClientError(value: unknown): value is SseClientError {
  return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
}
