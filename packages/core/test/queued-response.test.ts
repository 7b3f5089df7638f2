import type { Socket } from 'node:net';
import { openRaw, waitFor } from '@ssekit/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { type Broker, createBroker } from '../src/index.js';
import { type Served, serveBroker } from './helpers/serve.js';

const request = (query = '') => `GET /${query} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n`;

describe('a stream queued behind a pipelined one (Node bridge)', () => {
  let broker: Broker;
  let served: Served | undefined;
  let serverSocket: Socket | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  async function pipelined(...queries: string[]) {
    broker = createBroker({ heartbeatInterval: 0, maxBufferedBytes: 64 * 1024 });
    served = await serveBroker(broker);
    served.server.once('connection', (socket) => {
      serverSocket = socket;
    });
    const raw = await openRaw(served.port, queries.map(request).join(''));
    await waitFor(() => broker.stats().connections === queries.length, 'every pipelined stream open');
    return raw;
  }

  it('is released when the socket closes before its turn', async () => {
    const raw = await pipelined('?client=ada', '?client=ada', '?client=ada');
    raw.socket.destroy();
    await waitFor(() => broker.stats().connections === 0, 'queued streams released');
  });

  it('gets the socket when the stream ahead ends, and leaves no listener on it when it ends', async () => {
    const raw = await pipelined('?topic=first', '?topic=second');
    const watching = () => serverSocket?.listeners('close').some((listener) => listener.name === 'onSocketClose');
    expect(watching()).toBe(true);
    const [first, second] = served?.connections ?? [];
    first?.close();
    await raw.until((t) => t.split('HTTP/1.1 200').length === 3);
    await broker.publish('second', { data: 'now yours' });
    await raw.until((t) => t.includes('data: now yours'));
    second?.close();
    await waitFor(() => broker.stats().connections === 0, 'both streams over');
    await waitFor(() => watching() === false, 'the close listener removed from the keep-alive socket');
    raw.socket.destroy();
  });

  it('drops the socket it waits on when the byte cap aborts it', async () => {
    const raw = await pipelined('', '');
    // The queued stream's events wait in Node's queue, past the cap: the abort cannot drop a
    // socket the response does not have yet, so it drops the one it waits on.
    await broker.broadcast({ data: 'x'.repeat(96 * 1024) });
    await raw.closed;
    await waitFor(() => broker.stats().connections === 0, 'both streams over');
    expect(broker.stats().slowClientCloses).toBe(1);
  });
});
