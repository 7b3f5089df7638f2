// A test server on Express: `res.sse()` from @ssekit/express over the Redis transport.
import type { AddressInfo } from 'node:net';
import { expressSse } from '@ssekit/express';
import express from 'express';
import { createTestNode, streamOptions } from './node-common.js';

const node = createTestNode();
const app = express();
app.use(expressSse({ broker: node.broker }));
app.get('/events', async (req, res) => {
  await res.sse(streamOptions(req.url));
});
app.post('/control/:verb', express.json(), async (req, res) => {
  const result = await node.control(req.params.verb, req.body);
  res.status(result.status).json(result.body);
});
const server = app.listen(0, '127.0.0.1', () => {
  node.announce((server.address() as AddressInfo).port, () => new Promise<void>((resolve) => server.close(() => resolve())));
});
