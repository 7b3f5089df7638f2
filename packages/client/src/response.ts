import { SseClientError } from './errors.js';

/**
 * Decides what an HTTP answer means for the stream, before any of its body is read.
 *
 * - `204 No Content`: `'done'`, the server's way to say "do not reconnect".
 * - Other 2xx with `Content-Type: text/event-stream`: `undefined`, read the stream.
 * - 408, 429 and 5xx: a retryable `HTTP_STATUS` error (the server is busy or restarting).
 * - Any other status (4xx, an unfollowed 3xx): a fatal `HTTP_STATUS` error. Retrying a 401 or
 *   404 only repeats it.
 * - 2xx with another content type: a fatal `CONTENT_TYPE` error (usually the wrong URL, or an
 *   HTML error page from a proxy).
 *
 * @example
 * ```ts
 * const problem = checkResponse(await fetch(url));
 * ```
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model
 */
export function checkResponse(response: Response): SseClientError | 'done' | undefined {
  const { status } = response;
  if (status === 204) return 'done';
  if (!response.ok) {
    const retryable = status === 408 || status === 429 || status >= 500;
    const label = `${status}${response.statusText ? ` ${response.statusText}` : ''}`;
    return new SseClientError(
      'HTTP_STATUS',
      retryable
        ? `The server answered ${label}; retrying with backoff (and after Retry-After when sent).`
        : `The server answered ${label}, which is not retried; check the URL, method, headers and credentials.`,
      { status, retryable },
    );
  }
  const contentType = response.headers.get('content-type') ?? '';
  // Compare the media type only: `text/event-stream; charset=utf-8` is fine, and case does not matter.
  if (contentType.split(';')[0]?.trim().toLowerCase() !== 'text/event-stream') {
    return new SseClientError(
      'CONTENT_TYPE',
      `Expected Content-Type text/event-stream but got "${contentType}"; point the client at an event stream endpoint.`,
      { status, contentType },
    );
  }
  return undefined;
}
