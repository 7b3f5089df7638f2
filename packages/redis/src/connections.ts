import type { Redis } from 'ioredis';
import type { ResolvedOptions } from './options.js';

/**
 * The two connections a transport opens, both `duplicate()`s of the client it was given (same
 * host, auth, TLS, retry strategy): the given client itself is never used nor closed.
 */

/** A name for `CLIENT LIST`, after the template's own when it has one. */
function nameFor(template: Redis, role: string): string {
  const base = template.options.connectionName;
  return base ? `${base}:ssekit-${role}` : `ssekit-${role}`;
}

/**
 * The connection `publish` and `replay` use. It fails fast instead of queueing: no offline
 * queue, and a command in flight when the connection drops is rejected at once and never re-sent
 * after the reconnect. So a publish that rejected is not stored later behind the caller's back.
 * Concurrent publishes share writes (auto-pipelining).
 */
export function openWriter(template: Redis, options: ResolvedOptions): Redis {
  const writer = template.duplicate({
    connectionName: nameFor(template, 'writer'),
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.timeout,
    enableAutoPipelining: true,
    lazyConnect: false,
  });
  // ioredis emits 'error' on every failed reconnect; unheard, Node would throw it.
  writer.on('error', (error: unknown) => options.onError(error));
  return writer;
}

/**
 * The connection of the blocking read loop. Its `XREAD` waits through reconnects (it would only
 * be sent again), and outlives the client's per-command timeout, if it has one.
 */
export function openReader(template: Redis, options: ResolvedOptions): Redis {
  const { commandTimeout } = template.options;
  const reader = template.duplicate({
    connectionName: nameFor(template, 'reader'),
    commandTimeout: commandTimeout === undefined ? undefined : commandTimeout + options.blockTimeout,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: true,
    enableAutoPipelining: false,
    lazyConnect: false,
  });
  reader.on('error', (error: unknown) => options.onError(error));
  return reader;
}
