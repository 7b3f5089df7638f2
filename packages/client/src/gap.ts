/**
 * The event name an ssekit server sends where a client missed events it cannot replay: the
 * `Last-Event-ID` is older than the server's history or unknown to it, or the server lost events
 * while the stream was open (the same value as `GAP_EVENT` in `@ssekit/core`). The client reports it as the `gap` lifecycle event.
 */
export const GAP_EVENT = 'ssekit:gap';

/**
 * The `gap` lifecycle event: events were missed and cannot be replayed. Reload your state (fetch
 * a fresh snapshot); live events follow.
 *
 * @example
 * ```ts
 * client.onLifecycle('gap', ({ reason }) => void reloadTodos(reason));
 * ```
 */
export interface GapInfo {
  /** The `Last-Event-ID` the server could not serve (`null` when the client sent none). */
  lastEventId: string | null;
  /**
   * `expired`: older than the server's history; `unknown`: an id the server never issued;
   * `lost`: the server's backplane lost events while this stream was open (a Redis restart
   * without persistence, for example).
   */
  reason: 'expired' | 'unknown' | 'lost';
}

/** Reads the data of a gap event, tolerating a malformed payload (it still means "reload"). */
export function readGap(data: string): GapInfo {
  let value: { lastEventId?: unknown; reason?: unknown } | null = null;
  try {
    value = JSON.parse(data);
  } catch {
    // A gap is a gap even when its details are unreadable.
  }
  return {
    lastEventId: typeof value?.lastEventId === 'string' ? value.lastEventId : null,
    reason: value?.reason === 'expired' || value?.reason === 'lost' ? value.reason : 'unknown',
  };
}
