import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createBroker } from '@ssekit/core';
import { openSse, waitFor } from '@ssekit/test-utils';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { expect, it } from 'vitest';
import { streamEvents } from '../src/index.js';

// Regression: with middleware matching the route, Hono re-wraps the handler's response and
// @hono/node-server used to answer it again over the open stream.
it.each(['use-star', 'cors', 'after-route'])('on node-server the stream survives middleware around the route (%s)', async (kind) => {
  const broker = createBroker();
  const app = new Hono();
  if (kind === 'use-star')
    app.use('*', async (c, next) => {
      await next();
      c.header('x-after', '1');
    });
  else if (kind === 'cors') app.use('/events', cors({ origin: ['http://a.test'] }));
  app.get('/events', (c) => streamEvents(c, { broker }));
  if (kind === 'after-route')
    app.use('/*', async (_c, next) => {
      await next();
    });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const reader = await openSse(`http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, {
    headers: { origin: 'http://a.test' },
  });
  await waitFor(() => broker.stats().connections === 1, 'stream registered');
  await broker.broadcast({ data: 'after-middleware' });
  const [event] = await reader.waitForEvents(1);
  expect(event?.data).toBe('after-middleware');
  expect(reader.text()).not.toContain('Error');
  reader.close();
  await broker.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
