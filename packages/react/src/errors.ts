/**
 * The codes an {@link SseReactError} can carry. Stable: match on them, not on messages.
 *
 * - `UNCOMPARABLE_OPTION`: an option that decides the connection cannot be compared between
 *   components (a `FormData`, `Blob` or stream `body`), so the hook cannot tell which components
 *   may share it. Give the stream a `key`.
 */
export type SseReactErrorCode = 'UNCOMPARABLE_OPTION';

const brand = Symbol.for('ssekit.react-error');

/**
 * Thrown (during render) for options `useEventStream` cannot use as given. The message says what
 * to change.
 *
 * @example
 * ```ts
 * try {
 *   // …
 * } catch (error) {
 *   if (isSseReactError(error) && error.code === 'UNCOMPARABLE_OPTION') console.error(error.message);
 * }
 * ```
 */
export class SseReactError extends Error {
  override readonly name = 'SseReactError';
  /** What went wrong, as a stable code. */
  readonly code: SseReactErrorCode;

  constructor(code: SseReactErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, brand, { value: true });
  }
}

/**
 * True for an {@link SseReactError}, also one from another copy of the package (where
 * `instanceof` fails).
 */
export function isSseReactError(value: unknown): value is SseReactError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
