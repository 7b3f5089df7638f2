import type { DataParser } from './parse.js';
import type { DataFormat, EventMap, EventName } from './types.js';

/** Request headers: anything `new Headers()` accepts. */
export type HeadersOption = NonNullable<RequestInit['headers']>;

/**
 * The events of map `E` whose data is declared as text (`string` or a union of string
 * literals): ssekit servers send strings as they are, so the client must read them as text.
 */
export type TextEventName<E extends EventMap> = {
  [K in keyof E & string]: [E[K]] extends [string] ? ([E[K]] extends [never] ? never : K) : never;
}[keyof E & string];

/** How each event's data is read, by event name: `'json'` (the default) or `'text'`. */
export type DataFormats<E extends EventMap = EventMap> = { readonly [K in EventName<E>]?: DataFormat };

/**
 * The data-reading part of {@link ClientOptions}: either `formats` (which a typed client must give
 * for every event declared as text) or a `parse` function (a deserializer) that takes over.
 */
export type DataOptions<E extends EventMap = EventMap> =
  | {
      /**
       * Turns each event's data text into the value listeners get, instead of `formats` (a
       * deserializer paired with the server's `serialize`); `false` passes the text as it is.
       * A parser that throws skips that event and reports a `PARSE` error. With one, type the
       * client with what it returns: `createClient<Events, Events>(url, { parse })`.
       */
      parse: DataParser | false;
      formats?: undefined;
    }
  | ({
      parse?: undefined;
    } & (string extends keyof E
      ? { formats?: DataFormats<E> }
      : [TextEventName<E>] extends [never]
        ? { formats?: DataFormats<E> }
        : {
            /**
             * How each event's data is read: `'text'` as the server sent it (ssekit servers send
             * strings as they are), `'json'` with `JSON.parse` (data that is not JSON is a `PARSE`
             * error, and an event without data gives `undefined`). An event not listed is read as
             * JSON, or as its text when it is not JSON. A typed client must list every event whose
             * data is declared as a string: a string that looks like JSON (`42`) then stays a string.
             * @default JSON, else the text, for every event not listed
             */
            formats: DataFormats<E> & { readonly [K in TextEventName<E>]: 'text' };
          }));

/**
 * Options of {@link createClient}. The request options apply to every (re)connection.
 *
 * @typeParam E - the event map: events it declares as strings must be listed as `'text'` in `formats`.
 * @example
 * ```ts
 * const options: ClientOptions = { headers: () => ({ authorization: `Bearer ${token()}` }), stallTimeout: 60_000 };
 * ```
 */
export type ClientOptions<E extends EventMap = EventMap> = RequestOptions & DataOptions<E>;

/** The request, reconnection and lifecycle options of {@link ClientOptions}. */
export interface RequestOptions {
  /**
   * HTTP method. Any method works: LLM-style APIs stream the answer to a `POST`.
   * @default 'GET', or 'POST' when `body` is set
   */
  method?: string;
  /**
   * Request headers (`Authorization`, which the browser's `EventSource` cannot send), or a
   * function returning them, called before every connection so a refreshed token is used on
   * reconnect. `Accept: text/event-stream` is added unless set, and `Last-Event-ID` when there is one.
   * @default {}
   */
  headers?: HeadersOption | (() => HeadersOption | Promise<HeadersOption>);
  /**
   * Request body, sent again on every reconnect: use a string, `Blob`, `FormData` or
   * `URLSearchParams`, not a one-shot `ReadableStream`.
   */
  body?: RequestInit['body'];
  /**
   * Whether cookies go with cross-origin requests (`include` is `EventSource`'s `withCredentials`).
   * @default fetch's default, 'same-origin'
   */
  credentials?: RequestInit['credentials'];
  /**
   * The fetch implementation: a wrapper that adds tracing, a proxy-aware fetch, a test double.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * `Last-Event-ID` for the first request, to resume where an earlier session stopped.
   * @default '' (none)
   */
  lastEventId?: string;
  /** Aborting it closes the client, like `close()`. */
  signal?: AbortSignal;
  /**
   * Milliseconds before the first reconnect, until the server sends a `retry:` field, which
   * replaces it. Later attempts after consecutive failures double it.
   * @default 1_000
   */
  retryDelay?: number;
  /**
   * Upper bound of the doubling backoff, in milliseconds. A server's `retry:` hint above it is
   * still honoured.
   * @default 30_000
   */
  maxRetryDelay?: number;
  /**
   * Fraction of each delay taken off at random (0 to 1), so clients dropped together (a server
   * restart) do not reconnect together.
   * @default 0.3
   */
  retryJitter?: number;
  /**
   * Consecutive failed attempts before the client gives up and closes with the last error.
   * A stream that opens resets the count.
   * @default Infinity
   */
  maxRetries?: number;
  /**
   * Milliseconds without a byte (events and heartbeat comments both count) before the connection
   * is considered dead, aborted and re-opened. Keep it above the server's heartbeat interval: the
   * default is three ssekit heartbeats of 15 s. `0` turns the check off.
   * @default 45_000
   */
  stallTimeout?: number;
  /**
   * Treat the server ending the response as "done" (a finished LLM answer) and close, instead of
   * reconnecting as `EventSource` does. Errors and stalls still reconnect.
   * @default false
   */
  closeOnEnd?: boolean;
  /**
   * Where a resumable answer is resumed (see `streamId`): the URL for the stream id the server
   * named in `ssekit-stream-id`. The resume is a `GET` with `Last-Event-ID` and no body.
   * @default the request URL with the id appended as a path segment (`/answers` → `/answers/<id>`)
   */
  resumeUrl?: (streamId: string) => string | URL;
}
