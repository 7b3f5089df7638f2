import http from 'node:http';
import type net from 'node:net';
import { openSilent, openSse, settlesWithin, waitFor } from '@ssekit/test-utils';
import { describe, expect, it } from 'vitest';
import { createBroker } from '../src/index.js';
import { closeServer } from '../src/node/index.js';
import { serveBroker } from './helpers/serve.js';

describe('closeServer', () => {
  it('ends streams cleanly and does not wait on a socket that never sent a request', async () => {
    const broker = createBroker({ heartbeatInterval: 0 });
    const served = await serveBroker(broker);
    const reader = await openSse(served.url);
    await waitFor(() => broker.stats().connections === 1, 'stream open');
    const silent = await openSilent(served.port);
    const silentClosed = new Promise((resolve) => silent.once('close', resolve));
    const started = performance.now();
    expect(await settlesWithin(closeServer(served.server, { broker, grace: 200 }), 2_000)).toBe(true);
    expect(performance.now() - started).toBeLessThan(1_500);
    // The stream ended as a response (terminating chunk), not with a reset.
    await expect(reader.done).resolves.toBeUndefined();
    expect(broker.closed).toBe(true);
    expect(await settlesWithin(silentClosed, 1_000)).toBe(true);
  });

  it('where a plain server.close() waits for that socket', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const silent = await openSilent((server.address() as net.AddressInfo).port);
    const plain = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    expect(await settlesWithin(plain, 500)).toBe(false);
    silent.destroy();
    await plain;
  });

  it('resolves for a server that is not listening', async () => {
    await expect(closeServer(http.createServer())).resolves.toBeUndefined();
  });
});
