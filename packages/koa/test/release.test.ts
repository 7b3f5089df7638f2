import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { openRaw, openSse, testServers, waitFor } from '@ssekit/test-utils';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { koaSse } from '../src/index.js';

// on-finished is Koa's own dependency: load the copy Koa uses, as a middleware would.
const onFinished = createRequire(createRequire(import.meta.url).resolve('koa'))('on-finished') as (
  res: ServerResponse,
  listener: (error: unknown) => void,
) => void;

const servers = testServers();
afterEach(() => servers.closeAll());

async function start(app: Koa, sse: ReturnType<typeof koaSse>): Promise<number> {
  servers.onClose(() => sse.broker.close());
  return (await servers.listen(app)).port;
}

const REQUEST = 'GET / HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n';

describe('@ssekit/koa releases Koa once the stream owns the response', () => {
  it('does not report a client that resets its connection as an app error', async () => {
    const app = new Koa();
    const errors: unknown[] = [];
    app.on('error', (error) => errors.push(error));
    const sse = koaSse();
    app.use(sse);
    app.use(async (ctx) => {
      await ctx.sse();
    });
    const port = await start(app, sse);
    const clients = await Promise.all(Array.from({ length: 3 }, () => openRaw(port, REQUEST)));
    await Promise.all(clients.map((c) => c.until((text) => text.includes('\r\n\r\n'))));
    await waitFor(() => sse.broker.stats().connections === 3, 'streams open');
    for (const c of clients) c.socket.resetAndDestroy();
    await waitFor(() => sse.broker.stats().connections === 0, 'streams released');
    // Not a wait for something to happen: a window in which a late error would show (none may).
    await new Promise((r) => setTimeout(r, 100));
    expect(errors).toEqual([]);
  });

  it('lets an idle stream drop ctx, and still tells other on-finished users when it ends', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) throw new Error('run with --expose-gc');
    const app = new Koa();
    const finished: unknown[] = [];
    let context: WeakRef<object> | undefined;
    const sse = koaSse();
    app.use(async (ctx, next) => {
      if (ctx.path === '/logged') onFinished(ctx.res, (error) => finished.push(error ?? 'ok'));
      await next();
    });
    app.use(sse);
    app.use(async (ctx) => {
      context = new WeakRef(ctx);
      await ctx.sse();
    });
    const port = await start(app, sse);
    const idle = await openSse(`http://127.0.0.1:${port}/`);
    await waitFor(() => sse.broker.stats().connections === 1, 'stream open');
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      gc();
    }
    expect(context?.deref()).toBeUndefined();

    const logged = await openRaw(port, REQUEST.replace('GET /', 'GET /logged'));
    await waitFor(() => sse.broker.stats().connections === 2, 'second stream open');
    expect(finished).toEqual([]);
    logged.socket.destroy();
    await waitFor(() => finished.length === 1, 'the other listener told');
    idle.close();
  });
});
