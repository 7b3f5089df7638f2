import { parseRetryAfter } from './backoff.js';
import { SseClientError } from './errors.js';
import { checkResponse } from './response.js';

/** One connection attempt: what to request and where the bytes go. */
export interface Attempt {
  /** The fetch implementation to call. */
  fetch: typeof fetch;
  url: string;
  /** Builds the request (headers may come from an async function); runs inside the attempt. */
  init: () => Promise<RequestInit>;
  /** Milliseconds without a byte before the attempt is aborted as stalled; `0` never. */
  stallTimeout: number;
  /** Aborts the attempt; the client aborts it on `close()`. */
  controller: AbortController;
  /** Called once the answer is a readable event stream. */
  onOpen(response: Response): void;
  /** Called with each decoded chunk of the body. */
  onText(text: string): void;
}

/** How an attempt ended. */
export interface AttemptResult {
  /** True when the stream opened (the backoff starts over). */
  opened: boolean;
  /** `done`: the server said stop (204). `ended`: the body ended cleanly. Otherwise the error. */
  end: 'done' | 'ended' | SseClientError;
  /** Milliseconds the server asked to wait (`Retry-After`), if it did. */
  retryAfter?: number | undefined;
}

/**
 * Runs one attempt: fetches, checks the answer, and streams the body as text until it ends,
 * fails or stalls. Never throws; every way out is an {@link AttemptResult}.
 *
 * The stall timer runs from the start, so a server that never answers counts as stalled too, and
 * is re-armed by every chunk (heartbeat comments included).
 *
 * @example
 * ```ts
 * const result = await runAttempt({ fetch, url, init: async () => ({}), stallTimeout: 45_000,
 *   controller: new AbortController(), onOpen() {}, onText: (text) => parser.feed(text) });
 * ```
 */
export async function runAttempt(attempt: Attempt): Promise<AttemptResult> {
  const { controller, stallTimeout } = attempt;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () =>
        controller.abort(
          new SseClientError(
            'STALLED',
            `No bytes for ${stallTimeout} ms; reconnecting. Keep stallTimeout above the server's heartbeat interval.`,
            { retryable: true },
          ),
        ),
      stallTimeout,
    );
  };
  // setTimeout fires at once for Infinity, so only finite positive timeouts arm it.
  const stalls = stallTimeout > 0 && Number.isFinite(stallTimeout);
  let opened = false;
  try {
    if (stalls) arm();
    const init = await attempt.init();
    const response = await attempt.fetch(attempt.url, { ...init, signal: controller.signal });
    const problem = checkResponse(response);
    if (problem) {
      // Release the connection; the body of a refusal is not needed.
      response.body?.cancel().catch(() => {});
      return { opened, end: problem, retryAfter: parseRetryAfter(response.headers.get('retry-after')) };
    }
    opened = true;
    attempt.onOpen(response);
    const reader = response.body?.getReader();
    // A fresh decoder per response: it drops a leading BOM, as the spec asks, and joins code points
    // split across chunks.
    const decoder = new TextDecoder();
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      if (stalls) arm();
      attempt.onText(decoder.decode(value, { stream: true }));
    }
    return { opened, end: 'ended' };
  } catch (cause) {
    const reason: unknown = controller.signal.reason;
    if (controller.signal.aborted && reason instanceof SseClientError) return { opened, end: reason };
    return {
      opened,
      end: new SseClientError(
        'NETWORK',
        'The request failed or the connection dropped; reconnecting with Last-Event-ID. If it persists, check the URL and the network (and the `headers` function, if any).',
        { cause, retryable: true },
      ),
    };
  } finally {
    clearTimeout(timer);
  }
}
