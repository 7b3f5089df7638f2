// A fresh app written from the README: one `Register` declaration types `sse.broker`, `res.sse()`
// and the hooks, with no generics at any call.
import { reject } from '@ssekit/core';
import { type ExpressStreamRequest, expressSse } from '@ssekit/express';
import express, { type Request } from 'express';
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

const app = express();
const sse = expressSse({
  authorize: (request) => {
    expectTypeOf(request).toEqualTypeOf<ExpressStreamRequest>();
    expectTypeOf(request.raw).toEqualTypeOf<Request>();
    const session = request.raw.headers.cookie?.match(/session=(\w+)/)?.[1];
    return session ? { id: session, name: 'Ada' } : reject(401, 'Sign in first.');
  },
});
app.use(sse);
setInterval(() => sse.broker.publish('clock', { event: 'tick', data: { at: new Date() } }), 2000);
// @ts-expect-error misspelt topic
void sse.broker.publish('clok', { event: 'tick', data: { at: new Date() } });
// @ts-expect-error `clock` does not carry `notice`
void sse.broker.publish('clock', { event: 'notice', data: 'hi' });
// @ts-expect-error misspelt payload field
void sse.broker.broadcast({ event: 'tick', data: { ta: new Date() } });

app.get('/events', async (_req, res) => {
  const stream = await res.sse({ topics: ['clock'] });
  expectTypeOf(stream.principal).toEqualTypeOf<User>();
  stream.send({ event: 'notice', data: 'welcome' });
  // @ts-expect-error misspelt event
  stream.send({ event: 'notise', data: 'welcome' });
  // @ts-expect-error wrong data type
  stream.send({ event: 'notice', data: 42 });
  // @ts-expect-error misspelt topic
  await res.sse({ topics: ['clok'] });
});

// Without `authorize`, the principal is what run time gives: `undefined`.
for (const stream of expressSse().broker.connections()) expectTypeOf(stream.principal).toEqualTypeOf<User | undefined>();

app.listen(0).close();
