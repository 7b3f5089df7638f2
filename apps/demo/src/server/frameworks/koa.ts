import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { koaSse } from '@ssekit/koa';
import Koa, { type Context } from 'koa';
import serveStatic from 'koa-static';
import type { ApiResult } from '../api.js';
import { isSource } from '../demo.js';
import type { Serve } from './serve-options.js';

export const serveKoa: Serve = async (demo, { port, host, publicDir }) => {
  const app = new Koa();
  const router = new Router();

  // Refused streams throw an SseRejectedError with `status` and `expose`: Koa answers it like ctx.throw().
  router.get('/api/events', async (ctx) => {
    demo.welcome(await ctx.sse({ topics: demo.topics }));
  });
  router.get('/metrics', async (ctx) => {
    const { contentType, body } = await demo.metrics();
    ctx.type = contentType;
    ctx.body = body;
  });
  router.post('/api/notify', async (ctx) => send(ctx, await demo.notify(ctx.get('authorization'), ctx.request.body)));
  router.post('/api/drop', (ctx) => send(ctx, demo.drop(ctx.get('authorization'), ctx.request.body)));
  // The assistant: answers are resumable streams, started by POST, resumed by GET (here or on
  // the other demo server, whose page needs CORS), stopped by DELETE.
  router.post('/api/answers', async (ctx) => {
    const answer = demo.ask(ctx.request.body);
    if (isSource(answer)) await ctx.sse(answer, { resumable: true });
    else send(ctx, answer);
  });
  router.options('/api/answers/:id', (ctx) => {
    ctx.set(demo.cors(ctx.get('origin') || undefined));
    ctx.status = 204;
  });
  router.get('/api/answers/:id', async (ctx) => {
    ctx.set(demo.cors(ctx.get('origin') || undefined));
    await ctx.sse({ resume: ctx.params.id as string });
  });
  router.delete('/api/answers/:id', async (ctx) => {
    ctx.set(demo.cors(ctx.get('origin') || undefined));
    send(ctx, await demo.stopAnswer(ctx.get('authorization'), ctx.params.id as string));
  });

  app.use(koaSse({ broker: demo.broker }));
  app.use(bodyParser());
  app.use(router.routes()).use(router.allowedMethods());
  app.use(serveStatic(publicDir));

  const server = app.listen(port, host);
  await once(server, 'listening'); // rejects on 'error', such as EADDRINUSE
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

function send(ctx: Context, result: ApiResult): void {
  ctx.status = result.status;
  if (result.body) ctx.body = result.body;
}
