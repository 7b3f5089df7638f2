import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';

/** What `on-finished` (Koa's dependency) keeps on a response: one listener and its queue. */
type FinishHook = ((error?: unknown) => void) & { queue?: unknown[] | null };
type Hooked = (ServerResponse | Http2ServerResponse) & { __onFinished?: FinishHook | null };

/**
 * Releases the hook Koa puts on every response, once an event stream owns it.
 *
 * Koa's `handleRequest` calls `onFinished(res, (err) => ctx.onerror(err))` before any middleware
 * runs, so its entry is the first in on-finished's queue. On a stream that hook has nothing left to
 * do but report the client's disconnect (`ECONNRESET`, `EPIPE`) as an app error, and until the
 * socket closes it keeps `ctx`, `ctx.request`, `ctx.response` and on-finished's own listeners on
 * the response and the socket alive: about 2.9 KB per idle stream. So its entry is dropped; when no
 * other middleware waits on the response either, the hook is torn down as on-finished does it
 * itself: calling (not emitting) its `finish` listener cancels every listener it added and runs
 * the now empty queue. Other middleware's entries keep their hook and see the stream end as usual.
 */
export function releaseKoaHook(res: Hooked): void {
  const hook = res.__onFinished;
  const queue = hook?.queue;
  if (typeof hook !== 'function' || !Array.isArray(queue) || queue.length === 0) return;
  queue.shift();
  if (queue.length > 0) return;
  // ee-first's listener (the package on-finished is built on) is named `onevent`.
  const finish = res.listeners('finish').find((listener) => listener.name === 'onevent');
  finish?.call(res);
}
