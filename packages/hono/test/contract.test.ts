import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import {
  afterOpen,
  CORS_ORIGIN,
  createContractBroker,
  localServer,
  runContractSuite,
  sourceFromUrl,
  streamOptionsFromUrl,
} from '@ssekit/contract';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { streamEvents } from '../src/index.js';

runContractSuite({
  name: 'hono on node',
  async start(options) {
    const broker = createContractBroker(options);
    const app = new Hono();
    app.use('/events', cors({ origin: [CORS_ORIGIN] }));
    app.on(['GET', 'POST'], '/events', (c) =>
      streamEvents(
        c,
        { broker, ...streamOptionsFromUrl(c.req.url) },
        sourceFromUrl(c.req.url, broker) ?? ((stream) => afterOpen(c.req.url, stream)),
      ),
    );
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return localServer(broker, url, () => new Promise<void>((resolve) => server.close(() => resolve())));
  },
});
