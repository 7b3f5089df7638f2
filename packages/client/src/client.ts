import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { type AttemptResult, runAttempt } from './attempt.js';
import { backoffDelay } from './backoff.js';
import { createEmitter } from './emitter.js';
import { SseClientError } from './errors.js';
import { createEventIterator } from './event-iterator.js';
import { GAP_EVENT, readGap } from './gap.js';
import type { WireEvents } from './jsonify.js';
import type { ClientOptions, DataFormats } from './options.js';
import { type DataParser, parseJson, parseJsonOrText } from './parse.js';
import { DONE_EVENT, defaultResumeUrl, FAILED_EVENT, type FinishInfo, readFinish, STREAM_ID_HEADER } from './resumable.js';
import type {
  ClientEvent,
  ClientEventListener,
  ClientState,
  DataOf,
  EventMap,
  EventName,
  LifecycleEvents,
  RegisteredEvents,
} from './types.js';

/**
 * A live event stream that reconnects by itself. Create one with {@link createClient}.
 *
 * @typeParam E - the event map, the same one the server's `createBroker<E>()` uses.
 */
export interface Client<E extends EventMap = EventMap> {
  /** Where the client is in its life. */
  readonly state: ClientState;
  /** The id of the last event that carried one (`""` when none, or after `id:` with no value). */
  readonly lastEventId: string;
  /** The URL the client connects (and reconnects) to. */
  readonly url: string;
  /**
   * The id of the resumable stream this client reads, once the response that started it named
   * it (`ssekit-stream-id`); reconnects then resume it by `GET` instead of repeating the request.
   */
  readonly streamId: string | undefined;
  /**
   * Listens for a server event by name (`message` for events without an `event:` field).
   * Returns a function that removes the listener.
   *
   * @example
   * ```ts
   * const off = client.on('tick', (data, event) => console.log(data.n, event.id));
   * ```
   */
  on<K extends EventName<E>>(event: K, listener: ClientEventListener<DataOf<E, K>, K>): () => void;
  /**
   * The events of one name as an async iterator. It ends when the client closes (after handing
   * out what it buffered); leaving the loop early removes its listener.
   *
   * @example
   * ```ts
   * for await (const event of client.events('tick')) {
   *   if (event.parsed.n > 9) break;
   * }
   * ```
   */
  events<K extends EventName<E>>(event: K): AsyncIterableIterator<ClientEvent<DataOf<E, K>, K>>;
  /**
   * Listens for a lifecycle event: `open`, `error`, `reconnecting`, `gap` or `close`.
   * Returns a function that removes the listener.
   *
   * @example
   * ```ts
   * client.onLifecycle('reconnecting', ({ attempt, delay }) => console.info(`retry #${attempt} in ${delay} ms`));
   * ```
   */
  onLifecycle<K extends keyof LifecycleEvents>(type: K, listener: (info: LifecycleEvents[K]) => void): () => void;
  /**
   * Closes the stream for good: aborts the request, clears every timer, ends the iterators and
   * sends `close` (once). Safe to call more than once.
   */
  close(): void;
}

/**
 * The options argument of {@link createClient}: required when the event map declares text events
 * (they must be listed in `formats`), optional otherwise.
 */
export type ClientOptionsArgs<E extends EventMap> =
  // biome-ignore lint/complexity/noBannedTypes: `{}` asks whether every option is optional
  {} extends ClientOptions<E> ? [options?: ClientOptions<E>] : [options: ClientOptions<E>];

