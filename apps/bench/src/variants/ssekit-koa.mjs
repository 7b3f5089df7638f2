import http from 'node:http';
import { createBroker } from '@ssekit/core';
import { koaSse } from '@ssekit/koa';
import Koa from 'koa';
import { EVENT_TYPE } from './event.mjs';

export function create() {
  const broker = createBroker({ heartbeatInterval: 0 });
  const app = new Koa();
  app.use(koaSse({ broker }));
  app.use(async (ctx) => {
    await ctx.sse();
  });
  return {
    server: http.createServer(app.callback()),
    count: () => broker.stats().connections,
    publish: (data) => void broker.broadcast({ event: EVENT_TYPE, data }),
  };
}
