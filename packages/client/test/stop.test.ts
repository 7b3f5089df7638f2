import { createBroker } from '@ssekit/core';
import { waitFor } from '@ssekit/test-utils';
import { describe, expect, it } from 'vitest';
import { type Client, createClient, isSseClientError, SseClientError } from '../src/index.js';
import { next, recordLifecycle, track } from './helpers/clients.js';
import { delay, serve, streamFrom } from './helpers/server.js';

/** Timers keeping the event loop alive: none of the client's may outlive `close()`. */
const activeTimers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe('answers that stop the client', () => {
  it('stops on 204 without an error and without retrying', async () => {
    const served = await serve((_req, res) => {
      res.writeHead(204).end();
    });
    const client = track(served.url);
    const log = recordLifecycle(client);
    expect(await next(client, 'close')).toEqual({ reason: 'done' });
    await delay(100);
    expect(served.requests).toHaveLength(1);
    expect(client.state).toBe('closed');
    expect(log.map(([type]) => type)).toEqual(['close']);
  });

  it('gives a typed HTTP_STATUS error on 401 and does not retry', async () => {
    const broker = createBroker({ authorize: () => false });
    const served = await serve(streamFrom(broker));
    const client = track(served.url);
    const log = recordLifecycle(client);
    const closed = await next(client, 'close');
    await delay(100);
    expect(served.requests).toHaveLength(1);
    expect(closed.reason).toBe('error');
    const error = closed.error;
    expect(error).toBeInstanceOf(SseClientError);
    expect(isSseClientError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'SseClientError', code: 'HTTP_STATUS', status: 401, retryable: false });
    expect(error?.message).toMatch(/not retried; check the URL, method, headers and credentials/);
    expect(log.map(([type]) => type)).toEqual(['error', 'close']);
    expect(client.state).toBe('closed');
    await broker.close();
  });

  it('does not retry a 404', async () => {
    const served = await serve((_req, res) => {
      res.writeHead(404).end();
    });
    const client = track(served.url);
    expect((await next(client, 'close')).error).toMatchObject({ code: 'HTTP_STATUS', status: 404 });
    expect(served.requests).toHaveLength(1);
  });

  it('gives a CONTENT_TYPE error with status and content type for anything but text/event-stream', async () => {
    const served = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<h1>login</h1>');
    });
    const client = track(served.url);
    const closed = await next(client, 'close');
    expect(closed.error).toMatchObject({ code: 'CONTENT_TYPE', status: 200, contentType: 'text/html; charset=utf-8', retryable: false });
    await delay(50);
    expect(served.requests).toHaveLength(1);
  });

  it('accepts the content type with parameters and in any case', async () => {
    const served = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'Text/Event-Stream; charset=UTF-8' }).write('data: 1\n\n');
    });
    const client = track(served.url);
    await next(client, 'open');
  });
});

describe('close() and signal', () => {
  it('close() aborts the stream, releases the server connection and leaves no timer', async () => {
    const broker = createBroker({ heartbeatInterval: 0 });
    const served = await serve(streamFrom(broker));
    const timersBefore = activeTimers();
    const client = track(served.url);
    const log = recordLifecycle(client);
    await next(client, 'open');
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    client.close();
    client.close();
    expect(client.state).toBe('closed');
    await waitFor(() => broker.stats().connections === 0, 'server saw the client leave');
    await broker.broadcast({ data: 'after close' });
    await delay(50);
    expect(log.map(([type]) => type)).toEqual(['open', 'close']);
    expect(log[1]?.[1]).toEqual({ reason: 'client' });
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
    expect(served.requests).toHaveLength(1);
    await broker.close();
  });

  it('close() during the backoff wait cancels the reconnect', async () => {
    const served = await serve((_req, res) => {
      res.writeHead(503).end();
    });
    const timersBefore = activeTimers();
    const client = track(served.url, { retryDelay: 10_000, maxRetryDelay: 10_000 });
    await next(client, 'reconnecting');
    const waiting = activeTimers();
    expect(waiting).toBeGreaterThan(timersBefore);
    client.close();
    await waitFor(() => activeTimers() <= timersBefore, 'the backoff timer cleared');
    expect(served.requests).toHaveLength(1);
  });

  it('aborting the signal closes the client, also while a request hangs', async () => {
    const served = await serve(() => {
      // Never answers: the client is stuck waiting for the head.
    });
    const timersBefore = activeTimers();
    const controller = new AbortController();
    const client = track(served.url, { signal: controller.signal });
    await waitFor(() => served.requests.length === 1, 'request sent');
    const closed = next(client, 'close');
    controller.abort();
    expect(await closed).toEqual({ reason: 'client' });
    expect(client.state).toBe('closed');
    await waitFor(() => activeTimers() <= timersBefore, "the client's timers cleared");
  });

  it('never connects with an already aborted signal', async () => {
    let calls = 0;
    const client = createClient('http://127.0.0.1:9/', {
      signal: AbortSignal.abort(),
      fetch: () => {
        calls++;
        return new Promise<Response>(() => {});
      },
    });
    expect(await next(client, 'close')).toEqual({ reason: 'client' });
    expect(calls).toBe(0);
  });

  it('a listener may close the client mid-chunk; later events are not delivered', async () => {
    const served = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' }).write('data: 1\n\ndata: 2\n\ndata: 3\n\n');
    });
    const client = track<{ message: number }>(served.url);
    const seen: number[] = [];
    client.on('message', (n) => {
      seen.push(n);
      if (n === 2) client.close();
    });
    await next(client, 'close');
    await delay(30);
    expect(seen).toEqual([1, 2]);
  });
});

describe('gap', () => {
  it('surfaces ssekit:gap as the typed gap lifecycle event, not as a server event', async () => {
    const broker = createBroker<{ tick: { n: number } }>({ heartbeatInterval: 0 });
    const served = await serve(streamFrom(broker, { topics: ['t'] }));
    const client = track<{ tick: { n: number } }>(served.url, { lastEventId: 'not-an-id' });
    const untyped: string[] = [];
    (client as unknown as Client).on('ssekit:gap', (_data, event) => untyped.push(event.data));
    const gap = await next(client, 'gap');
    expect(gap).toEqual({ lastEventId: 'not-an-id', reason: 'unknown' });
    expect(untyped).toEqual([]);
    expect(client.state).toBe('open');
    await broker.close();
  });

  it('reports an expired id after the history moved on', async () => {
    const broker = createBroker<{ tick: { n: number } }>({ heartbeatInterval: 0, history: { historySize: 2 } });
    const first = await broker.publish('t', { event: 'tick', data: { n: 0 } });
    for (const n of [1, 2, 3]) await broker.publish('t', { event: 'tick', data: { n } });
    const served = await serve(streamFrom(broker, { topics: ['t'] }));
    const client = track<{ tick: { n: number } }>(served.url, { lastEventId: first });
    expect(await next(client, 'gap')).toEqual({ lastEventId: first, reason: 'expired' });
    await broker.close();
  });
});
