import { type Broker, createBroker, refusalResponse } from '@ssekit/core';
import { createNodeSink, toStreamRequest } from '@ssekit/core/node';
import { waitFor } from '@ssekit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { type FinishInfo, SseClientError } from '../src/index.js';
import { next, recordLifecycle, track } from './helpers/clients.js';
import { readBody, serve, stopServers, type TestServer } from './helpers/server.js';

afterEach(stopServers);

/** `count` tokens `t1`…, one per timer turn, returning `count`. */
async function* answer(count: number) {
  for (let i = 1; i <= count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    yield `t${i}`;
  }
  return count;
}

/** `POST /answers` starts a resumable answer of `n` tokens (from the JSON body); `GET /answers/:id` resumes. */
async function answers(broker: Broker): Promise<TestServer> {
  return serve(async (req, res) => {
    const open = (headers?: Readonly<Record<string, string>>) => createNodeSink(res, { headers });
    try {
      if (req.method === 'POST') {
        const { n } = JSON.parse(await readBody(req)) as { n: number };
        await broker.stream(toStreamRequest(req), { resumable: true }, open, answer(n));
      } else {
        await broker.stream(toStreamRequest(req), { resume: decodeURIComponent(req.url?.split('/')[2]?.split('?')[0] ?? '') }, open);
      }
    } catch (error) {
      const refusal = refusalResponse(error);
      res.writeHead(refusal?.status ?? 500, refusal?.headers).end(refusal?.body);
    }
  });
}

describe('resumable answers', () => {
  it('a POST whose connection drops resumes by GET with Last-Event-ID, never re-POSTs; every token once; finish, then done', async () => {
    const broker = createBroker({ heartbeatInterval: 0 });
    const server = await answers(broker);
    const client = track<{ message: string }>(`${server.url}/answers`, {
      method: 'POST',
      body: JSON.stringify({ n: 300 }),
      headers: { 'content-type': 'application/json', 'x-trace': 'kept' },
      retryDelay: 1,
      retryJitter: 0,
    });
    const tokens: string[] = [];
    client.on('message', (token) => {
      tokens.push(token);
      // Drop every connection a few times mid-answer.
      if (tokens.length % 70 === 0) server.dropConnections();
    });
    const finished: FinishInfo[] = [];
    client.onLifecycle('finish', (info) => finished.push(info));
    const closed = next(client, 'close');
    expect((await closed).reason).toBe('done');
    expect(tokens).toEqual(Array.from({ length: 300 }, (_, i) => `t${i + 1}`));
    expect(finished).toEqual([{ event: 'ssekit:done', data: { reason: 'complete', value: 300 } }]);
    const [first, ...resumes] = server.requests;
    expect(first?.method).toBe('POST');
    expect(resumes.length).toBeGreaterThanOrEqual(4);
    for (const resume of resumes) {
      expect(resume.method).toBe('GET');
      expect(resume.url).toBe(`/answers/${client.streamId}`);
      expect(resume.headers['last-event-id']).toMatch(/^\d+$/);
      expect(resume.headers['content-type']).toBeUndefined(); // no body to describe
      expect(resume.headers['x-trace']).toBe('kept');
    }
    await broker.close();
  });

  it('a stopped answer finishes the client (done) without any resume request', async () => {
    const broker = createBroker({ heartbeatInterval: 0 });
    const server = await answers(broker);
    const client = track<{ message: string }>(`${server.url}/answers`, { method: 'POST', body: JSON.stringify({ n: 1_000_000 }) });
    const log = recordLifecycle(client);
    await next(client, 'open');
    await broker.stopStream(client.streamId as string);
    expect((await next(client, 'close')).reason).toBe('done');
    expect(log.find(([type]) => type === 'finish')?.[1]).toEqual({ event: 'ssekit:done', data: { reason: 'stopped' } });
    expect(server.requests.map((r) => r.method)).toEqual(['POST']);
    await broker.close();
  });

  it('resumes at a custom resumeUrl; a stream that is gone there closes the client with the 404', async () => {
    const broker = createBroker({ heartbeatInterval: 0 });
    const server = await answers(broker);
    const client = track<{ message: string }>(`${server.url}/answers`, {
      method: 'POST',
      body: JSON.stringify({ n: 1_000_000 }),
      retryDelay: 1,
      retryJitter: 0,
      resumeUrl: (id) => `${server.url}/answers/gone-${id}?resumed=1`,
    });
    const tokens: string[] = [];
    client.on('message', (token) => tokens.push(token));
    await waitFor(() => tokens.length >= 3, 'tokens flowing');
    server.dropConnections();
    const closed = await next(client, 'close');
    expect(closed.reason).toBe('error');
    expect(closed.error).toBeInstanceOf(SseClientError);
    expect((closed.error as SseClientError).status).toBe(404);
    const resume = server.requests.at(-1);
    expect(resume?.method).toBe('GET');
    expect(resume?.url).toBe(`/answers/gone-${client.streamId}?resumed=1`);
    await broker.close();
  });
});
