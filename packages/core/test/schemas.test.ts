import { openSse, waitFor } from '@ssekit/test-utils';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isSseError } from '../src/index.js';
import { servedBrokers } from './helpers/serve.js';

const start = servedBrokers({ heartbeatInterval: 0 });

describe('schemas (Standard Schema, here zod)', () => {
  it('rejects published data that does not match, sends nothing, and sends what the schema outputs', async () => {
    const price = z.object({ symbol: z.string(), value: z.number() });
    const { broker, served } = await start({ schemas: { price, message: z.string() } });
    const reader = await openSse(`${served.url}?topic=p`);
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    const failure = await broker.publish('p', { event: 'price', data: { symbol: 'ACME', value: 'high' } }).catch((error: unknown) => error);
    expect(isSseError(failure) && failure.code).toBe('INVALID_DATA');
    expect((failure as Error).message).toMatch(/"price" event does not match its schema: value: /);
    await expect(broker.publish('p', { data: 42 })).rejects.toMatchObject({ code: 'INVALID_DATA' });
    // zod strips unknown keys: the output is what goes out.
    await broker.publish('p', { event: 'price', data: { symbol: 'ACME', value: 1, secret: 'x' } as never });
    await broker.publish('p', { event: 'untyped', data: { anything: true } });
    await reader.waitForEvents(2);
    expect(reader.events.map((e) => [e.event, e.data])).toEqual([
      ['price', '{"symbol":"ACME","value":1}'],
      ['untyped', '{"anything":true}'],
    ]);
    expect(broker.stats().published).toBe(2);
    reader.close();
  });

  it('refuses an asynchronous schema at publish (publishes must keep their order)', async () => {
    const slow = z.string().refine(async () => true);
    const { broker } = await start({ schemas: { message: slow } });
    await expect(broker.publish('p', { data: 'x' })).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: expect.stringMatching(/synchronous/),
    });
  });
});
