// A fresh app written from the README: one declaration types the broker, with no generics.
import { type Connection, createBroker, reject } from '@ssekit/core';
import { expectTypeOf } from 'vitest';

type Events = { price: { symbol: string; value: number; at: Date }; notice: string; halt: undefined };
type User = { id: string; name: string };

declare module '@ssekit/core' {
  interface Register {
    events: Events;
    principal: User;
    topics: { prices: 'price' | 'halt'; news: 'notice' };
  }
}

const broker = createBroker({
  authorize: (req) => (req.header('authorization') === 'Bearer ada' ? { id: 'ada', name: 'Ada' } : reject(401, 'Sign in first.')),
});

export async function publishAll(): Promise<void> {
  await broker.publish('prices', { event: 'price', data: { symbol: 'ACME', value: 42, at: new Date() } });
  await broker.publish('prices', { event: 'halt' });
  await broker.publish('news', { event: 'notice', data: 'markets close early' });
  await broker.broadcast({ event: 'notice', data: 'hello everyone' });
  // @ts-expect-error misspelt topic
  await broker.publish('prises', { event: 'price', data: { symbol: 'ACME', value: 42, at: new Date() } });
  // @ts-expect-error misspelt event
  await broker.publish('prices', { event: 'pryce', data: { symbol: 'ACME', value: 42, at: new Date() } });
  // @ts-expect-error `news` does not carry `price`
  await broker.publish('news', { event: 'price', data: { symbol: 'ACME', value: 42, at: new Date() } });
  // @ts-expect-error misspelt payload field
  await broker.broadcast({ event: 'price', data: { symbol: 'ACME', valeu: 42, at: new Date() } });
}

for (const connection of broker.connections()) {
  expectTypeOf(connection).toEqualTypeOf<Connection<Events, User, { prices: 'price' | 'halt'; news: 'notice' }>>();
  expectTypeOf(connection.principal.name).toEqualTypeOf<string>();
  connection.subscribe('news');
  // @ts-expect-error misspelt topic
  connection.subscribe('nwes');
}

// Without `authorize` the principal is honest: it is `undefined` at run time.
const open = createBroker();
for (const connection of open.connections()) expectTypeOf(connection.principal).toEqualTypeOf<User | undefined>();
