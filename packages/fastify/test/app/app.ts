// A fresh app written from the README: one `Register` declaration types `fastify.sseBroker`,
// `reply.eventStream()` and the hooks, with no generics at any call.
import { createBroker, reject } from '@ssekit/core';
import { type FastifyStreamRequest, ssePlugin } from '@ssekit/fastify';
import Fastify, { type FastifyRequest } from 'fastify';
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

const app = Fastify();
await app.register(ssePlugin, {
  authorize: (request) => {
    expectTypeOf(request).toEqualTypeOf<FastifyStreamRequest>();
    expectTypeOf(request.raw).toEqualTypeOf<FastifyRequest>();
    const session = request.raw.headers.cookie?.match(/session=(\w+)/)?.[1];
    return session ? { id: session, name: 'Ada' } : reject(401, 'Sign in first.');
  },
  // @ts-expect-error the registered principal has no `admin`
  authorizeTopic: (_topic, principal) => principal.admin,
});

setInterval(() => app.sseBroker.publish('clock', { event: 'tick', data: { at: new Date() } }), 2000);
// @ts-expect-error misspelt topic
void app.sseBroker.publish('clok', { event: 'tick', data: { at: new Date() } });
// @ts-expect-error `clock` does not carry `notice`
void app.sseBroker.publish('clock', { event: 'notice', data: 'hi' });
// @ts-expect-error misspelt payload field
void app.sseBroker.broadcast({ event: 'tick', data: { ta: new Date() } });

app.get('/events', { eventStream: true }, async (_request, reply) => {
  const stream = await reply.eventStream({ topics: ['clock'] });
  expectTypeOf(stream.principal).toEqualTypeOf<User>();
  stream.send({ event: 'notice', data: 'welcome' });
  // @ts-expect-error misspelt event
  stream.send({ event: 'notise', data: 'welcome' });
  // @ts-expect-error wrong data type
  stream.send({ event: 'notice', data: 42 });
  // @ts-expect-error misspelt topic
  await reply.eventStream({ topics: ['clok'] });
});

// @ts-expect-error a broker of other events than the registered ones
await Fastify().register(ssePlugin, { broker: createBroker<{ other: number }>() });

await app.listen({ port: 0 });
await app.close();
