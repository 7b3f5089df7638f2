// A fresh app written from the README: one `Register` declaration types `sse.broker`, `ctx.sse()`
// and the hooks, with no generics at any call.
import Router from '@koa/router';
import { reject } from '@ssekit/core';
import { type KoaStreamRequest, koaSse } from '@ssekit/koa';
import Koa, { type Context } from 'koa';
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

const app = new Koa();
const router = new Router();
const sse = koaSse({
  authorize: (request) => {
    expectTypeOf(request).toEqualTypeOf<KoaStreamRequest>();
    expectTypeOf(request.raw).toEqualTypeOf<Context>();
    const session = request.raw.cookies.get('session');
    return session ? { id: session, name: 'Ada' } : reject(401, 'Sign in first.');
  },
});
setInterval(() => sse.broker.publish('clock', { event: 'tick', data: { at: new Date() } }), 2000);
// @ts-expect-error misspelt topic
void sse.broker.publish('clok', { event: 'tick', data: { at: new Date() } });
// @ts-expect-error `clock` does not carry `notice`
void sse.broker.publish('clock', { event: 'notice', data: 'hi' });
// @ts-expect-error misspelt payload field
void sse.broker.broadcast({ event: 'tick', data: { ta: new Date() } });

router.get('/events', async (ctx) => {
  const stream = await ctx.sse({ topics: ['clock'] });
  expectTypeOf(stream.principal).toEqualTypeOf<User>();
  stream.send({ event: 'notice', data: 'welcome' });
  // @ts-expect-error misspelt event
  stream.send({ event: 'notise', data: 'welcome' });
  // @ts-expect-error wrong data type
  stream.send({ event: 'notice', data: 42 });
  // @ts-expect-error misspelt topic
  await ctx.sse({ topics: ['clok'] });
});
app.use(sse).use(router.routes());

// Without `authorize`, the principal is what run time gives: `undefined`.
for (const stream of koaSse().broker.connections()) expectTypeOf(stream.principal).toEqualTypeOf<User | undefined>();

app.listen(0).close();
