import { openSse, testServers, waitFor } from '@ssekit/test-utils';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { expressSse } from '../src/index.js';

const servers = testServers();
afterEach(() => servers.closeAll());

async function collect() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 20));
    gc();
  }
}

describe('@ssekit/express releases router state once the stream owns the response', () => {
  it("lets an idle stream drop the router's continuation; params stay readable", async () => {
    const app = express();
    const sse = expressSse();
    servers.onClose(() => sse.broker.close());
    let routerNext: WeakRef<object> | undefined;
    let room: string | undefined;
    app.use(sse);
    app.use((req, _res, next) => {
      routerNext = req.next && new WeakRef(req.next);
      next();
    });
    app.get('/rooms/:room', async (req, res) => {
      await res.sse();
      room = req.params.room;
    });
    const { url } = await servers.listen(app);
    const reader = await openSse(`${url}/rooms/lobby`);
    await waitFor(() => room !== undefined, 'handler done');
    await collect();
    expect(room).toBe('lobby');
    expect(routerNext).toBeDefined();
    expect(routerNext?.deref()).toBeUndefined();
    reader.close();
  });

  it('still hands an error thrown after the stream opened to the error handlers', async () => {
    const app = express();
    const sse = expressSse();
    servers.onClose(() => sse.broker.close());
    const seen: unknown[] = [];
    app.use(sse);
    app.get('/events', async (_req, res) => {
      const stream = await res.sse();
      stream.send({ data: 'before' });
      throw new Error('after the head');
    });
    app.use((error: Error, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
      seen.push(error.message);
      next(error);
    });
    const { url } = await servers.listen(app);
    const reader = await openSse(`${url}/events`);
    expect((await reader.waitForEvents(1))[0]?.data).toBe('before');
    await waitFor(() => seen.length === 1, 'error handler called');
    expect(seen).toEqual(['after the head']);
    // Express's final handler cannot answer a streaming response; it ends the connection.
    await reader.done;
    await waitFor(() => sse.broker.stats().connections === 0, 'stream released');
  });
});
