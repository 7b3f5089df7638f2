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
