import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SseRejectedError } from '@ssekit/core';
import { expressSse } from '@ssekit/express';
import express, { type ErrorRequestHandler, type Response } from 'express';
import type { ApiResult } from '../api.js';
import { isSource } from '../demo.js';
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
  // The assistant: answers are resumable streams, started by POST, resumed by GET (here or on
  // the other demo server, whose page needs CORS), stopped by DELETE.
  app.post('/api/answers', async (req, res) => {
    const answer = demo.ask(req.body);
    if (isSource(answer)) await res.sse(answer, { resumable: true });
    else send(res, answer);
  });
  app.options(
    '/api/answers/:id',
    (req, res) =>
      void res
        .set(demo.cors(req.get('origin')))
        .status(204)
        .end(),
  );
  app.get('/api/answers/:id', async (req, res) => {
    res.set(demo.cors(req.get('origin')));
    await res.sse({ resume: req.params.id });
  });
  app.delete('/api/answers/:id', async (req, res) => {
    res.set(demo.cors(req.get('origin')));
    send(res, await demo.stopAnswer(req.get('authorization'), req.params.id));
  });
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
