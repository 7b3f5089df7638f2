import { describe, expect, expectTypeOf, it } from 'vitest';
import { type Connection, createBroker, type EventOf } from '../src/index.js';

type Events = { tick: { n: number }; message: string; ping: undefined };

describe('typed events (checked by `pnpm typecheck`)', () => {
  it('accepts only declared names with their data types', async () => {
    const broker = createBroker<Events>();
    const ids = [
      await broker.publish('clock', { event: 'tick', data: { n: 1 } }),
      await broker.broadcast({ data: 'a plain message needs no event name' }),
      await broker.send('ada', { event: 'ping' }),
    ];
    // @ts-expect-error unknown event name
    void broker.broadcast({ event: 'tock', data: { n: 1 } }).catch(() => {});
    // @ts-expect-error wrong data type
    void broker.broadcast({ event: 'tick', data: { n: 'one' } }).catch(() => {});
    // @ts-expect-error data is required for tick
    void broker.broadcast({ event: 'tick' }).catch(() => {});
    // Each call was accepted and given its own id.
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^\d+-\d+$/);
    await broker.close();
  });

  it('an untyped broker accepts any event', () => {
    expectTypeOf<EventOf<Record<string, unknown>>>().toMatchTypeOf<{ event?: string; data?: unknown }>();
    expectTypeOf<Connection<Events>['send']>().parameter(0).toEqualTypeOf<EventOf<Events>>();
  });
});
