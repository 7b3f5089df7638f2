// A fresh app written from the README: one `Register` declaration types the broker and
// `streamEvents()`, with no generics at any call.
import { createBroker, reject } from '@ssekit/core';
import { type HonoStreamRequest, streamEvents } from '@ssekit/hono';
import { type Context, Hono } from 'hono';
import { expectTypeOf } from 'vitest';

type Events = { tick: { at: Date }; notice: string };
type User = { id: string; name: string };

declare module '@ssekit/core' {
  interface Register {
    events: Events;
    principal: User;
    topics: { clock: 'tick'; news: 'notice' };
  }
}

const broker = createBroker({
  authorize: (request: HonoStreamRequest) => {
    expectTypeOf(request.raw).toEqualTypeOf<Context>();
    const session = request.raw.req.header('cookie')?.match(/session=(\w+)/)?.[1];
    return session ? { id: session, name: 'Ada' } : reject(401, 'Sign in first.');
  },
});
const app = new Hono();
setInterval(() => broker.publish('clock', { event: 'tick', data: { at: new Date() } }), 2000);
// @ts-expect-error misspelt topic
void broker.publish('clok', { event: 'tick', data: { at: new Date() } });
// @ts-expect-error `clock` does not carry `notice`
void broker.publish('clock', { event: 'notice', data: 'hi' });
// @ts-expect-error misspelt payload field
void broker.broadcast({ event: 'tick', data: { ta: new Date() } });

app.get('/events', (c) =>
  streamEvents(c, { broker, topics: ['clock'] }, (stream) => {
    expectTypeOf(stream.principal).toEqualTypeOf<User>();
    stream.send({ event: 'notice', data: 'welcome' });
    // @ts-expect-error misspelt event
    stream.send({ event: 'notise', data: 'welcome' });
    // @ts-expect-error wrong data type
    stream.send({ event: 'notice', data: 42 });
  }),
);
// @ts-expect-error misspelt topic
app.get('/typo', (c) => streamEvents(c, { broker, topics: ['clok'] }));

// Without `authorize`, the principal is what run time gives: `undefined`.
for (const stream of createBroker().connections()) expectTypeOf(stream.principal).toEqualTypeOf<User | undefined>();

export default app;
