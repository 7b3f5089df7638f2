// A Fastify app that has both `@fastify/sse` and `@ssekit/fastify` (as during a migration): it must
// compile (this file is type-checked with both packages' declarations in one program) and both
// plugins must register and serve their own routes.
import { fastifySSE } from '@fastify/sse';
import { openSse } from '@ssekit/test-utils';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { ssePlugin } from '../src/index.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('beside @fastify/sse', () => {
  it('compiles and serves both plugins in one app', async () => {
    app = Fastify();
    await app.register(fastifySSE, { heartbeatInterval: 0 });
    await app.register(ssePlugin, { heartbeatInterval: 0 });
    app.get('/theirs', { sse: true }, async (_request, reply) => {
      expectTypeOf(reply.sse.send).toBeFunction();
      await reply.sse.send({ event: 'theirs', data: 'from @fastify/sse' });
      reply.sse.close();
    });
    app.get('/ours', { eventStream: true }, async (_request, reply) => {
      const stream = await reply.eventStream();
      stream.send({ event: 'ours', data: 'from @ssekit/fastify' });
      stream.close();
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const ours = await openSse(`${url}/ours`);
    expect((await ours.waitForEvents(1))[0]).toMatchObject({ event: 'ours', data: 'from @ssekit/fastify' });
    ours.close();
    const theirs = await openSse(`${url}/theirs`);
    expect((await theirs.waitForEvents(1))[0]).toMatchObject({ event: 'theirs', data: '"from @fastify/sse"' }); // it JSON-encodes strings
    theirs.close();
  });
});
