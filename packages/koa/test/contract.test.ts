import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import cors from '@koa/cors';
import Router from '@koa/router';
import {
  afterOpen,
  CORS_ORIGIN,
  createContractBroker,
  localServer,
  runContractSuite,
  sourceFromUrl,
  streamOptionsFromUrl,
} from '@ssekit/contract';
import Koa from 'koa';
import { koaSse } from '../src/index.js';

runContractSuite({
  name: 'koa',
  async start(options) {
    const broker = createContractBroker(options);
    const app = new Koa();
    const router = new Router();
    // GET streams; POST starts resumable answers.
    router.all('/events', async (ctx) => {
      const source = sourceFromUrl(ctx.url, broker);
      if (source) await ctx.sse(source, streamOptionsFromUrl(ctx.url));
      else await afterOpen(ctx.url, await ctx.sse(streamOptionsFromUrl(ctx.url)));
    });
    app.use(cors({ origin: (ctx) => (ctx.get('origin') === CORS_ORIGIN ? CORS_ORIGIN : '') }));
    app.use(koaSse({ broker }));
    app.use(router.routes()).use(router.allowedMethods());
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return localServer(broker, url, () => new Promise<void>((resolve) => server.close(() => resolve())));
  },
});