/**
 * Opens a typed event stream over `fetch` and keeps it open: it reconnects with backoff after
 * errors, drops, stalls and clean ends, sending `Last-Event-ID` so an ssekit server replays what
 * was missed. Works in browsers and in Node >= 20. The first request starts at once.
 *
 * Data is read as JSON unless `formats` says `'text'` for that event (a typed client must say so
 * for every event declared as a string), or a `parse` function is given.
 *
 * @typeParam E - the event map shared with the server: `{ tick: { n: number } }` types `data`.
 *   Default: the client's `Register['events']`, else any event.
 * @typeParam D - what listeners receive: by default the JSON wire shape of `E` (`Date` becomes
 *   `string`, see {@link Jsonify}). With a `parse` deserializer paired with the server's
 *   serializer, pass `E` again: `createClient<Events, Events>(url, { parse })`.
 * @param url - the stream URL (relative URLs work in browsers).
 * @example
 * ```ts
 * type Events = { tick: { n: number; at: Date }; notice: string };
 * const client = createClient<Events>('/events', { formats: { notice: 'text' } });
 * client.on('tick', (data) => console.log(data.n, data.at)); // data.at: string, as JSON carries it
 * client.onLifecycle('gap', () => reload());
 * ```
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model
 */
export function createClient<E extends EventMap = RegisteredEvents, D extends EventMap = WireEvents<E>>(
  url: string | URL,
  ...[options]: ClientOptionsArgs<E>
): Client<D>;
export function createClient(url: string | URL, options: ClientOptions = {}): Client {
  const href = String(url);
  const { signal } = options;
  const retryDelay = options.retryDelay ?? 1_000;
  const maxRetryDelay = options.maxRetryDelay ?? 30_000;
  const retryJitter = options.retryJitter ?? 0.3;
  const maxRetries = options.maxRetries ?? Number.POSITIVE_INFINITY;
  const stallTimeout = options.stallTimeout ?? 45_000;
  const parse = options.parse === false ? undefined : (options.parse ?? parseByFormat(options.formats));
  const method = options.method ?? (options.body == null ? 'GET' : 'POST');
  // Looked up per request and called on globalThis: an unbound `window.fetch` throws "Illegal invocation".
  const doFetch: typeof fetch = (input, init) => (options.fetch ?? globalThis.fetch).call(globalThis, input, init);

  const events = createEmitter();
  const lifecycle = createEmitter();
  let state: ClientState = 'connecting';
  let closed = false;
  let lastEventId = options.lastEventId ?? '';
  let serverRetry: number | undefined;
  let controller: AbortController | undefined;
  let sleepTimer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;
  let streamId: string | undefined;
  let finished: FinishInfo | undefined;

  const finish = (reason: 'client' | 'done' | 'error', error?: SseClientError) => {
    if (closed) return;
    closed = true;
    state = 'closed';
    controller?.abort();
    clearTimeout(sleepTimer);
    wake?.();
    signal?.removeEventListener('abort', onAbort);
    if (error) lifecycle.emit('error', error);
    lifecycle.emit('close', error ? { reason, error } : { reason });
    events.clear();
    lifecycle.clear();
  };
  const onAbort = () => finish('client');

  const dispatch = (message: EventSourceMessage) => {
    if (closed) return;
    // `id:` with no value resets the id, so the next reconnect sends no Last-Event-ID.
    if (message.id !== undefined) lastEventId = message.id;
    const name = message.event || 'message';
    if (name === GAP_EVENT) return lifecycle.emit('gap', readGap(message.data));
    if (streamId !== undefined && (name === DONE_EVENT || name === FAILED_EVENT)) {
      finished = readFinish(name, message.data);
      lifecycle.emit('finish', finished);
    }
    if (!events.has(name)) return;
    let parsed: unknown = message.data;
    if (parse) {
      try {
        parsed = parse(message.data, name);
      } catch (cause) {
        const error = new SseClientError(
          'PARSE',
          options.parse
            ? `The parse option threw on a "${name}" event, which was skipped; fix the parser or the data.`
            : `The data of a "${name}" event is not JSON though formats declares it 'json', so it was skipped; if it is text, set formats: { "${name}": 'text' }.`,
          { cause },
        );
        return lifecycle.emit('error', error);
      }
    }
    const event: ClientEvent = { event: name, data: message.data, id: message.id, parsed };
    events.emit(name, parsed, event);
  };

  const connect = (): Promise<AttemptResult> => {
    const current = new AbortController();
    controller = current;
    // A fresh parser per response: a partial event cut off by a drop must not merge into the next stream.
    const parser = createParser({ onEvent: dispatch, onRetry: (ms) => (serverRetry = ms) });
    // A resumable answer resumes by GET at its own URL: the POST that started it is never repeated.
    const resuming = streamId !== undefined;
    return runAttempt({
      fetch: doFetch,
      url: resuming ? String(options.resumeUrl ? options.resumeUrl(streamId as string) : defaultResumeUrl(href, streamId as string)) : href,
      stallTimeout,
      controller: current,
      async init() {
        const headers = new Headers(typeof options.headers === 'function' ? await options.headers() : options.headers);
        if (!headers.has('accept')) headers.set('accept', 'text/event-stream');
        if (lastEventId) headers.set('last-event-id', utf8Bytes(lastEventId));
        if (resuming) {
          headers.delete('content-type'); // it described the POST's body; the resume has none
          return { method: 'GET', headers, credentials: options.credentials };
        }
        return { method, headers, body: options.body, credentials: options.credentials };
      },
      onOpen(response) {
        if (closed) return;
        streamId ??= response.headers.get(STREAM_ID_HEADER) ?? undefined;
        state = 'open';
        lifecycle.emit('open', { response });
      },
      onText: (text) => parser.feed(text),
    });
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      sleepTimer = setTimeout(resolve, ms);
    });

  const run = async () => {
    let attempt = 0;
    while (!closed) {
      const result = await connect();
      if (closed) return;
      if (result.opened) attempt = 0;
      const { end } = result;
      if (end === 'done' || (end === 'ended' && (options.closeOnEnd || finished))) return finish('done');
      const error =
        end === 'ended'
          ? new SseClientError('CLOSED', 'The server ended the stream; reconnecting. Set closeOnEnd if an ended stream means done.', {
              retryable: true,
            })
          : end;
      if (!error.retryable || ++attempt > maxRetries) return finish('error', error);
      state = 'reconnecting';
      lifecycle.emit('error', error);
      let delay = backoffDelay(attempt, serverRetry ?? retryDelay, maxRetryDelay, retryJitter);
      if (result.retryAfter !== undefined) delay = Math.max(delay, result.retryAfter);
      if (!closed) lifecycle.emit('reconnecting', { attempt, delay, error });
      if (!closed) await sleep(delay);
    }
  };

  if (signal?.aborted) {
    // Closed before it started; the microtask lets listeners added right after creation see `close`.
    queueMicrotask(onAbort);
  } else {
    signal?.addEventListener('abort', onAbort, { once: true });
    void run();
  }

  return {
    get state() {
      return state;
    },
    get lastEventId() {
      return lastEventId;
    },
    url: href,
    get streamId() {
      return streamId;
    },
    on: (name, listener) => events.on(name, listener),
    events: (name) =>
      createEventIterator((push, end) => {
        if (closed) {
          end();
          return () => {};
        }
        const offEvent = events.on(name, (_data: unknown, event: ClientEvent<never, never>) => push(event));
        const offClose = lifecycle.on('close', end);
        return () => {
          offEvent();
          offClose();
        };
      }),
    onLifecycle: (type, listener) => lifecycle.on(type, listener),
    close: () => finish('client'),
  };
}

/**
 * The default parser: each event's data as its `formats` entry says. An event with no entry is
 * read as JSON, and as the text it is when that fails: an event is never dropped for a format
 * nobody declared (ssekit servers write strings as they are, everything else as JSON). Only an
 * event declared `'json'` whose data is not JSON is a `PARSE` error.
 */
function parseByFormat(formats: DataFormats | undefined): DataParser {
  return (data, name) => {
    const format = formats !== undefined && Object.hasOwn(formats, name) ? formats[name] : undefined;
    if (format === 'text') return data;
    if (format === 'json' || data === '') return parseJson(data);
    return parseJsonOrText(data);
  };
}

/**
 * Header values are byte strings, and `Headers` throws on characters above U+00FF. Send the id as
 * its UTF-8 bytes instead, which is what `EventSource` puts on the wire.
 */
function utf8Bytes(text: string): string {
  return String.fromCharCode(...new TextEncoder().encode(text));
}
