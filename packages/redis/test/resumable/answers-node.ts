// A node of the resumable-answers tests: Express over the Redis transport. `POST /answers?n=N`
// starts an answer of N tokens (one per `EVERY` ms), `GET /answers/:id` resumes one (on any
// node), `DELETE /answers/:id` stops one (wherever it runs). Prints `listening <port>`; exits
// when its standard input closes.
import type { AddressInfo } from 'node:net';
import { createBroker } from '@ssekit/core';
import { expressSse } from '@ssekit/express';
import express from 'express';
import { Redis } from 'ioredis';
import { createRedisTransport } from '../../src/index.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, retryStrategy: () => 100 });
const broker = createBroker({
  transport: createRedisTransport({
    redis,
    streamKey: process.env.STREAM_KEY ?? 'ssekit:answers',
    timeout: 1_000,
    resumableLease: Number(process.env.LEASE ?? 10_000),
  }),
  heartbeatInterval: 0,
  closeTimeout: 1_000,
  clientId: (_principal, request) => request.header('x-user'),
});
const every = Number(process.env.EVERY ?? 1);

async function* answer(count: number) {
  for (let i = 1; i <= count; i++) {
    await new Promise((resolve) => setTimeout(resolve, every));
    yield `t${i}`;
  }
  return count;
}

const app = express();
app.use(expressSse({ broker }));
app.post('/answers', async (req, res) => {
  await res.sse(answer(Number(req.query.n ?? 10)), { resumable: true });
});
app.get('/answers/:id', async (req, res) => {
  await res.sse({ resume: req.params.id });
});
app.delete('/answers/:id', async (req, res) => {
  res.status((await broker.stopStream(req.params.id, req.header('x-user'))) ? 204 : 404).end();
});
app.use((error: { status?: number; message: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
  res.status(error.status ?? 500).send(error.message);
});
const server = app.listen(0, '127.0.0.1', () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', async () => {
  await broker.close();
  server.close(() => process.exit(0));
});
process.stdin.on('close', () => process.exit(1));
process.stdin.resume();
