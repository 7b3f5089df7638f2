/**
 * Security defaults on every adapter: CORS allowlists (a disallowed origin gets no
 * Access-Control-Allow-Origin), tokens in the Authorization header rather than the URL, private
 * sends that another client cannot replay, and no raw error text written to clients when an
 * `authorize` hook throws.
 */
import { createClient } from '@ssekit/client';
import { type Broker, createBroker, reject } from '@ssekit/core';
import { openSse } from '@ssekit/test-utils';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ADAPTERS, CORS_ORIGIN, type RunningApp, startApp } from '../src/adapters.js';
import { adapterFigures } from '../src/figures.js';
import { sleep, until } from '../src/metrics.js';
import { answered, exchange, getRequest } from '../src/raw-http.js';

const { note, flush } = adapterFigures('security', 'Security defaults', ADAPTERS);
afterAll(flush);

const SECRET = 'db password=hunter2 at 10.0.0.3';

describe.each(ADAPTERS)('%s security defaults', (name) => {
  const apps: RunningApp[] = [];
  const start = async (broker: Broker) => {
    const app = await startApp(name, { broker });
    apps.push(app);
    return app;
  };
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('CORS: an allowlisted origin is echoed (never *), a disallowed origin gets no Access-Control-Allow-Origin', async () => {
    const app = await start(createBroker({ heartbeatInterval: 0, closeTimeout: 500 }));
    const allowed = await exchange(app.port, getRequest('/events', [`Origin: ${CORS_ORIGIN}`]), { until: answered(0), timeout: 500 });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe(CORS_ORIGIN);
    const evil = await exchange(app.port, getRequest('/events', ['Origin: http://evil.test']), { until: answered(0), timeout: 500 });
    expect(evil.status).toBe(200);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    expect(evil.headers['access-control-allow-credentials']).toBeUndefined();
    const preflight = (origin: string) =>
      exchange(
        app.port,
        `OPTIONS /events HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${origin}\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: authorization, last-event-id\r\nConnection: close\r\n\r\n`,
      );
    const okPreflight = await preflight(CORS_ORIGIN);
    const evilPreflight = await preflight('http://evil.test');
    expect(okPreflight.headers['access-control-allow-origin']).toBe(CORS_ORIGIN);
    expect(evilPreflight.headers['access-control-allow-origin']).toBeUndefined();
    note('CORS, disallowed origin: stream / preflight status, ACAO header', name, `${evil.status} / ${evilPreflight.status}, none`);
  });

  it('tokens travel in the Authorization header, never the URL: the client sends headers, a URL token is refused', async () => {
    const urls: string[] = [];
    const broker = createBroker<Record<string, unknown>, { id: string }>({
      heartbeatInterval: 0,
      closeTimeout: 500,
      authorize: (request) => {
        urls.push(request.url);
        const token = request.header('authorization')?.replace(/^Bearer /, '');
        return token ? { id: token } : false;
      },
    }) as unknown as Broker;
    const app = await start(broker);
    const inUrl = await exchange(app.port, getRequest('/events?access_token=ada&token=ada'), { until: answered(1) });
    expect(inUrl.status).toBe(401);
    expect(inUrl.text).toContain('Authentication required.');
    let tokenCalls = 0;
    const client = createClient(`${app.url}/events?topic=t`, {
      headers: () => {
        tokenCalls++;
        return { authorization: 'Bearer ada' };
      },
      retryDelay: 50,
      retryJitter: 0,
      formats: { message: 'text' },
    });
    try {
      const got: string[] = [];
      client.on('message', (_data, event) => got.push(event.data));
      await until(() => client.state === 'open', 'client open');
      await broker.publish('t', { data: 'hello' });
      await until(() => got.length === 1, 'event received');
      // A reconnect asks for headers again (a refreshed token), and the URL stays token-free.
      for (const connection of [...broker.connections()]) connection.close();
      await until(() => tokenCalls === 2 && client.state === 'open', 'reconnected with a fresh token');
      expect(urls.slice(1).every((url) => !/token|bearer|ada/i.test(url))).toBe(true);
      expect([...broker.connections()].map((c) => c.clientId)).toEqual(['ada']);
    } finally {
      client.close();
    }
    note('token in URL / in Authorization header', name, `${inUrl.status} / 200`);
  });

  it("a Last-Event-ID of another client's private event replays nothing of it", async () => {
    const broker = createBroker<Record<string, unknown>, { id: string }>({
      heartbeatInterval: 0,
      closeTimeout: 500,
      authorize: (request) => {
        const token = request.header('authorization')?.replace(/^Bearer /, '');
        return token ? { id: token } : false;
      },
    }) as unknown as Broker;
    const app = await start(broker);
    const ada = await openSse(`${app.url}/events`, { headers: { authorization: 'Bearer ada' } });
    await until(() => broker.stats().connections === 1, 'ada open');
    const firstId = await broker.send('ada', { event: 'dm', data: 'secret 1' });
    await broker.send('ada', { event: 'dm', data: 'secret 2' });
    await ada.waitForEvents(2);
    ada.close();
    const mallory = await openSse(`${app.url}/events`, { headers: { authorization: 'Bearer mallory', 'last-event-id': firstId } });
    await sleep(150);
    expect(mallory.events.map((e) => e.data).join()).not.toContain('secret');
    mallory.close();
  });

  // Express outside production prints an error's stack on its error page: a refusal's stack is
  // its message line alone.
  it('a refusal answers with its safe message only, never a stack', async () => {
    const broker = createBroker({
      heartbeatInterval: 0,
      authorize: (request) => (request.header('authorization') ? reject(403, 'This token may not open streams.') : false),
    });
    const app = await start(broker);
    const none = await exchange(app.port, getRequest('/events', ['Connection: close']));
    const forbidden = await exchange(app.port, getRequest('/events', ['Authorization: Bearer x', 'Connection: close']));
    expect([none.status, forbidden.status]).toEqual([401, 403]);
    note('refusal body (401 / 403)', name, /\bat .*:\d+:\d+/.test(none.text + forbidden.text) ? 'message + stack' : 'message only');
    for (const answer of [none, forbidden]) expect(answer.text).not.toMatch(/\bat .*:\d+:\d+/);
    expect(forbidden.text).toContain('This token may not open streams.');
  });

  // Fastify's default error handler writes a 500's message, Express's (outside production) its
  // stack: the broker wraps a hook's own error in SseHookError, whose message and stack are safe.
  it('an authorize hook that throws a plain Error: 500 without its message or stack', async () => {
    const broker = createBroker({
      heartbeatInterval: 0,
      authorize: async () => {
        throw new Error(SECRET);
      },
    });
    const app = await start(broker);
    const answer = await exchange(app.port, getRequest('/events', ['Connection: close']));
    const leaked = answer.text.includes('hunter2') ? (/\bat .*:\d+:\d+/.test(answer.text) ? 'message + stack' : 'message') : 'nothing';
    note('authorize throws a plain Error: status, what reaches the client', name, `${answer.status}, ${leaked}`);
    expect(answer.status).toBe(500);
    expect(answer.text).not.toContain('hunter2');
    expect(answer.text).not.toMatch(/\bat .*:\d+:\d+/);
  });
});

