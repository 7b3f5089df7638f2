import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openSse, waitFor } from '@ssekit/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Broker,
  type BrokerOptions,
  createBroker,
  type ErrorContext,
  isStreamSource,
  refusalResponse,
  resolveBroker,
  SOURCE_ERROR_EVENT,
  type StreamBody,
  sseArguments,
} from '../src/index.js';
import { createNodeSink, toStreamRequest } from '../src/node/index.js';
import { servedBrokers } from './helpers/serve.js';

const start = servedBrokers({ heartbeatInterval: 0 });

/** A node:http server that opens a stream on every request with `body`, answering refusals with `refusalResponse`. */
const servers: http.Server[] = [];
const brokers: Broker[] = [];
afterEach(async () => {
  for (const broker of brokers.splice(0)) await broker.close();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});
async function serveBody(options: BrokerOptions, body: () => StreamBody) {
  const broker = createBroker({ heartbeatInterval: 0, ...options });
  const server = http.createServer(async (req, res) => {
    try {
      await broker.stream(toStreamRequest(req), {}, () => createNodeSink(res), body());
    } catch (error) {
      const refusal = refusalResponse(error);
      if (!refusal) throw error;
      res.writeHead(refusal.status, refusal.headers).end(refusal.body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  brokers.push(broker);
  return { broker, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe('Accept negotiation', () => {
  it('answers 406 to a client that refuses text/event-stream, before any admission hook', async () => {
    let authorized = 0;
    const { broker, served } = await start({ authorize: () => ++authorized });
    const json = await openSse(served.url, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(406);
    expect(json.headers['content-type']).toContain('text/plain');
    expect(authorized).toBe(0);
    expect(broker.stats().rejected).toBe(1);
    for (const accept of ['text/event-stream', '*/*', 'text/*;q=0.5, application/json']) {
      const ok = await openSse(served.url, { headers: { accept } });
      expect(ok.status).toBe(200);
      ok.close();
    }
    const none = await openSse(served.url, { headers: { accept: 'text/event-stream;q=0' } });
    expect(none.status).toBe(406);
  });
});

describe('errors after the head is sent, through onError', () => {
  it('a throwing open callback is reported once as `open` and ends the stream', async () => {
    const reports: ErrorContext[] = [];
    const { url } = await serveBody({ onError: (_error, context) => reports.push(context) }, () => (connection) => {
      connection.send({ data: 'before' });
      throw new Error('route bug');
    });
    const reader = await openSse(url);
    expect(reader.status).toBe(200);
    await reader.done;
    expect(reader.events.map((e) => e.data)).toEqual(['before']);
    expect(reports.map((r) => r.phase)).toEqual(['open']);
  });

  it('throwing onConnect and onDisconnect hooks are reported as `hook`; the stream still works', async () => {
    const reports: string[] = [];
    const { broker, served } = await start({
      onConnect: () => {
        throw new Error('metrics down');
      },
      onDisconnect: () => {
        throw new Error('metrics still down');
      },
      onError: (_error, context) => reports.push(`${context.phase}:${context.hook}`),
    });
    const reader = await openSse(served.url);
    expect(reader.status).toBe(200);
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    await broker.broadcast({ data: 'x' });
    await reader.waitForEvents(1);
    reader.close();
    await waitFor(() => reports.length === 2, 'both hooks reported');
    expect(reports).toEqual(['hook:onConnect', 'hook:onDisconnect']);
  });

  it('the default onError logs with an [ssekit] prefix instead of staying silent', async () => {
    const logged: unknown[][] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      logged.push(args);
    });
    try {
      async function* failing() {
        yield 'a';
        throw new Error('upstream failed');
      }
      const { url } = await serveBody({}, () => failing());
      const reader = await openSse(url);
      await reader.done;
      expect(reader.events.map((e) => e.event)).toEqual(['message', SOURCE_ERROR_EVENT]);
      await waitFor(() => logged.length === 1, 'logged');
      expect(String(logged[0]?.[0])).toMatch(/^\[ssekit\] a piped source failed/);
      expect(logged[0]?.[1]).toMatchObject({ message: 'upstream failed' });
    } finally {
      spy.mockRestore();
    }
  });
});

describe('a source handed to broker.stream()', () => {
  it('is piped, then the stream closes', async () => {
    async function* tokens() {
      yield 'a';
      yield 'b';
    }
    const { url } = await serveBody({}, () => tokens());
    const reader = await openSse(url);
    await reader.done;
    expect(reader.events.map((e) => e.data)).toEqual(['a', 'b']);
  });

  it('a ReadableStream is piped, and cancelled when the client leaves', async () => {
    let cancelled = false;
    const { url } = await serveBody(
      {},
      () =>
        new ReadableStream<string>({
          pull: async (controller) => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            controller.enqueue('tick');
          },
          cancel: () => {
            cancelled = true;
          },
        }),
    );
    const reader = await openSse(url);
    await reader.waitForEvents(2);
    reader.close();
    await waitFor(() => cancelled, 'the source was cancelled');
  });

  it("calls the generator's return() when the client leaves", async () => {
    let finished = false;
    async function* forever() {
      try {
        for (let n = 0; ; n++) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          yield String(n);
        }
      } finally {
        finished = true;
      }
    }
    const { url } = await serveBody({}, () => forever());
    const reader = await openSse(url);
    await reader.waitForEvents(2);
    reader.close();
    await waitFor(() => finished, 'the generator finally ran');
  });
});

describe('adapter helpers', () => {
  it('resolveBroker: the given broker, a new one from options, and an error for both', async () => {
    const broker = createBroker();
    expect(resolveBroker({ broker })).toBe(broker);
    const made = resolveBroker({ heartbeatInterval: 0 });
    expect(made).not.toBe(broker);
    expect(() => resolveBroker({ broker, heartbeatInterval: 5 })).toThrow(/heartbeatInterval would be ignored/);
    await Promise.all([broker.close(), made.close()]);
  });

  it('sseArguments tells options from a source', () => {
    const source = ['a'];
    expect(sseArguments({ topics: ['t'] }, undefined)).toEqual({ options: { topics: ['t'] }, body: undefined });
    expect(sseArguments(source, { topics: ['t'] })).toEqual({ options: { topics: ['t'] }, body: source });
    expect(typeof sseArguments(source, { map: (item) => ({ data: item }) }).body).toBe('function');
    expect(isStreamSource('a string')).toBe(false);
  });
});
