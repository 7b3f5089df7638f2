import { openSse, testServers } from '@ssekit/test-utils';
import compression from 'compression';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { expressSse } from '../src/index.js';

const servers = testServers();
afterEach(() => servers.closeAll());

describe('@ssekit/express', () => {
  it('delivers events at once behind the compression middleware', async () => {
    const app = express();
    app.use(compression({ threshold: 0 }));
    const sse = expressSse();
    servers.onClose(() => sse.broker.close());
    app.use(sse);
    app.get('/events', async (_req, res) => {
      await res.sse();
    });
    app.get('/json', (_req, res) => {
      res.json({ big: 'x'.repeat(2000) });
    });
    const { url } = await servers.listen(app);
    const reader = await openSse(`${url}/events`, { headers: { 'accept-encoding': 'gzip' } });
    expect(reader.headers['content-encoding']).toBeUndefined();
    await sse.broker.broadcast({ data: 'now' });
    expect((await reader.waitForEvents(1, 1_000))[0]?.data).toBe('now');
    reader.close();
    // compression itself still works for normal routes
    const json = await fetch(`${url}/json`, { headers: { 'accept-encoding': 'gzip' } });
    expect(json.headers.get('content-encoding')).toBe('gzip');
  });

  it('hands admission errors to Express error handlers with status and headers', async () => {
    const app = express();
    const sse = expressSse({ maxConnections: 0, retryAfter: 3 });
    servers.onClose(() => sse.broker.close());
    app.use(sse);
    app.get('/events', async (_req, res) => {
      await res.sse();
    });
    app.use((error: { status: number; message: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(error.status).json({ message: error.message });
    });
    const { url } = await servers.listen(app);
    const response = await fetch(`${url}/events`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ message: 'Too many open streams; retry later.' });
  });

  it('applies err.headers with the default error handler (Retry-After)', async () => {
    const app = express();
    const sse = expressSse({ maxConnections: 0, retryAfter: 3 });
    servers.onClose(() => sse.broker.close());
    app.use(sse);
    app.get('/events', async (_req, res) => {
      await res.sse();
    });
    const { url } = await servers.listen(app);
    const response = await fetch(`${url}/events`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('3');
  });
});

describe('@ssekit/express: the broker it uses, and a missing middleware', () => {
  it('app.use(expressSse()) with no broker: routes publish through res.locals, and app.locals has it', async () => {
    const app = express();
    app.use(expressSse({ heartbeatInterval: 0 }));
    app.get('/events', async (_req, res) => {
      await res.sse({ topics: ['news'] });
    });
    app.post('/news', async (req, res) => {
      const broker = res.locals.sseBroker;
      res.json({ id: await broker?.publish('news', { data: 'fresh' }), same: broker === req.app.locals.sseBroker });
    });
    const { url } = await servers.listen(app);
    servers.onClose(() => app.locals.sseBroker?.close());
    const reader = await openSse(`${url}/events`);
    const published = (await (await fetch(`${url}/news`, { method: 'POST' })).json()) as { id?: string; same: boolean };
    expect(published.id).toBeTypeOf('string');
    expect(published.same).toBe(true);
    expect((await reader.waitForEvents(1))[0]?.data).toBe('fresh');
    reader.close();
  });

  it('res.sse() without the middleware rejects with an SseError that says what to add', async () => {
    const app = express();
    const seen: { name?: string; code?: string; message?: string }[] = [];
    app.get('/events', async (_req, res) => {
      await res.sse();
    });
    app.use((error: Error & { code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      seen.push({ name: error.name, code: error.code, message: error.message });
      res.status(500).end();
    });
    const { url } = await servers.listen(app);
    expect((await fetch(`${url}/events`)).status).toBe(500);
    expect(seen).toEqual([
      {
        name: 'SseError',
        code: 'NOT_INSTALLED',
        message: 'res.sse() needs the ssekit middleware in front of this route: add `app.use(expressSse())` before it.',
      },
    ]);
  });
});
