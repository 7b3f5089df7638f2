import http from 'node:http';
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
    // A hang guard, not a speed check: Node's own server.close() waits on the silent socket until
    // its request timeout (minutes); closeServer drops it after the 200 ms grace.
    expect(await settlesWithin(closeServer(served.server, { broker, grace: 200 }), 15_000)).toBe(true);
    // The stream ended as a response (terminating chunk), not with a reset.
    await expect(reader.done).resolves.toBeUndefined();
    expect(broker.closed).toBe(true);
    expect(await settlesWithin(silentClosed, 15_000)).toBe(true);
  });

  it('resolves for a server that is not listening', async () => {
    await expect(closeServer(http.createServer())).resolves.toBeUndefined();
  });
});
