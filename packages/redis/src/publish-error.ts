import { SseTransportError } from '@ssekit/core';
import { ReplyError } from 'ioredis';

/**
 * The error a failed publish rejects with, worded after what is known of the event's fate.
 *
 * Redis certainly did not store it when the command was never sent (the writer keeps no offline
 * queue and refuses commands while disconnected) or when Redis answered with an error (the
 * script stops at its first failing call, and `XADD` is its first write). Anything else (no
 * answer within `timeout`, the connection dropping after the command was written) leaves the
 * outcome unknown: the entry may be in the stream and be delivered, and a retry may duplicate it.
 */
export function publishFailure(cause: unknown): SseTransportError {
  // Already worded by the publish script (a replica did not acknowledge in time).
  if (cause instanceof SseTransportError) return cause;
  if (cause instanceof Error && (cause instanceof ReplyError || cause.name === 'ReplyError')) {
    return new SseTransportError(`Redis did not store the event: ${cause.message}. It was not published.`, { cause });
  }
  // ioredis refused to send: the writer was not connected (no offline queue, see connections.ts).
  if (cause instanceof Error && /isn't writeable|isn't ready and enableOfflineQueue/.test(cause.message)) {
    return notSent('the Redis connection is down', cause);
  }
  return new SseTransportError(
    'The outcome of the publish is unknown: Redis did not answer (timeout, or the connection dropped after the event was sent). The event may have been stored and may still be delivered; publishing it again may deliver it twice.',
    { cause },
  );
}

/** The error for a publish that was never sent to Redis. */
export function notSent(detail: string, cause?: unknown): SseTransportError {
  return new SseTransportError(`Cannot publish: ${detail}. Nothing was sent to Redis; the event was not stored.`, { cause });
}
