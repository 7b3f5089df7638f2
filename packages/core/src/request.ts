/**
 * What core needs to know about an incoming stream request, independent of the framework.
 */
import { SseRejectedError } from './errors.js';

/** A framework-neutral view of the request that opens a stream. */
export interface StreamRequest {
  /** Path and query, as in `req.url` (an absolute URL also works). */
  readonly url: string;
  /** Request method. */
  readonly method: string;
  /** Reads a header by lower-case name; multiple values joined with `, `. */
  header(name: string): string | undefined;
  /**
   * The framework's own request object, for `authorize` hooks: the Fastify request, the Express
   * `req`, the Koa `ctx` or the Hono context (see each adapter's README).
   */
  readonly raw?: unknown;
}

/**
 * The request the admission hooks (`authorize`, `authorizeTopic`, `clientId`) receive: a
 * {@link StreamRequest} whose `raw` is the framework's request `R`, when the adapter is known
 * (the adapters' options set `R`; each adapter exports an alias such as `FastifyStreamRequest`).
 *
 * @typeParam R - the framework's request object; `unknown` keeps `raw` untyped and optional.
 * @example
 * ```ts
 * const authorize = (req: AdmissionRequest<{ cookies: Record<string, string> }>) => sessions.get(req.raw.cookies.sid) ?? false;
 * ```
 */
export type AdmissionRequest<R = unknown> = unknown extends R ? StreamRequest : StreamRequest & { readonly raw: R };

/** Longest `Last-Event-ID` accepted; longer values are treated as unknown ids. */
export const MAX_LAST_EVENT_ID_LENGTH = 256;

/**
 * Reads the id a reconnecting client last saw: the `Last-Event-ID` header, or a `lastEventId`
 * query parameter (for polyfills and browsers that cannot set headers).
 *
 * HTTP stacks decode header bytes as Latin-1; the value is re-decoded as UTF-8 so non-ASCII ids
 * round-trip. Returns `undefined` when absent or empty (a spec client whose last event id is
 * empty sends none, so an empty one asks for nothing to be replayed), `null` when present but
 * unusable (too long).
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#the-last-event-id-header
 */
export function readLastEventId(request: StreamRequest): string | undefined | null {
  const header = request.header('last-event-id');
  const value = header ?? queryParam(request.url, 'lastEventId');
  if (value === undefined || value === '') return undefined;
  if (value.length > MAX_LAST_EVENT_ID_LENGTH) return null;
  return header === undefined ? value : latin1ToUtf8(value);
}

function queryParam(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  const value = new URLSearchParams(url.slice(q + 1)).get(name);
  return value ?? undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function latin1ToUtf8(value: string): string {
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0xff) return value; // already decoded by a UTF-8 aware stack
    bytes[i] = code;
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return value; // not UTF-8: keep the Latin-1 reading
  }
}

/**
 * True when an `Accept` header admits `text/event-stream` (directly, as `text/*` or as `*\/*`
 * with a non-zero quality), or when there is no `Accept` header at all.
 *
 * @example
 * ```ts
 * acceptsEventStream('text/event-stream') // true
 * acceptsEventStream('application/json') // false
 * ```
 */
export function acceptsEventStream(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (range !== 'text/event-stream' && range !== 'text/*' && range !== '*/*') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

/**
 * The 406 refusal for a request whose `Accept` header refuses `text/event-stream`, or `undefined`
 * when it admits it (see {@link acceptsEventStream}). `broker.stream()` checks it first, before
 * any admission hook, so every adapter answers such a client the same way.
 *
 * A route that serves JSON or a stream on one path checks {@link acceptsEventStream} itself and
 * answers JSON before it opens a stream.
 *
 * @example
 * ```ts
 * notAcceptable('application/json')?.status // 406
 * notAcceptable('text/event-stream') // undefined
 * ```
 */
export function notAcceptable(accept: string | undefined): SseRejectedError | undefined {
  if (acceptsEventStream(accept)) return undefined;
  return new SseRejectedError(406, 'This route serves text/event-stream; send `Accept: text/event-stream`.');
}
