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
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
    };
    const onReady = () => {
      done();
      resolve();
    };
    const onEnd = () => {
      done();
      reject(
        new SseTransportError(`Cannot ${doing}: Redis is unreachable (the connection gave up reconnecting). Nothing was sent to Redis.`),
      );
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new SseTransportError(`Cannot ${doing}: Redis is unreachable (not connected after ${timeout} ms). Nothing was sent to Redis.`),
      );
    }, timeout);
    client.on('ready', onReady);
    client.on('end', onEnd);
  });
}
