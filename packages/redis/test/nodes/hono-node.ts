// A test server on Hono under @hono/node-server: `streamEvents()` from @ssekit/hono over the Redis transport.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { streamEvents } from '@ssekit/hono';
import { Hono } from 'hono';
import { createTestNode, streamOptions } from './node-common.js';

const node = createTestNode();
const app = new Hono();
app.get('/events', (c) => streamEvents(c, { broker: node.broker, ...streamOptions(c.req.url) }));
app.post('/control/:verb', async (c) => {
  const result = await node.control(c.req.param('verb'), await c.req.json());
  return c.json(result.body as object, result.status as 200);
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
  node.announce(info.port, () => new Promise<void>((resolve) => server.close(() => resolve())));
});
