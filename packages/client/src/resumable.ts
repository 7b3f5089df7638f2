/**
 * Resumable answers (an ssekit server's `{ resumable: true }` streams): the response that
 * started one names it in the `ssekit-stream-id` header; the client then resumes it by `GET`
 * with its `Last-Event-ID` (never re-sending the `POST`, which would start a second answer), and
 * stops once the stream's final event arrived and the response ended.
 */

/** The response header that names a resumable stream (`STREAM_ID_HEADER` in `@ssekit/core`). */
export const STREAM_ID_HEADER = 'ssekit-stream-id';
/** The final event of a resumable stream that completed, was stopped or abandoned. */
export const DONE_EVENT = 'ssekit:done';
/** The final event of a resumable stream whose producer failed or outgrew its caps. */
export const FAILED_EVENT = 'ssekit:error';

/**
 * The `finish` lifecycle event: a resumable stream ended for good. `event` is `ssekit:done`
 * (`data.reason`: `complete`, with the producer's return value as `data.value`; `stopped`;
 * `abandoned`) or `ssekit:error` (`data.reason`: `source-failed`, `limit`, or what the server's
 * `onError` made).
 */
export interface FinishInfo {
  readonly event: typeof DONE_EVENT | typeof FAILED_EVENT;
  /** The final event's data, parsed as JSON (the text when it is not JSON). */
  readonly data: unknown;
}

/**
 * The default resume URL of stream `id` started at `url`: `id` appended as a path segment, the
 * query kept (`POST /answers?x=1` resumes at `GET /answers/<id>?x=1`).
 */
export function defaultResumeUrl(url: string, id: string): string {
  const [path = '', query] = url.split(/\?(.*)/s, 2);
  const base = path.endsWith('/') ? path : `${path}/`;
  return `${base}${encodeURIComponent(id)}${query === undefined ? '' : `?${query}`}`;
}

/** Reads a final event's data: JSON, else the text. */
export function readFinish(event: string, data: string): FinishInfo {
  let parsed: unknown = data;
  try {
    parsed = JSON.parse(data);
  } catch {
    // Servers may send text from their own onError: keep it as it is.
  }
  return { event: event as FinishInfo['event'], data: parsed };
}
