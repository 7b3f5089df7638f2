import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type AdmissionRequest,
  type Broker,
  type Connection,
  createBroker,
  type EventMap,
  type EventOf,
  type StreamOptions,
  type TopicMap,
  type TopicName,
} from '../src/index.js';

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

type Topics = { prices: 'tick'; news: 'message' | 'ping'; [room: `room:${string}`]: 'message' };

describe('topics tied to their events (checked by `pnpm typecheck`)', () => {
  it('accepts known topics with the events they carry, and refuses the rest', async () => {
    const broker = createBroker<Events, unknown, Topics>();
    await broker.publish('prices', { event: 'tick', data: { n: 1 } });
    await broker.publish('room:42', { data: 'hello' });
    await broker.publish(['news', 'room:1'], { data: 'on both' });
    // @ts-expect-error misspelt topic
    void broker.publish('prises', { event: 'tick', data: { n: 1 } }).catch(() => {});
    // @ts-expect-error `prices` does not carry `ping`
    void broker.publish('prices', { event: 'ping' }).catch(() => {});
    // @ts-expect-error `ping` is on `news` but not on `room:1`
    void broker.publish(['news', 'room:1'], { event: 'ping' }).catch(() => {});
    // @ts-expect-error wrong payload field on a typed topic
    void broker.publish('prices', { event: 'tick', data: { m: 1 } }).catch(() => {});
    expectTypeOf<StreamOptions<Topics>['topics']>().toEqualTypeOf<readonly ('prices' | 'news' | `room:${string}`)[] | undefined>();
    // @ts-expect-error misspelt topic on a connection
    expectTypeOf<Connection<Events, unknown, Topics>['subscribe']>().toBeCallableWith('prises');
    expectTypeOf<Connection<Events, unknown, Topics>['subscribe']>().toBeCallableWith(['news', 'room:7']);
    await broker.close();
  });

  it('untyped topics stay strings', async () => {
    const broker = createBroker<Events>();
    const topic: string = 'anything';
    await broker.publish(topic, { event: 'tick', data: { n: 1 } });
    expectTypeOf<TopicName<TopicMap>>().toEqualTypeOf<string>();
    await broker.close();
  });
});

type User = { id: string; name: string };

describe('an honest principal (checked by `pnpm typecheck`)', () => {
  it('is `P | undefined` without `authorize`, `P` with it, and inferred from it', async () => {
    const without = createBroker<Events, User>();
    expectTypeOf(without).toEqualTypeOf<Broker<Events, User | undefined>>();
    const withHook = createBroker<Events, User>({ authorize: () => ({ id: 'ada', name: 'Ada' }) });
    expectTypeOf(withHook).toEqualTypeOf<Broker<Events, User>>();
    const inferred = createBroker({ authorize: () => ({ id: 'ada', admin: true }) });
    expectTypeOf<ReturnType<typeof inferred.connections>>().toEqualTypeOf<
      IterableIterator<Connection<EventMap, { id: string; admin: boolean }>>
    >();
    await Promise.all([without.close(), withHook.close(), inferred.close()]);
  });

  it('types `request.raw` from the hook that names the framework request', async () => {
    type FrameworkRequest = { cookies: Record<string, string> };
    const broker = createBroker({
      authorize: (req: AdmissionRequest<FrameworkRequest>) => (req.raw.cookies.sid ? { id: req.raw.cookies.sid } : false),
    });
    expectTypeOf<AdmissionRequest['raw']>().toEqualTypeOf<unknown>();
    expectTypeOf<AdmissionRequest<FrameworkRequest>['raw']>().toEqualTypeOf<FrameworkRequest>();
    await broker.close();
  });
});
