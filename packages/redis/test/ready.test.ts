/**
 * A burst of publishes made while the transport's connection comes up waits for it together: one
 * pair of listeners on the client, not one per publish (past ten, Node prints a "possible
 * EventEmitter memory leak" warning, which the bench's publishers printed at every start).
 */
import { startRedis } from '@ssekit/test-utils';
import { expect, it } from 'vitest';
import { createRedisTransport } from '../src/index.js';

it('publishes made before the connection is up share one wait for it, and all go through', async () => {
  const redis = await startRedis();
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
  process.on('warning', onWarning);
  const transport = createRedisTransport({ redis: redis.url, streamKey: 'burst' });
  try {
    const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => transport.publish(['#t'], `data: ${i}\n\n`)));
    expect(new Set(ids).size).toBe(50);
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  } finally {
    process.off('warning', onWarning);
    await transport.close();
    await redis.stop();
  }
});
