import http from 'node:http';
import { createBroker } from '@ssekit/core';
import { expressSse } from '@ssekit/express';
import express from 'express';
import { EVENT_TYPE } from './event.mjs';

export function create() {
  const broker = createBroker({ heartbeatInterval: 0 });
  const app = express();
  app.use(expressSse({ broker }));
  app.get('/', async (_req, res) => {
    await res.sse();
  });
  return {
    server: http.createServer(app),
    count: () => broker.stats().connections,
    publish: (data) => void broker.broadcast({ event: EVENT_TYPE, data }),
  };
}
