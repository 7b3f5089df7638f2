/**
 * Response headers of every event stream. `Connection` and `Transfer-Encoding` are never set here:
 * they are forbidden on HTTP/2 and Node adds them itself on HTTP/1.1.
 *
 * - `Cache-Control: no-transform` keeps proxies from compressing or buffering the stream.
 * - `X-Accel-Buffering: no` turns nginx's response buffering off for this response.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model
 */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
});

/** Hop-by-hop headers that must not reach an HTTP/2 response. */
export const HTTP2_FORBIDDEN_HEADERS: readonly string[] = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];
