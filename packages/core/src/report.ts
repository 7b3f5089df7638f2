/**
 * Where failures after a stream's head was sent go. They can no longer become an error response,
 * and the framework that ran the route has usually moved on, so the broker reports them itself:
 * once, through `BrokerOptions.onError`, on every framework alike.
 */
import type { Connection } from './connection.js';

/**
 * What failed after a stream opened:
 * - `open`: the callback that runs on the open stream (Hono's `streamEvents(c, options, onOpen)`,
 *   a `broker.stream(..., body)` callback) threw or rejected.
 * - `pipe`: a source given to `connection.pipe()` or to `sse(source)` threw.
 * - `hook`: the broker's `onConnect` or `onDisconnect` hook threw.
 * - `produce`: a resumable stream's source threw (its readers got `ssekit:error`), or its store
 *   failed; no connection is involved, `streamId` names the stream.
 * - `presence`: the transport could not record a stream joining or leaving a topic's presence,
 *   or a join/leave notice could not be published; `topic` names the topic.
 * - `write`: the stream's sink threw (from `write`, `bufferedBytes`, `onDrain`, `end` or
 *   `unresponsive`; a sink must not: see `Sink`). The stream was dropped (close reason `error`,
 *   or the reason it was already ending with) and every other stream got the event.
 */
export type ErrorPhase = 'open' | 'pipe' | 'hook' | 'produce' | 'presence' | 'write';

/** The second argument of `BrokerOptions.onError`: narrow on `phase` to reach the connection. */
export type ErrorContext<P = unknown> =
  | {
      /** What failed. */
      readonly phase: 'open' | 'pipe' | 'hook' | 'write';
      /** The stream it happened on. */
      // biome-ignore lint/suspicious/noExplicitAny: streams of the broker's event map, whatever it is
      readonly connection: Connection<any, P>;
      /** For `phase: 'hook'`: which hook. */
      readonly hook?: 'onConnect' | 'onDisconnect';
      readonly streamId?: undefined;
    }
  | {
      readonly phase: 'produce';
      /** The resumable stream whose producer failed. */
      readonly streamId: string;
      readonly connection?: undefined;
      readonly hook?: undefined;
    }
  | {
      readonly phase: 'presence';
      /** The topic whose presence could not be updated. */
      readonly topic: string;
      readonly connection?: undefined;
      readonly hook?: undefined;
      readonly streamId?: undefined;
    };

/** The handler `BrokerOptions.onError` takes. */
export type ErrorHandler<P = unknown> = (error: unknown, context: ErrorContext<P>) => void;

/**
 * The default `onError`: one `console.error` line with a clear prefix and the stream's ids, then
 * the error (its stack included). Never silent, never written to the client.
 */
export function logStreamError(error: unknown, context: ErrorContext): void {
  if (context.phase === 'produce') {
    console.error(`[ssekit] the producer of resumable stream ${context.streamId} failed:`, error);
    return;
  }
  if (context.phase === 'presence') {
    console.error(`[ssekit] the presence of topic ${context.topic} could not be updated:`, error);
    return;
  }
  const { phase, connection, hook } = context;
  const what = hook
    ? `the ${hook} hook`
    : phase === 'pipe'
      ? 'a piped source'
      : phase === 'write'
        ? "the stream's sink (the stream was dropped)"
        : "the stream's open callback";
  console.error(`[ssekit] ${what} failed (session ${connection.id}, client ${connection.clientId}):`, error);
}

/** Calls the user's handler; a handler that throws is logged, never lost and never fatal. @internal */
export function reporter<P>(onError: ErrorHandler<P> | undefined): ErrorHandler<P> {
  const handler = onError ?? (logStreamError as ErrorHandler<P>);
  return (error, context) => {
    try {
      handler(error, context);
    } catch (thrown) {
      console.error('[ssekit] onError threw while reporting a stream error:', thrown, 'original error:', error);
    }
  };
}
