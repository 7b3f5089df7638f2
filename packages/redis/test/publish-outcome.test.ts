/**
 * What a failed publish says: whether Redis may have stored the event. (`flush()` after a
 * publish is in the shared transport suite, contract.test.ts.)
 */
import { isSseError } from '@ssekit/core';
import { startRedis } from '@ssekit/test-utils';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { createRedisTransport } from '../src/index.js';
import { useRedisServer } from './helpers/redis-fixture.js';

const redis = useRedisServer();
const { clients, transports } = redis;

const frame = (n: number) => `data: ${n}\n\n`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function failure(work: () => unknown): Promise<Error> {
  try {
    await work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('Expected a failure');
}

it('says the outcome is unknown when the answer to a publish is lost, and that nothing was stored when Redis was unreachable', async () => {
  const own = await startRedis();
  const admin = new Redis(own.url, { retryStrategy: () => null });
  admin.on('error', () => {});
  clients.push(admin);
  const pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))?.[1]);
  try {
    const node = createRedisTransport({ redis: own.url, streamKey: 'outcome', timeout: 300 });
    transports.push(node);
    await node.publish(['#a'], frame(0)); // connected

    // Redis answered with an error: certainly not stored.
    await admin.set('not-a-stream', 'x');
    const wrong = createRedisTransport({ redis: own.url, streamKey: 'not-a-stream', timeout: 300 });
    transports.push(wrong);
    const rejected = await failure(() => wrong.publish(['#a'], frame(0)));
    expect(rejected.message).toMatch(/Redis did not store the event: .*WRONGTYPE.*It was not published/);

    process.kill(pid, 'SIGSTOP'); // the command reaches the socket, the answer never comes
    const lost = await failure(() => node.publish(['#a'], frame(1)));
    process.kill(pid, 'SIGCONT');
    expect(isSseError(lost) && lost.code).toBe('TRANSPORT_FAILED');
    expect(lost.message).toMatch(/outcome of the publish is unknown/);
    expect(lost.message).toMatch(/may have been stored/);
    expect(lost.message).not.toMatch(/not published|not stored/);
    // Indeed: Redis ran it once it woke up.
    for (const deadline = Date.now() + 2_000; (await admin.xlen('outcome')) < 2 && Date.now() < deadline; ) await sleep(20);
    expect(await admin.xlen('outcome')).toBe(2);

    await own.kill();
    const refused = await failure(() => node.publish(['#a'], frame(2)));
    expect(isSseError(refused) && refused.code).toBe('TRANSPORT_FAILED');
    expect(refused.message).toMatch(/Nothing was sent to Redis/);
    expect(refused.message).not.toMatch(/unknown/);
  } finally {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
    await own.stop();
  }
});
