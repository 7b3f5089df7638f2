import { openSse, testServers, waitFor } from '@ssekit/test-utils';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { koaSse } from '../src/index.js';

const servers = testServers();
afterEach(() => servers.closeAll());

describe('@ssekit/koa', () => {
  it('emits no app errors (no ERR_STREAM_PREMATURE_CLOSE, no double response) when clients leave', async () => {
    const app = new Koa();
    const errors: unknown[] = [];
    app.on('error', (error) => errors.push(error));
    app.silent = true;
    const sse = koaSse();
    servers.onClose(() => sse.broker.close());
    app.use(sse);
    app.use(async (ctx) => {
      const stream = await ctx.sse();
      stream.send({ data: 'hi' });
    });
    const { url } = await servers.listen(app);
    const readers = await Promise.all(Array.from({ length: 5 }, () => openSse(url)));
    await Promise.all(readers.map((r) => r.waitForEvents(1)));
    for (const r of readers) r.close();
    await waitFor(() => sse.broker.stats().connections === 0, 'streams released');
    // Not a wait for something to happen: a window in which a late error would show (none may).
    await new Promise((r) => setTimeout(r, 50));
    expect(errors).toEqual([]);
  });

  it('answers admission errors the Koa way: status, exposed message, Retry-After', async () => {
    const app = new Koa();
    app.silent = true;
    const sse = koaSse({ maxConnections: 0, retryAfter: 4 });
    servers.onClose(() => sse.broker.close());
    app.use(sse);
    app.use(async (ctx) => {
      await ctx.sse();
    });
    const { url } = await servers.listen(app);
    const response = await fetch(url);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('4');
    expect(await response.text()).toBe('Too many open streams; retry later.');
  });

  it('leaves non-stream routes alone', async () => {
    const app = new Koa();
    const sse = koaSse();
    servers.onClose(() => sse.broker.close());
    app.use(sse);
    app.use((ctx) => {
      ctx.body = { ok: true };
    });
    const { url } = await servers.listen(app);
    expect(await (await fetch(url)).json()).toEqual({ ok: true });
  });
});

describe('@ssekit/koa: the broker it uses, and a missing middleware', () => {
  it('app.use(koaSse()) with no broker: routes publish through ctx.sseBroker, and app.context has it', async () => {
    const app = new Koa();
    app.use(koaSse({ heartbeatInterval: 0 }));
    app.use(async (ctx) => {
      if (ctx.path === '/events') {
        await ctx.sse({ topics: ['news'] });
        return;
      }
      ctx.body = { id: await ctx.sseBroker?.publish('news', { data: 'fresh' }), same: ctx.sseBroker === app.context.sseBroker };
    });
    const { url } = await servers.listen(app);
    servers.onClose(() => app.context.sseBroker?.close());
    const reader = await openSse(`${url}/events`);
    const published = (await (await fetch(`${url}/news`, { method: 'POST' })).json()) as { id?: string; same: boolean };
    expect(published.id).toBeTypeOf('string');
    expect(published.same).toBe(true);
    expect((await reader.waitForEvents(1))[0]?.data).toBe('fresh');
    reader.close();
  });

  it('ctx.sse() without the middleware rejects with an SseError that says what to add', async () => {
    const app = new Koa();
    const seen: { name?: string; code?: string; message?: string }[] = [];
    app.silent = true;
    app.on('error', (error: Error & { code?: string }) => seen.push({ name: error.name, code: error.code, message: error.message }));
    app.use(async (ctx) => {
      await ctx.sse();
    });
    const { url } = await servers.listen(app);
    expect((await fetch(url)).status).toBe(500);
    await waitFor(() => seen.length === 1, 'app error');
    expect(seen).toEqual([
      {
        name: 'SseError',
        code: 'NOT_INSTALLED',
        message: 'ctx.sse() needs the ssekit middleware in front of this route: add `app.use(koaSse())` before it.',
      },
    ]);
  });
});
