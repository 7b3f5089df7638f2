/**
 * A refused stream as a Nest `HttpException`, so exception filters answer it.
 */
import { HttpException } from '@nestjs/common';
import type { SseRejectedError } from '@ssekit/core';
import { type PlatformResponse, setHeader } from './platform.js';

/**
 * A stream the broker refused before any byte was sent: 401/403 from `authorize`, 406 for a
 * client that refuses `text/event-stream`, 429/503 from the connection limits (with
 * `Retry-After`). Nest's exception filters answer it like any `HttpException`; its `headers` are
 * already set on the response, so a filter of your own sends them too. The refusal itself is
 * the `cause`.
 *
 * @example
 * ```ts fragment
 * @Catch(SseRefusedException)
 * class RefusalFilter implements ExceptionFilter {
 *   catch(error: SseRefusedException, host: ArgumentsHost) {
 *     host.switchToHttp().getResponse().status(error.getStatus()).json({ refused: error.message });
 *   }
 * }
 * ```
 */
export class SseRefusedException extends HttpException {
  /** The refusal's response headers (`retry-after`, …), already set on the response. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(refusal: SseRejectedError) {
    super(refusal.message, refusal.status, { cause: refusal });
    this.headers = refusal.headers;
  }
}

/** The refusal as an {@link SseRefusedException}, its headers set on `response`. @internal */
export function refusedException(refusal: SseRejectedError, response: PlatformResponse): SseRefusedException {
  for (const [name, value] of Object.entries(refusal.headers)) setHeader(response, name, value);
  return new SseRefusedException(refusal);
}
