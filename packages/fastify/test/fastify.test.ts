import http2 from 'node:http2';
import net from 'node:net';
import { createBroker } from '@ssekit/core';
import { openSse } from '@ssekit/test-utils';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import ssePluginDefault, { ssePlugin } from '../src/index.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('@ssekit/fastify', () => {
  it('exports the plugin as default too', () => {
    expect(ssePluginDefault).toBe(ssePlugin);
  });

  it('answers 406 on sse-only routes to clients that refuse event streams; dual routes fall through', async () => {
    app = Fastify();
    await app.register(ssePlugin);
    app.get('/only', { eventStream: true }, async (_request, reply) => {
      await reply.eventStream();
    });
    app.get('/dual', async (request, reply) => {
      if (!request.acceptsSse()) return { snapshot: [1, 2, 3] };
      await reply.eventStream();
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const refused = await fetch(`${url}/only`, { headers: { accept: 'application/json' } });
    expect(refused.status).toBe(406);
    expect(await refused.json()).toMatchObject({ statusCode: 406, message: expect.stringContaining('text/event-stream') });
    const json = await fetch(`${url}/dual`, { headers: { accept: 'application/json' } });
    expect(await json.json()).toEqual({ snapshot: [1, 2, 3] });
    const stream = await openSse(`${url}/dual`);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    stream.close();
  });

  it('answers 406 from reply.eventStream() on a route without the eventStream option too, before authorize runs', async () => {
    let authorized = 0;
    app = Fastify();
    await app.register(ssePlugin, { authorize: () => ++authorized });
    app.get('/plain', async (_request, reply) => {
      await reply.eventStream();
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const refused = await fetch(`${url}/plain`, { headers: { accept: 'application/json' } });
    expect(refused.status).toBe(406);
    expect(await refused.json()).toMatchObject({ statusCode: 406, message: expect.stringContaining('text/event-stream') });
    expect(authorized).toBe(0);
  });

  it('throws when given a broker and broker options (they would be ignored)', async () => {
    app = Fastify();
    const broker = createBroker();
    await expect(app.register(ssePlugin, { broker, heartbeatInterval: 1_000 })).rejects.toThrow(/heartbeatInterval would be ignored/);
    await broker.close();
  });

  it('runs onRequest/preHandler hooks (auth) before streaming, and their errors are normal replies', async () => {
    app = Fastify();
    await app.register(ssePlugin);
    app.addHook('preHandler', async (request, reply) => {
      if (request.headers['x-token'] !== 'ok') return reply.code(401).send({ error: 'no token' });
    });
    app.get('/events', async (_request, reply) => {
      const stream = await reply.eventStream();
      stream.send({ data: 'in' });
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const denied = await fetch(`${url}/events`);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ error: 'no token' });
    const allowed = await openSse(`${url}/events`, { headers: { 'x-token': 'ok' } });
    expect((await allowed.waitForEvents(1))[0]?.data).toBe('in');
    allowed.close();
  });

  it('streams over HTTP/2 without hop-by-hop headers', async () => {
    const h2 = Fastify({ http2: true });
    await h2.register(ssePlugin);
    h2.get('/events', async (_request, reply) => {
      const stream = await reply.eventStream();
      stream.send({ event: 'hi', data: 'over h2' });
    });
    const url = await h2.listen({ port: 0, host: '127.0.0.1' });
    const client = http2.connect(url);
    try {
      const request = client.request({ ':path': '/events', accept: 'text/event-stream' });
      const head = await new Promise<http2.IncomingHttpHeaders>((resolve) => request.on('response', resolve));
      expect(head[':status']).toBe(200);
      expect(head['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(head.connection).toBeUndefined();
      expect(head['transfer-encoding']).toBeUndefined();
      let body = '';
      request.setEncoding('utf8');
      await new Promise<void>((resolve) =>
        request.on('data', (chunk: string) => {
          body += chunk;
          if (body.includes('over h2\n\n')) resolve();
        }),
      );
      expect(body).toBe(':\nevent: hi\ndata: over h2\n\n');
      request.close();
    } finally {
      client.close();
      await h2.close();
    }
  });

  it('fastify.close() resolves while streams are open', async () => {
    app = Fastify();
    await app.register(ssePlugin);
    app.get('/events', async (_request, reply) => {
      await reply.eventStream();
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const readers = await Promise.all([openSse(`${url}/events`), openSse(`${url}/events`)]);
    await app.close();
    app = undefined;
    await Promise.all(readers.map((r) => r.done));
    expect(readers.every((r) => r.ended())).toBe(true);
  });

  it('fastify.close() does not wait on a client that connected and never sent a request', async () => {
    app = Fastify();
    await app.register(ssePlugin, { forceCloseAfter: 200 });
    app.get('/events', async (_request, reply) => {
      await reply.eventStream();
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const silent = net.connect((app.server.address() as net.AddressInfo).port, '127.0.0.1');
    silent.on('error', () => {});
    await new Promise((resolve) => silent.once('connect', resolve));
    const closing = app.close();
    app = undefined;
    const timeout = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 2_000));
    try {
      expect(await Promise.race([closing.then(() => 'closed'), timeout])).toBe('closed');
    } finally {
      silent.destroy();
      await closing;
    }
  });
});