describe('error handlers of your own', () => {
  it('get the hook failure with its original error as cause (fastify), and production express leaks nothing', async () => {
    const { default: Fastify } = await import('fastify');
    const { ssePlugin } = await import('@ssekit/fastify');
    const fastify = Fastify();
    const throwing = () =>
      createBroker({
        heartbeatInterval: 0,
        authorize: () => {
          throw new Error(SECRET);
        },
      });
    await fastify.register(ssePlugin, { broker: throwing() });
    const handled: unknown[] = [];
    fastify.setErrorHandler((error: { statusCode?: number; expose?: boolean; message: string }, _request, reply) => {
      handled.push(error);
      const status = error.statusCode ?? 500;
      // SseRejectedError sets `expose`: its message is written for clients.
      void reply.code(status).send({ error: status < 500 && error.expose ? error.message : 'Internal Server Error' });
    });
    fastify.get('/events', async (_request, reply) => {
      await reply.eventStream({});
    });
    const url = await fastify.listen({ port: 0, host: '127.0.0.1' });
    const fastifyAnswer = await exchange(Number(new URL(url).port), getRequest('/events', ['Connection: close']));
    await fastify.close();

    const { default: express } = await import('express');
    const { expressSse } = await import('@ssekit/express');
    const app = express();
    app.set('env', 'production');
    app.use(expressSse({ broker: throwing() }));
    app.get('/events', async (_req, res) => {
      await res.sse({});
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const address = server.address();
    const expressAnswer = await exchange(
      typeof address === 'object' && address ? address.port : 0,
      getRequest('/events', ['Connection: close']),
    );
    await new Promise((resolve) => server.close(resolve));

    for (const answer of [fastifyAnswer, expressAnswer]) {
      expect(answer.status).toBe(500);
      expect(answer.text).not.toContain('hunter2');
    }
    // What the server logs keeps the whole story.
    expect(handled).toEqual([
      expect.objectContaining({ code: 'HOOK_FAILED', hook: 'authorize', cause: expect.objectContaining({ message: SECRET }) }),
    ]);
  });
});
