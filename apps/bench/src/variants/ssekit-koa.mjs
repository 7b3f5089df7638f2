import http from 'node:http';
import { createBroker } from '@ssekit/core';
import { koaSse } from '@ssekit/koa';
import Koa from 'koa';
import { brokerPublish, splitOptions } from './topics.mjs';

export function create(options) {
  const { ids, broker: brokerOptions } = splitOptions(options);
  const broker = createBroker({ heartbeatInterval: 0, ...brokerOptions });
  const app = new Koa();
  app.use(koaSse({ broker }));
  app.use(async (ctx) => {
    const topic = ctx.query.topic;
    await (topic === undefined ? ctx.sse() : ctx.sse({ topics: [topic] }));
  });
  return { server: http.createServer(app.callback()), count: () => broker.stats().connections, publish: brokerPublish(broker, { ids }) };
}
