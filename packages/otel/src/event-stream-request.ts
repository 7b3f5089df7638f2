/**
 * Telling event-stream requests apart, so HTTP instrumentation can leave them out of
 * `http.server.request.duration`: a stream's "duration" is its lifetime, minutes or hours, and
 * would swamp the latency histogram of every other route.
 */

/** The part of a Node `IncomingMessage` the check reads. */
export interface RequestWithHeaders {
  readonly headers: { readonly accept?: string | string[] | undefined };
}

/**
 * True when the request asks for `text/event-stream`. Pass it as
 * `@opentelemetry/instrumentation-http`'s `ignoreIncomingRequestHook`: no span and no
 * `http.server.request.duration` sample is recorded for event streams (`ssekit.stream.lifetime`
 * measures them instead).
 *
 * @example
 * ```ts
 * import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
 * import { isEventStreamRequest } from '@ssekit/otel';
 *
 * new HttpInstrumentation({ ignoreIncomingRequestHook: isEventStreamRequest });
 * ```
 */
export function isEventStreamRequest(request: RequestWithHeaders): boolean {
  const accept = request.headers.accept;
  if (accept === undefined) return false;
  return (Array.isArray(accept) ? accept.join(',') : accept).toLowerCase().includes('text/event-stream');
}
