import type { ClientOptions } from '@ssekit/client';
import { SseReactError } from './errors.js';
import type { StreamOptions } from './types.js';

/** One connection as the registry sees it: where it goes, with what, and its identity. */
export interface StreamTarget {
  /** Equal for hooks that may share one connection. */
  readonly key: string;
  /** The URL with the topics in its query. */
  readonly href: string;
  /** The options the shared client is created with (the function ones are called through refs). */
  readonly options: StreamOptions;
}

const FUNCTION = '[function]';

/**
 * Describes the connection a hook asks for. Two hooks get the same `key` when their URL, sorted
 * topics and comparable options are equal; functions count only as present or absent, as inline
 * ones differ on every render.
 *
 * @throws SseReactError `UNCOMPARABLE_OPTION` for a body that is not a string or
 *   `URLSearchParams`, unless `key` is given.
 */
export function describeStream(url: string | URL, options: StreamOptions): StreamTarget {
  const topics = [...new Set(options.topics ?? [])].sort();
  const href = withTopics(String(url), options.topicParam ?? 'topic', topics);
  const target = { href, options };
  if (options.key !== undefined) return { ...target, key: `key:${options.key}` };
  const { body, headers, formats } = options;
  let bodyKey: string | null = null;
  if (typeof body === 'string') bodyKey = body;
  else if (body instanceof URLSearchParams) bodyKey = body.toString();
  else if (body != null) {
    throw new SseReactError(
      'UNCOMPARABLE_OPTION',
      'useEventStream cannot compare this body (a FormData, Blob or stream) to tell which components may share the connection; pass a `key` option that names the stream.',
    );
  }
  const identity = [
    href,
    options.method ?? null,
    bodyKey,
    options.credentials ?? null,
    typeof headers === 'function' ? FUNCTION : headers === undefined ? null : [...new Headers(headers)].sort(),
    options.lastEventId ?? null,
    formats === undefined ? null : Object.entries(formats).sort(),
    typeof options.parse === 'function' ? FUNCTION : (options.parse ?? null),
    options.fetch ? FUNCTION : null,
    options.retryDelay ?? null,
    options.maxRetryDelay ?? null,
    options.retryJitter ?? null,
    options.maxRetries ?? null,
    options.stallTimeout ?? null,
    options.closeOnEnd ?? false,
  ];
  return { ...target, key: JSON.stringify(identity) };
}

/** The options the shared client gets: `latest()` returns the latest options given for the stream. */
export function clientOptionsOf(target: StreamTarget, latest: () => StreamOptions): ClientOptions {
  const { topics, topicParam, key, ...options } = target.options;
  const { headers, fetch, parse } = options;
  return {
    ...options,
    headers: typeof headers === 'function' ? () => (latest().headers as typeof headers)() : headers,
    // Called on globalThis: an unbound `window.fetch` throws "Illegal invocation".
    fetch: fetch ? (input, init) => (latest().fetch ?? globalThis.fetch).call(globalThis, input, init) : undefined,
    parse: typeof parse === 'function' ? (data, name) => (latest().parse as typeof parse)(data, name) : parse,
  } as ClientOptions;
}

/** `url` with each topic appended as `param=topic` to its query (before any `#fragment`). */
function withTopics(url: string, param: string, topics: readonly string[]): string {
  if (topics.length === 0) return url;
  const hash = url.indexOf('#');
  const [base, fragment] = hash === -1 ? [url, ''] : [url.slice(0, hash), url.slice(hash)];
  const query = topics.map((topic) => `${encodeURIComponent(param)}=${encodeURIComponent(topic)}`).join('&');
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}${query}${fragment}`;
}
