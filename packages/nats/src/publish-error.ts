import { SseTransportError } from '@ssekit/core';

/**
 * The error a failed publish rejects with, worded after what is known of the event's fate.
 *
 * JetStream certainly did not store it when the server answered with an error (a limit, a
 * permission) or when nothing answered at all for the subject (no stream: `no responders`).
 * Anything else (no acknowledgement within `timeout`, the connection dropping after the message
 * was written) leaves the outcome unknown: it may be in the stream and be delivered, and a retry
 * may duplicate it.
 */
export function publishFailure(cause: unknown): SseTransportError {
  const name = cause instanceof Error ? cause.name : '';
  // InvalidArgumentError: the client refused to send it (larger than the server's max_payload).
  if (name === 'JetStreamApiError' || name === 'PermissionViolationError' || name === 'InvalidArgumentError' || isNoStream(cause)) {
    return new SseTransportError(`NATS did not store the event: ${(cause as Error).message}. It was not published.`, { cause });
  }
  return new SseTransportError(
    'The outcome of the publish is unknown: NATS did not acknowledge it (timeout, or the connection dropped after the event was sent). The event may have been stored and may still be delivered; publishing it again may deliver it twice.',
    { cause },
  );
}

/** True when no stream took the subject (`no responders`, which the client reports as JetStream not enabled). */
export function isNoStream(cause: unknown): boolean {
  if (!(cause instanceof Error)) return false;
  return cause.name === 'JetStreamNotEnabled' || cause.name === 'NoResponders' || cause.name === 'NoRespondersError';
}
