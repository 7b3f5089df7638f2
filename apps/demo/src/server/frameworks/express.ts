import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SseRejectedError } from '@ssekit/core';
import { expressSse } from '@ssekit/express';
import express, { type ErrorRequestHandler, type Response } from 'express';
import type { ApiResult } from '../api.js';
import type { Serve } from './serve-options.js';

export const serveExpress: Serve = async (demo, { port, host, publicDir }) => {
  const app = express();
  app.use(express.json());
  app.use(expressSse({ broker: demo.broker }));

  app.get('/api/events', async (_req, res) => {
    demo.welcome(await res.sse({ topics: demo.topics }));
  });
  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await demo.metrics();
    res.type(contentType).send(body);
  });
  app.post('/api/notify', async (req, res) => send(res, await demo.notify(req.get('authorization'), req.body)));
  app.post('/api/drop', (req, res) => send(res, demo.drop(req.get('authorization'), req.body)));
  app.use(express.static(publicDir));
  app.use(onError);

  const server = app.listen(port, host);
  await once(server, 'listening'); // rejects on 'error', such as EADDRINUSE
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

const send = (res: Response, result: ApiResult) => res.status(result.status).json(result.body);

/** Refused streams (401, 503) reject with a message safe to show; other errors stay private. */
const onError: ErrorRequestHandler = (error, _req, res, _next) => {
  if (error instanceof SseRejectedError) {
    res.status(error.status).set(error.headers).type('text').send(error.message);
    return;
  }
  const status = (error as { status?: number }).status ?? 500; // 400 from express.json() on bad JSON
  res
    .status(status)
    .type('text')
    .send(status < 500 ? 'Bad request.' : 'Internal error.');
};
