import { SseTransportError } from '@ssekit/core';
import type { RedisClient } from './client.js';

/**
 * Resolves once `client` is connected, or rejects with `SseTransportError` after `timeout` ms
 * (its message says nothing was sent: a publish that fails here was certainly not stored).
 *
 * The writer keeps no offline queue (see connections.ts), so a command sent while it reconnects
 * fails at once. Waiting here first turns a brief reconnect into a short delay instead of an
 * error, and still bounds how long a publish can hang on a Redis that is down.
 */
export function whenReady(client: RedisClient, timeout: number, doing: string): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  // 'wait': a lazy client nobody has connected yet. 'end': its retry strategy gave up; the
  // transport is still open (it checks), so try again rather than fail for good.
  if (client.status === 'wait' || client.status === 'end') client.connect().catch(() => {});
  return connected(client, timeout).then((outcome) => {
    if (outcome === 'ready') return;
    throw new SseTransportError(
      outcome === 'end'
        ? `Cannot ${doing}: Redis is unreachable (the connection gave up reconnecting). Nothing was sent to Redis.`
        : `Cannot ${doing}: Redis is unreachable (not connected after ${timeout} ms). Nothing was sent to Redis.`,
    );
  });
}

/**
 * One wait per client and timeout, shared by every caller meanwhile: a burst of publishes while
 * the connection comes up adds one pair of listeners, not a pair each (Node warns of a possible
 * leak past ten).
 */
const waits = new WeakMap<RedisClient, Map<number, Promise<'ready' | 'end' | 'timeout'>>>();

function connected(client: RedisClient, timeout: number): Promise<'ready' | 'end' | 'timeout'> {
  let byTimeout = waits.get(client);
  if (!byTimeout) {
    byTimeout = new Map();
    waits.set(client, byTimeout);
  }
  const pending = byTimeout.get(timeout);
  if (pending) return pending;
  const wait = new Promise<'ready' | 'end' | 'timeout'>((resolve) => {
    const settle = (outcome: 'ready' | 'end' | 'timeout') => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
      byTimeout.delete(timeout);
      resolve(outcome);
    };
    const onReady = () => settle('ready');
    const onEnd = () => settle('end');
    const timer = setTimeout(() => settle('timeout'), timeout);
    client.on('ready', onReady);
    client.on('end', onEnd);
  });
  byTimeout.set(timeout, wait);
  return wait;
}
