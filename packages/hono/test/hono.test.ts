import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createBroker } from '@ssekit/core';
import { openSse, waitFor } from '@ssekit/test-utils';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { streamEvents } from '../src/index.js';

describe('@ssekit/hono', () => {
  it('streams through a ReadableStream on Fetch runtimes (app.fetch without node-server)', async () => {
    const broker = createBroker();
    const app = new Hono();
    app.get('/events', (c) => streamEvents(c, { broker }, (stream) => stream.send({ event: 'hi', data: 'web' })));
    const controller = new AbortController();
    const response = await app.fetch(new Request('http://localhost/events', { signal: controller.signal }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('connection')).toBeNull();
    expect(response.headers.get('transfer-encoding')).toBeNull();
    const reader = response.body?.getReader();
    const { value } = (await reader?.read()) ?? {};
    let text = new TextDecoder().decode(value);
    if (text === ':\n') text += new TextDecoder().decode((await reader?.read())?.value);
    // The opening comment, then the event (written together when sent in the same tick).
    expect(text).toBe(':\nevent: hi\ndata: web\n\n');
    expect(broker.stats().connections).toBe(1);
    controller.abort();
    await waitFor(() => broker.stats().connections === 0, 'the aborted stream released');
    await broker.close();
  });

  it('answers refusals itself, status and headers kept, even when a custom app.onError answers every error with 500', async () => {
    const broker = createBroker({ authorize: (request) => request.header('authorization') === 'ok' });
    const full = createBroker({ maxConnections: 0, retryAfter: 2 });
    const app = new Hono();
    app.get('/events', (c) => streamEvents(c, { broker }));
    app.get('/full', (c) => streamEvents(c, { broker: full }));
    const seen: unknown[] = [];
    app.onError((error, c) => {
      seen.push(error);
      return c.json({ message: 'internal error' }, 500);
    });
    const unauthorized = await app.request('/events');
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.text()).toBe('Authentication required.');
    const busy = await app.request('/full');
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('2');
    expect(await busy.text()).toBe('Too many open streams; retry later.');
    expect(seen).toEqual([]);
    await Promise.all([broker.close(), full.close()]);
  });

  it('answers a refusal from another copy of core with its status, not a 500', async () => {
    // The CommonJS build is a second copy of core: its SseRejectedError is another class.
    const otherCopy = createRequire(import.meta.url)('@ssekit/core') as typeof import('@ssekit/core');
    const broker = createBroker({
      authorize: () => {
        throw new otherCopy.SseRejectedError(403, 'Members only.', { 'x-reason': 'membership' });
      },
    });
    const app = new Hono();
    app.get('/events', (c) => streamEvents(c, { broker }));
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/events`);
    expect(response.status).toBe(403);
    expect(response.headers.get('x-reason')).toBe('membership');
    expect(await response.text()).toBe('Members only.');
    await broker.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('an error in onOpen ends the stream and is reported once through the broker onError (node-server path)', async () => {
    const reports: [unknown, string][] = [];
    const broker = createBroker({ onError: (error, context) => reports.push([error, context.phase]) });
    const app = new Hono();
    app.get('/events', (c) =>
      streamEvents(c, { broker }, () => {
        throw new Error('boom');
      }),
    );
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const reader = await openSse(`http://127.0.0.1:${(server.address() as AddressInfo).port}/events`);
    await reader.done;
    expect(reader.events).toEqual([]);
    expect(reader.text()).toBe(':\n');
    expect(reports).toEqual([[new Error('boom'), 'open']]);
    await broker.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
