import { createBroker } from '@ssekit/core';
import { waitFor } from '@ssekit/test-utils';
import { describe, expect, it } from 'vitest';
import { collect, next, track } from './helpers/clients.js';
import { readBody, serve, streamFrom } from './helpers/server.js';

type Events = { token: string; tick: { n: number } };

describe('requests', () => {
  it('POSTs a body with an Authorization header (an LLM-style stream)', async () => {
    const broker = createBroker<Events>({
      heartbeatInterval: 0,
      authorize: (request) => (request.header('authorization') === 'Bearer s3cret' ? { id: 'ada' } : false),
    });
    const stream = streamFrom(broker, { topics: ['answer'] });
    const bodies: string[] = [];
    const served = await serve(async (req, res) => {
      bodies.push(await readBody(req));
      await stream(req, res);
    });
    const client = track<Events>(`${served.url}/chat`, {
      body: JSON.stringify({ prompt: 'hi' }),
      headers: { authorization: 'Bearer s3cret', 'content-type': 'application/json' },
      formats: { token: 'text' },
    });
    const tokens = collect(client, 'token');
    await next(client, 'open');
    await broker.publish('answer', { event: 'token', data: 'Hel' });
    await broker.publish('answer', { event: 'token', data: 'lo' });
    await waitFor(() => tokens.length === 2, 'two tokens');
    expect(tokens).toEqual(['Hel', 'lo']);
    expect(bodies).toEqual(['{"prompt":"hi"}']);
    const [request] = served.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/chat' });
    expect(request?.headers).toMatchObject({ accept: 'text/event-stream', 'content-type': 'application/json' });
    await broker.close();
  });

  it('calls a headers function before every connection (a refreshed token)', async () => {
    const served = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: 1\n\n');
    });
    let token = 0;
    const client = track(served.url, {
      method: 'PUT',
      headers: async () => ({ authorization: `Bearer ${++token}`, accept: 'text/plain+sse' }),
    });
    await waitFor(() => served.requests.length >= 3, 'three connections');
    client.close();
    expect(served.requests.slice(0, 3).map((r) => [r.method, r.headers.authorization, r.headers.accept])).toEqual([
      ['PUT', 'Bearer 1', 'text/plain+sse'],
      ['PUT', 'Bearer 2', 'text/plain+sse'],
      ['PUT', 'Bearer 3', 'text/plain+sse'],
    ]);
  });

  it('follows a 307 redirect to the stream, keeping method and body', async () => {
    const broker = createBroker<Events>({ heartbeatInterval: 0 });
    const stream = streamFrom(broker, { topics: ['t'] });
    const bodies: string[] = [];
    const served = await serve(async (req, res) => {
      bodies.push(await readBody(req));
      if (req.url === '/old') res.writeHead(307, { location: '/stream' }).end();
      else await stream(req, res);
    });
    const client = track<Events>(`${served.url}/old`, { body: 'q=1' });
    const ticks = collect(client, 'tick');
    const opened = await next(client, 'open');
    expect(opened.response.url).toBe(`${served.url}/stream`);
    await broker.publish('t', { event: 'tick', data: { n: 1 } });
    await waitFor(() => ticks.length === 1, 'tick after redirect');
    expect(served.requests.map((r) => [r.method, r.url])).toEqual([
      ['POST', '/old'],
      ['POST', '/stream'],
    ]);
    expect(bodies).toEqual(['q=1', 'q=1']);
    await broker.close();
  });

  it('uses the fetch option', async () => {
    const served = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' }).write('data: {"n":2}\n\n');
    });
    const seen: string[] = [];
    const client = track<Events & { message: { n: number } }>(served.url, {
      fetch: (input, init) => {
        seen.push(String(input));
        return fetch(input, init);
      },
    });
    const messages = collect(client, 'message');
    await waitFor(() => messages.length === 1, 'message through the custom fetch');
    expect(messages).toEqual([{ n: 2 }]);
    expect(seen).toEqual([served.url]);
  });
});
