/**
 * The `ssekit:gap` event: what a client gets in place of events it can no longer receive.
 */

/**
 * The event name sent where events were lost for a client. Its data is
 * `{ "lastEventId": string | null, "reason": "expired" | "unknown" | "lost" }`:
 * - `expired`: a reconnecting client's `Last-Event-ID` is older than the history;
 * - `unknown`: that id was never issued here (another server, a restart, or garbage);
 * - `lost`: the transport lost history while the stream was open (a Redis restart without
 *   persistence, a failover to a replica without the newest writes); `lastEventId` is the last
 *   event the stream had been given.
 *
 * Clients should reload their state when they see it; events after it follow.
 */
export const GAP_EVENT = 'ssekit:gap';

/** Why events are missing: see {@link GAP_EVENT}. */
export type GapReason = 'expired' | 'unknown' | 'lost';

const textEncoder = new TextEncoder();

/** The wire bytes of one gap event. It has no `id`, so the client's `Last-Event-ID` stays. */
export function encodeGap(lastEventId: string | null, reason: GapReason): Uint8Array {
  return textEncoder.encode(`event: ${GAP_EVENT}\ndata: ${JSON.stringify({ lastEventId, reason })}\n\n`);
}
